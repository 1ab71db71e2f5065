/**
 * The device certificate: the identity key vouches for a per-device Ed25519
 * key that only ever signs relay challenges (docs/protocol.md, devices).
 */
import { type Bytes, u32be, u64be, utf8 } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { generateSigningKeyPair, type SigningKeyPair, signWithContext } from './ed25519.ts';
import { checkEd25519, checkId, checkSignatures, checkTimestamp, invalid } from './field-checks.ts';
import type { IdentityKeyPair } from './identity.ts';
import { SignatureContext } from './labels.ts';

export interface DeviceCertificate {
  readonly userId: string;
  readonly deviceId: number;
  readonly deviceKey: Bytes;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
  /** sign(IK.signing, DEVICE_CERTIFICATE, userId, u32 deviceId, deviceKey, u64 createdAt) */
  readonly signature: Bytes;
}

export interface UnsignedDeviceCertificate {
  readonly userId: string;
  readonly deviceId: number;
  readonly deviceKey: Uint8Array;
  readonly createdAt: number;
}

/** The per-device Ed25519 key: non-extractable, it only ever signs relay challenges. */
export function generateDeviceKey(): Promise<SigningKeyPair> {
  return generateSigningKeyPair(false);
}

function deviceCertificateFields(c: UnsignedDeviceCertificate): Uint8Array[] {
  return [utf8(c.userId), u32be(c.deviceId), c.deviceKey, u64be(c.createdAt)];
}

export async function certifyDevice(
  identity: IdentityKeyPair,
  unsigned: UnsignedDeviceCertificate,
): Promise<DeviceCertificate> {
  checkId(unsigned.deviceId, 'deviceCertificate.deviceId');
  checkTimestamp(unsigned.createdAt, 'deviceCertificate.createdAt');
  const deviceKey = checkEd25519(unsigned.deviceKey, 'deviceCertificate.deviceKey');
  const signature = await signWithContext(
    identity.signing.privateKey,
    SignatureContext.DEVICE_CERTIFICATE,
    ...deviceCertificateFields(unsigned),
  );
  return {
    userId: unsigned.userId,
    deviceId: unsigned.deviceId,
    deviceKey,
    createdAt: unsigned.createdAt,
    signature,
  };
}

export async function validateDeviceCertificate(
  identitySigningKey: Uint8Array,
  certificate: DeviceCertificate,
): Promise<void> {
  checkEd25519(identitySigningKey, 'identity.signing');
  if (typeof certificate.userId !== 'string' || certificate.userId.length === 0) {
    invalid(ErrorCode.BAD_ARGUMENT, 'deviceCertificate.userId', 'must be a non-empty string');
  }
  checkId(certificate.deviceId, 'deviceCertificate.deviceId');
  checkTimestamp(certificate.createdAt, 'deviceCertificate.createdAt');
  checkEd25519(certificate.deviceKey, 'deviceCertificate.deviceKey');
  await checkSignatures([
    {
      field: 'deviceCertificate.signature',
      signer: identitySigningKey,
      signature: certificate.signature,
      context: SignatureContext.DEVICE_CERTIFICATE,
      fields: deviceCertificateFields(certificate),
    },
  ]);
}

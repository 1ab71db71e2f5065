/**
 * WebSocket authentication. The relay's first frame is `challenge` with a
 * fresh 32-byte nonce; the device answers `auth` with an Ed25519 signature by
 * its device key over deviceAuthPayload(nonce, user, device). Binding the user
 * and device ids into the signature means a signature can only ever log in
 * the device it names, and the DEVICE_AUTH context keeps it from being valid
 * for anything else the device key signs (REST requests have their own).
 */
import { type Bytes, u32be, utf8 } from '../bytes.ts';
import { sign, signedPayload, verify } from '../crypto/ed25519.ts';
import { SignatureContext } from '../crypto/labels.ts';
import { ErrorCode, fail } from '../errors.ts';
import { isDeviceId, isUserId } from './fields.ts';
import type { AuthFrame } from './frames.ts';
import { CHALLENGE_NONCE_BYTES } from './limits.ts';

/** `DEVICE_AUTH || 0x00 || len||nonce || len||utf8(user) || len||u32be(device)` (see signedPayload). */
export function deviceAuthPayload(nonce: Uint8Array, user: string, device: number): Bytes {
  if (!(nonce instanceof Uint8Array) || nonce.length !== CHALLENGE_NONCE_BYTES) {
    fail(ErrorCode.BAD_ARGUMENT, `Device auth: nonce must be ${CHALLENGE_NONCE_BYTES} bytes`);
  }
  if (!isUserId(user))
    fail(ErrorCode.BAD_ARGUMENT, 'Device auth: user must be a canonical user id');
  if (!isDeviceId(device)) fail(ErrorCode.BAD_ARGUMENT, 'Device auth: device must be a device id');
  return signedPayload(SignatureContext.DEVICE_AUTH, nonce, utf8(user), u32be(device));
}

/** Client side: the `auth` frame answering a challenge. */
export async function createAuthFrame(
  deviceKey: CryptoKey,
  nonce: Uint8Array,
  user: string,
  device: number,
): Promise<AuthFrame> {
  const signature = await sign(deviceKey, deviceAuthPayload(nonce, user, device));
  return { t: 'auth', user, device, signature };
}

/**
 * Relay side: true only if `signature` is the registered device key's
 * signature over this socket's nonce for this user and device.
 */
export async function verifyDeviceAuth(
  devicePublicKey: Uint8Array,
  nonce: Uint8Array,
  frame: Pick<AuthFrame, 'user' | 'device' | 'signature'>,
): Promise<boolean> {
  return verify(
    devicePublicKey,
    frame.signature,
    deviceAuthPayload(nonce, frame.user, frame.device),
  );
}

/**
 * The checks of a device registration (POST /v1/devices, identity reset):
 * the identity binding, the device certificate, the signed and ML-KEM
 * prekeys and the one-time prekeys, with the shared validators, before
 * anything is stored.
 */
import { validateDeviceCertificate } from '../../shared/crypto/device-certificate.ts';
import { validatePublicIdentity } from '../../shared/crypto/identity.ts';
import {
  validateKemPreKey,
  validateOneTimePreKey,
  validateSignedPreKey,
} from '../../shared/crypto/prekey-validation.ts';
import { PreKeyKind } from '../../shared/crypto/prekeys.ts';
import type { DeviceRegistration } from '../../shared/wire/rest-devices.ts';

export async function validateRegistration(
  accountId: string,
  reg: DeviceRegistration,
): Promise<void> {
  const identity = {
    dh: reg.identity.dh,
    signing: reg.identity.sig,
    binding: reg.identity.binding,
  };
  await validatePublicIdentity(identity);
  await validateDeviceCertificate(identity.signing, {
    userId: accountId,
    deviceId: reg.device.id,
    deviceKey: reg.device.key,
    createdAt: reg.device.createdAt,
    signature: reg.device.certificate,
  });
  await validateSignedPreKey(identity.signing, { kind: PreKeyKind.SIGNED, ...reg.signedPreKey });
  await validateKemPreKey(identity.signing, { kind: PreKeyKind.KEM, ...reg.kemPreKey });
  for (const [i, k] of reg.oneTimePreKeys.entries())
    validateOneTimePreKey({ kind: PreKeyKind.ONE_TIME, ...k }, `oneTimePreKeys[${i}]`);
}

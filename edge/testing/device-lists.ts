/** Signed device lists for relay tests: signs version previous+1 listing `devices` (shared/crypto/device-list.ts). */
import { toBase64Url } from '../../shared/bytes.ts';
import {
  DEVICE_LIST_HASH_BYTES,
  type SignedDeviceList,
  signDeviceBinding,
  signDeviceList,
} from '../../shared/crypto/device-list.ts';
import type { IdentityKeyPair } from '../../shared/crypto/identity.ts';
import type { TestDevice } from './client.ts';

export async function signedListOf(
  devices: readonly TestDevice[],
  previous?: SignedDeviceList,
  signer: IdentityKeyPair = (devices[0] as TestDevice).account.identity,
): Promise<SignedDeviceList> {
  const account = (devices[0] as TestDevice).account;
  const entries = [];
  for (const d of devices) {
    entries.push({
      deviceId: d.deviceId,
      deviceKey: d.deviceKey.publicKey,
      addedAt: 1_700_000_000_000,
      addedBy: d.deviceId,
      binding: await signDeviceBinding(
        d.deviceKey.privateKey,
        account.userId,
        account.identity.signing.publicKey,
        d.deviceId,
      ),
    });
  }
  return signDeviceList(signer.signing.privateKey, {
    userId: account.userId,
    identityKey: account.identity.signing.publicKey,
    version: (previous?.version ?? 0) + 1,
    prevHash: previous?.hash ?? new Uint8Array(DEVICE_LIST_HASH_BYTES),
    issuedAt: Date.now(),
    devices: entries,
  });
}

/** The JSON body of PUT /v1/device-list. */
export function publishBody(list: SignedDeviceList | Uint8Array): { list: string } {
  return { list: toBase64Url(list instanceof Uint8Array ? list : list.encoded) };
}

/** Response shapes: public keys and signatures as unpadded base64url text. */
import { toBase64Url } from '../../shared/bytes.ts';
import type { DeviceCertificate, PublicIdentity } from '../../shared/crypto/keys.ts';
import type { BundleSet, UserDirectoryEntry } from '../services/devices.ts';

const b64 = toBase64Url;

export function identityJson(identity: PublicIdentity) {
  return { dh: b64(identity.dh), signing: b64(identity.signing), binding: b64(identity.binding) };
}

export function certificateJson(c: DeviceCertificate) {
  return {
    userId: c.userId,
    deviceId: c.deviceId,
    deviceKey: b64(c.deviceKey),
    createdAt: c.createdAt,
    signature: b64(c.signature),
  };
}

export function directoryJson(entry: UserDirectoryEntry) {
  return {
    userId: entry.userId,
    handle: entry.handle,
    identity: entry.identity === undefined ? null : identityJson(entry.identity),
    devices: entry.devices.map((d) => ({
      deviceId: d.deviceId,
      certificate: certificateJson(d.certificate),
      lastSeenAt: d.lastSeenAt,
    })),
  };
}

export function bundlesJson(set: BundleSet) {
  return {
    userId: set.userId,
    identity: identityJson(set.identity),
    bundles: set.bundles.map((b) => ({
      deviceId: b.deviceId,
      certificate: certificateJson(b.certificate),
      signedPreKey: {
        id: b.signedPreKey.id,
        publicKey: b64(b.signedPreKey.publicKey),
        signature: b64(b.signedPreKey.signature),
      },
      kemPreKey: {
        id: b.kemPreKey.id,
        publicKey: b64(b.kemPreKey.publicKey),
        signature: b64(b.kemPreKey.signature),
      },
      oneTimePreKey:
        b.oneTimePreKey === undefined
          ? null
          : { id: b.oneTimePreKey.id, publicKey: b64(b.oneTimePreKey.publicKey) },
    })),
  };
}

/**
 * WebSocket authentication. The relay's first frame is `challenge` with a
 * fresh 32-byte nonce; the device answers `auth` with an Ed25519 signature by
 * its device key over deviceAuthPayload(nonce, user, device). Binding the user
 * and device ids into the signature means a signature can only ever log in
 * the device it names, and the DEVICE_AUTH context keeps it from being valid
 * for anything else the device key signs (REST requests have their own).
 *
 * The device key works while the vault is locked (and sits on disk in a
 * usable form), so it only buys a receive-only socket. A client whose vault
 * is unlocked adds `unlock`: the account's identity key (kept inside the
 * vault) over socketUnlockPayload(nonce, user, device), the same nonce under
 * its own SOCKET_UNLOCK context. The nonce is the socket's own, so a proof
 * seen on one socket is worthless on any other.
 */
import { type Bytes, u32be, utf8 } from '../bytes.ts';
import { sign, signedPayload, verify } from '../crypto/ed25519.ts';
import { SignatureContext } from '../crypto/labels.ts';
import { ErrorCode, fail } from '../errors.ts';
import { isDeviceId, isUserId } from './fields.ts';
import type { AuthFrame, UnlockFrame } from './frames.ts';
import { CHALLENGE_NONCE_BYTES } from './limits.ts';

function challengePayload(context: string, nonce: Uint8Array, user: string, device: number): Bytes {
  if (!(nonce instanceof Uint8Array) || nonce.length !== CHALLENGE_NONCE_BYTES) {
    fail(ErrorCode.BAD_ARGUMENT, `Device auth: nonce must be ${CHALLENGE_NONCE_BYTES} bytes`);
  }
  if (!isUserId(user))
    fail(ErrorCode.BAD_ARGUMENT, 'Device auth: user must be a canonical user id');
  if (!isDeviceId(device)) fail(ErrorCode.BAD_ARGUMENT, 'Device auth: device must be a device id');
  return signedPayload(context, nonce, utf8(user), u32be(device));
}

/** `DEVICE_AUTH || 0x00 || len||nonce || len||utf8(user) || len||u32be(device)` (see signedPayload). */
export function deviceAuthPayload(nonce: Uint8Array, user: string, device: number): Bytes {
  return challengePayload(SignatureContext.DEVICE_AUTH, nonce, user, device);
}

/** The same fields under SOCKET_UNLOCK: what the identity key signs in `unlock`. */
export function socketUnlockPayload(nonce: Uint8Array, user: string, device: number): Bytes {
  return challengePayload(SignatureContext.SOCKET_UNLOCK, nonce, user, device);
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

/** Client side: the `unlock` frame for this socket's nonce, signed by the identity signing key. */
export async function createUnlockFrame(
  identityKey: CryptoKey,
  nonce: Uint8Array,
  user: string,
  device: number,
): Promise<UnlockFrame> {
  return {
    t: 'unlock',
    signature: await sign(identityKey, socketUnlockPayload(nonce, user, device)),
  };
}

/**
 * Relay side: true only if `signature` is the account's identity key's
 * signature over this socket's nonce for the device the socket authenticated.
 */
export async function verifySocketUnlock(
  identityPublicKey: Uint8Array,
  nonce: Uint8Array,
  who: { readonly user: string; readonly device: number },
  frame: Pick<UnlockFrame, 'signature'>,
): Promise<boolean> {
  return verify(
    identityPublicKey,
    frame.signature,
    socketUnlockPayload(nonce, who.user, who.device),
  );
}

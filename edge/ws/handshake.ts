/**
 * The socket's authentication: one challenge nonce, answered once, by a
 * signature of the device key the directory holds. Decides only; the
 * connection audits, answers and attaches.
 */
import type { Bytes } from '../../shared/bytes.ts';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { verifyDeviceAuth } from '../../shared/wire/device-auth.ts';
import type { AuthFrame } from '../../shared/wire/frames.ts';
import type { DeviceAddress } from '../fanout/fanout.ts';
import { AuthFailure } from '../http/codes.ts';
import type { DeviceDirectory } from './context.ts';

export type HandshakeResult =
  | { readonly ok: true; readonly device: DeviceAddress }
  | { readonly ok: false; readonly reason: AuthFailure; readonly error: ParleyError };

/** The nonce a socket was challenged with; it answers one auth frame only. */
export class Challenge {
  #nonce: Bytes;

  constructor(nonce: Bytes) {
    this.#nonce = nonce;
  }

  /** The nonce, once: later calls get an empty one, which no signature verifies against. */
  take(): Bytes {
    const nonce = this.#nonce;
    this.#nonce = new Uint8Array(0);
    return nonce;
  }
}

export async function verifyHandshake(
  devices: DeviceDirectory,
  nonce: Bytes,
  frame: AuthFrame,
): Promise<HandshakeResult> {
  const key = await devices.deviceKey(frame.user, frame.device);
  if (key === undefined) {
    const reason = AuthFailure.UNKNOWN_DEVICE;
    return {
      ok: false,
      reason,
      error: new ParleyError(ErrorCode.AUTH_FAILED, 'Unknown device', { reason }),
    };
  }
  if (!(await verifyDeviceAuth(key, nonce, frame))) {
    const reason = AuthFailure.SIGNATURE;
    return {
      ok: false,
      reason,
      error: new ParleyError(ErrorCode.AUTH_FAILED, 'Signature does not verify', { reason }),
    };
  }
  return { ok: true, device: { accountId: frame.user, deviceId: frame.device } };
}

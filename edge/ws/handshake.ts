/**
 * The socket's authentication: one challenge nonce, answered once, by a
 * signature of the device key the directory holds; then the session
 * bring-up (fan-out attachment, the counts `ready` carries). The device key
 * alone buys a receive-only socket; the identity key's `unlock` proof over
 * the same nonce lets it send (docs/wire.md). Decides and fetches only; the
 * connection and the session audit, answer and keep the state.
 */
import type { Bytes } from '../../shared/bytes.ts';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { verifyDeviceAuth, verifySocketUnlock } from '../../shared/wire/device-auth.ts';
import type { AuthFrame, UnlockFrame } from '../../shared/wire/frames.ts';
import type { Attachment, DeviceAddress, Fanout, FanoutListener } from '../fanout/fanout.ts';
import { AuthFailure } from '../http/codes.ts';
import type { MessageService } from '../services/messages.ts';
import type { DeviceDirectory } from './context.ts';

export type HandshakeResult =
  | { readonly ok: true; readonly device: DeviceAddress }
  | { readonly ok: false; readonly reason: AuthFailure; readonly error: ParleyError };

/**
 * The nonce a socket was challenged with: it answers one auth frame only,
 * and afterwards the unlock proofs of the same socket (docs/wire.md).
 */
export class Challenge {
  readonly nonce: Bytes;
  #answered = false;

  constructor(nonce: Bytes) {
    this.nonce = nonce;
  }

  /** The nonce for `auth`, once: later calls get undefined. */
  takeForAuth(): Bytes | undefined {
    if (this.#answered) return undefined;
    this.#answered = true;
    return this.nonce;
  }
}

function refused(reason: AuthFailure, message: string): HandshakeResult {
  return { ok: false, reason, error: new ParleyError(ErrorCode.AUTH_FAILED, message, { reason }) };
}

export async function verifyHandshake(
  devices: DeviceDirectory,
  challenge: Challenge,
  frame: AuthFrame,
): Promise<HandshakeResult> {
  const nonce = challenge.takeForAuth();
  if (nonce === undefined) return refused(AuthFailure.CHALLENGE, 'Challenge already answered');
  const key = await devices.deviceKey(frame.user, frame.device);
  if (key === undefined) return refused(AuthFailure.UNKNOWN_DEVICE, 'Unknown device');
  if (!(await verifyDeviceAuth(key, nonce, frame)))
    return refused(AuthFailure.SIGNATURE, 'Signature does not verify');
  return { ok: true, device: { accountId: frame.user, deviceId: frame.device } };
}

/**
 * An `unlock` frame on an authenticated socket: the account's identity key
 * (which the relay holds from registration) over this socket's nonce for
 * this device. A proof made for another socket, or by another identity,
 * does not verify.
 */
export async function verifyUnlock(
  devices: DeviceDirectory,
  challenge: Challenge,
  device: DeviceAddress,
  frame: UnlockFrame,
): Promise<HandshakeResult> {
  const key = await devices.managementKey(device.accountId, device.deviceId);
  if (key === undefined) return refused(AuthFailure.UNKNOWN_DEVICE, 'Unknown device');
  const who = { user: device.accountId, device: device.deviceId };
  if (!(await verifySocketUnlock(key, challenge.nonce, who, frame)))
    return refused(AuthFailure.SIGNATURE, 'Unlock signature does not verify');
  return { ok: true, device };
}

/** Whom the session bring-up talks to (HubContext fits). */
export interface SessionDeps {
  readonly devices: DeviceDirectory;
  readonly fanout: Fanout;
  readonly messages: Pick<MessageService, 'countPending'>;
}

/** An authenticated device, attached to the fan-out, with what `ready` tells it. */
export interface Session {
  readonly attachment: Attachment;
  readonly queued: number;
  readonly oneTimePreKeys: number;
  readonly oneTimeKemPreKeys: number;
  /** False: the device was removed meanwhile; the socket must close as revoked. */
  readonly exists: boolean;
}

/**
 * The bring-up after a verified `auth`: attach to the fan-out (from here on
 * signals for the device reach `listener`), then count the queue and the
 * prekeys and mark the device seen. The existence check comes after
 * attaching: a removal that committed before this point found no holder to
 * revoke, so the socket must learn it here. Undefined when `isLive` turned
 * false meanwhile (the socket closed); the attachment is then released.
 */
export async function openSession(
  deps: SessionDeps,
  device: DeviceAddress,
  connectionId: string,
  listener: FanoutListener,
  isLive: () => boolean,
): Promise<Session | undefined> {
  const attachment = await deps.fanout.attach(device, connectionId, listener);
  if (!isLive()) {
    await attachment.detach();
    return undefined;
  }
  const [queued, counts, exists] = await Promise.all([
    deps.messages.countPending(device),
    deps.devices.prekeyCounts(device.accountId, device.deviceId),
    deps.devices.touch(device.accountId, device.deviceId),
  ]);
  return { attachment, queued, ...counts, exists };
}

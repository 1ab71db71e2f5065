/**
 * The authenticated phase of a socket: the device it speaks for, its frame
 * budget, its rights, and what its frames do (frame-handlers.ts) and what
 * reaches it (delivery-pump.ts). The connection (connection.ts) owns the
 * transport, the handshake and closing; it hands every frame after `auth`
 * here.
 *
 * Rights: the device key alone (usable while the vault is locked, and on disk
 * in a usable form) makes a receive-only session: ack, ping and deliveries.
 * `send`, which writes to others, needs the identity key's `unlock` proof
 * over this socket's challenge first (docs/wire.md); until then it is
 * answered SEND_NOT_ALLOWED and changes nothing.
 */
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import type { AuthFrame, ClientFrame, UnlockFrame } from '../../shared/wire/frames.ts';
import type { DeviceAddress, FanoutSignal } from '../fanout/fanout.ts';
import type { HubContext } from './context.ts';
import { DeliveryPump } from './delivery-pump.ts';
import { chargeSend, handleAck, handleSend, type Sender } from './frame-handlers.ts';
import { type Challenge, verifyUnlock } from './handshake.ts';
import { TransientBudget } from './lifecycle.ts';
import type { Replies } from './replies.ts';
import { encodePong } from './server-frames.ts';

/** A frame the session handles (everything but `auth`). */
export type SessionFrame = Exclude<ClientFrame, AuthFrame>;

/** What the session needs from its connection. */
export interface SessionHooks {
  /** The socket is authenticated and not closed. */
  readonly isOpen: () => boolean;
  /** Bytes the socket has not sent yet. */
  readonly buffered: () => number;
  /** A relay-side failure (logged, answered INTERNAL). */
  readonly failed: (error: unknown) => void;
  /** A bad frame from the client (answered, counted against the error budget). */
  readonly refused: (error: ParleyError) => void;
}

/** Who the session is: the device, where it connects from, and its socket's challenge. */
export interface SessionIdentity {
  readonly device: DeviceAddress;
  readonly ip: string;
  readonly challenge: Challenge;
}

export class DeviceSession implements Sender {
  readonly device: DeviceAddress;
  /** Rate-limit key of the device, built once. */
  readonly limiterKey: string;
  readonly pump: DeliveryPump;
  readonly #ctx: HubContext;
  readonly #replies: Replies;
  readonly #who: SessionIdentity;
  readonly #hooks: SessionHooks;
  /** The identity key's unlock proof verified: the socket may send. */
  #mayWrite = false;

  constructor(ctx: HubContext, who: SessionIdentity, replies: Replies, hooks: SessionHooks) {
    const { device } = who;
    this.#ctx = ctx;
    this.#replies = replies;
    this.#who = who;
    this.#hooks = hooks;
    this.device = device;
    this.limiterKey = `${device.accountId}/${device.deviceId}`;
    const { limit, windowSeconds } = ctx.config.rateLimits.transientPerRecipient;
    this.pump = new DeliveryPump(ctx, device, new TransientBudget(limit, windowSeconds * 1000), {
      isOpen: hooks.isOpen,
      buffered: hooks.buffered,
      send: (bytes, type) => replies.raw(bytes, type),
      drained: () => replies.frame({ t: 'drained' }),
      failed: hooks.failed,
    });
  }

  /**
   * One frame after `auth`: charged to the device's frame budget, then
   * handled. `unlock` is part of the handshake, like `auth` not charged (a
   * bad one counts against the socket's error budget instead).
   */
  async handle(frame: SessionFrame): Promise<void> {
    if (frame.t === 'unlock') return this.#unlock(frame);
    // A writable socket's send charges its frame and copies together; anything else one frame.
    const pending =
      frame.t === 'send' && this.#mayWrite
        ? chargeSend(this.#ctx, this.limiterKey, frame)
        : this.#ctx.frameLimiter.consume(this.limiterKey);
    // In-memory limiters answer synchronously: no await (a microtask per frame) for them.
    const decision = pending instanceof Promise ? await pending : pending;
    if (!decision.allowed) {
      this.#replies.rateLimited(
        decision.retryAfterSeconds,
        frame.t === 'send' ? frame.id : undefined,
      );
      return;
    }
    switch (frame.t) {
      case 'send':
        if (!this.#mayWrite) {
          this.#replies.error(
            new ParleyError(ErrorCode.SEND_NOT_ALLOWED, 'This socket may not send: unlock first'),
            frame.id,
          );
          return;
        }
        return handleSend(this.#ctx, this, frame, this.#replies);
      case 'ack':
        return handleAck(this.#ctx, this.device, frame, this.pump);
      case 'ping':
        this.#replies.raw(encodePong(frame.n), 'pong');
        return;
    }
  }

  /** The identity key's proof over this socket's challenge; nothing answers a good one. */
  async #unlock(frame: UnlockFrame): Promise<void> {
    if (this.#mayWrite) return;
    const { device, ip, challenge } = this.#who;
    const result = await verifyUnlock(this.#ctx.devices, challenge, device, frame);
    if (!result.ok) {
      this.#ctx.audit.authFailure({
        kind: 'ws-unlock',
        code: `${ErrorCode.AUTH_FAILED}:${result.reason}`,
        ip,
        accountId: device.accountId,
        deviceId: device.deviceId,
      });
      this.#hooks.refused(result.error);
      return;
    }
    this.#mayWrite = true;
  }

  /** A fan-out signal that concerns deliveries (the connection handles revocation and replacement). */
  signal(signal: Extract<FanoutSignal, { type: 'queued' | 'transient' }>): void {
    this.pump.signal(signal);
  }
}

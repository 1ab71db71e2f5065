/**
 * The authenticated phase of a socket: the device it speaks for, its frame
 * budget, and what its frames do (frame-handlers.ts) and what reaches it
 * (delivery-pump.ts). The connection (connection.ts) owns the transport, the
 * handshake and closing; it hands every frame after `auth` here.
 */
import type { AuthFrame, ClientFrame } from '../../shared/wire/frames.ts';
import type { DeviceAddress, FanoutSignal } from '../fanout/fanout.ts';
import type { HubContext } from './context.ts';
import { DeliveryPump } from './delivery-pump.ts';
import { handleAck, handleSend, type Sender } from './frame-handlers.ts';
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
}

export class DeviceSession implements Sender {
  readonly device: DeviceAddress;
  /** Rate-limit key of the device, built once. */
  readonly limiterKey: string;
  readonly pump: DeliveryPump;
  readonly #ctx: HubContext;
  readonly #replies: Replies;

  constructor(ctx: HubContext, device: DeviceAddress, replies: Replies, hooks: SessionHooks) {
    this.#ctx = ctx;
    this.#replies = replies;
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

  /** One frame after `auth`: charged to the device's frame budget, then handled. */
  async handle(frame: SessionFrame): Promise<void> {
    const pending = this.#ctx.frameLimiter.consume(this.limiterKey);
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
        return handleSend(this.#ctx, this, frame, this.#replies);
      case 'ack':
        return handleAck(this.#ctx, this.device, frame, this.pump);
      case 'ping':
        this.#replies.raw(encodePong(frame.n), 'pong');
        return;
    }
  }

  /** A fan-out signal that concerns deliveries (the connection handles revocation and replacement). */
  signal(signal: Extract<FanoutSignal, { type: 'queued' | 'transient' }>): void {
    this.pump.signal(signal);
  }
}

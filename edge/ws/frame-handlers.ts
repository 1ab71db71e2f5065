/**
 * What an authenticated socket does with a `send` or an `ack` frame, given
 * the device that sent it. The connection decides whether the frame may be
 * handled at all (authentication, the socket's rights, the frame budget);
 * these only do the work and answer. Errors that are not ParleyErrors are
 * relay faults and propagate to the connection, which answers INTERNAL.
 */
import { ErrorCode, isParleyError } from '../../shared/errors.ts';
import type { AckFrame, SendFrame } from '../../shared/wire/frames.ts';
import type { DeviceAddress } from '../fanout/fanout.ts';
import type { ChargeInOrder, RateDecision, RateLimiter } from '../limits/rate-limiter.ts';
import type { RelayMetrics } from '../observability/metrics.ts';
import type { MessageService } from '../services/messages.ts';
import type { DeliveryPump } from './delivery-pump.ts';
import type { Replies } from './replies.ts';
import { encodeStored } from './server-frames.ts';

const NO_LABELS = Object.freeze({});

export interface FrameHandlerDeps {
  readonly messages: Pick<MessageService, 'send' | 'acknowledge'>;
  readonly metrics: RelayMetrics;
  readonly now: () => number;
}

export interface SendChargeDeps {
  readonly frameLimiter: RateLimiter;
  readonly copyLimiter: RateLimiter;
  readonly chargeInOrder: ChargeInOrder;
}

/** A send's frame token and its copy tokens, charged in that order in one store command. */
export function chargeSend(
  deps: SendChargeDeps,
  limiterKey: string,
  frame: SendFrame,
): RateDecision | Promise<RateDecision> {
  let copies = 0;
  for (const r of frame.to) copies += r.devices.length;
  return deps.chargeInOrder([
    { limiter: deps.frameLimiter, key: limiterKey },
    { limiter: deps.copyLimiter, key: limiterKey, cost: copies },
  ]);
}

/** The device behind a socket, and its rate-limit key (built once at authentication). */
export interface Sender {
  readonly device: DeviceAddress;
  readonly limiterKey: string;
}

/**
 * One send (already charged by chargeSend): stored (or handed to live sockets
 * when transient), answered `stored`, `mismatch` or an error frame naming its id.
 */
export async function handleSend(
  deps: FrameHandlerDeps,
  sender: Sender,
  frame: SendFrame,
  replies: Replies,
): Promise<void> {
  try {
    const outcome = await deps.messages.send(sender.device, frame);
    if (outcome.kind === 'mismatch') {
      deps.metrics.rejections.inc({ code: ErrorCode.DEVICE_MISMATCH });
      replies.frame({ t: 'mismatch', id: frame.id, users: outcome.users });
      return;
    }
    if (!outcome.transient) deps.metrics.stored.inc({}, outcome.copies);
    replies.raw(encodeStored(frame.id, deps.now()), 'stored');
  } catch (error) {
    if (!isParleyError(error)) throw error;
    const retryAfterMs = error.details?.retryAfterMs; // byte and per-recipient quotas
    replies.error(error, frame.id, typeof retryAfterMs === 'number' ? retryAfterMs : undefined);
  }
}

/** Deletes the acknowledged rows (only the device's own) and lets the pump refill the window. */
export async function handleAck(
  deps: FrameHandlerDeps,
  device: DeviceAddress,
  frame: AckFrame,
  pump: DeliveryPump,
): Promise<void> {
  const deleted = await deps.messages.acknowledge(device, frame.qids);
  deps.metrics.acks.inc(NO_LABELS, deleted);
  await pump.acked(frame.qids);
}

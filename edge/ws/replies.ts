/**
 * What a connection writes to its socket: server frames (encoded with the
 * shared codec, or already encoded by server-frames.ts), error frames with
 * clipped messages, each counted in the metrics. Writing to a closed socket
 * does nothing; a socket that throws on write is reported closed.
 */
import type { Bytes } from '../../shared/bytes.ts';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { encodeServerFrame } from '../../shared/wire/codec.ts';
import type { ServerFrame } from '../../shared/wire/frames.ts';
import { ERROR_MESSAGE_MAX_CHARS } from '../../shared/wire/limits.ts';
import type { RelayMetrics } from '../observability/metrics.ts';
import type { RelaySocket } from './socket.ts';

/** One label object per frame type, so the metrics registry can cache its series key. */
const typeLabels = new Map<string, { readonly type: string }>();
export function typeLabel(type: string): { readonly type: string } {
  let labels = typeLabels.get(type);
  if (labels === undefined) {
    labels = Object.freeze({ type });
    typeLabels.set(type, labels);
  }
  return labels;
}

function clip(message: string): string {
  return message.length <= ERROR_MESSAGE_MAX_CHARS
    ? message
    : `${message.slice(0, ERROR_MESSAGE_MAX_CHARS - 1)}…`;
}

export interface ReplyHooks {
  readonly isClosed: () => boolean;
  /** A frame failed to encode (a relay bug): the connection logs it and answers INTERNAL. */
  readonly encodeFailed: (error: unknown) => void;
  /** The socket threw on write: it is gone. */
  readonly sendFailed: () => void;
}

export class Replies {
  readonly #socket: RelaySocket;
  readonly #metrics: RelayMetrics;
  readonly #hooks: ReplyHooks;

  constructor(socket: RelaySocket, metrics: RelayMetrics, hooks: ReplyHooks) {
    this.#socket = socket;
    this.#metrics = metrics;
    this.#hooks = hooks;
  }

  frame(frame: ServerFrame): void {
    if (this.#hooks.isClosed()) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeServerFrame(frame);
    } catch (error) {
      this.#hooks.encodeFailed(error);
      return;
    }
    this.raw(bytes, frame.t);
  }

  /** Bytes already encoded as a frame of `type` (the label it is counted under). */
  raw(bytes: Uint8Array, type: string): void {
    if (this.#hooks.isClosed()) return;
    try {
      this.#socket.send(bytes);
      this.#metrics.framesOut.inc(typeLabel(type));
    } catch {
      this.#hooks.sendFailed();
    }
  }

  error(error: ParleyError, ref?: Bytes, retryAfterMs?: number): void {
    this.#metrics.rejections.inc({ code: error.code });
    this.frame({
      t: 'error',
      code: error.code,
      message: clip(error.message),
      ...(ref === undefined ? {} : { ref }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }

  rateLimited(retryAfterSeconds: number, ref: Bytes | undefined): void {
    this.error(
      new ParleyError(ErrorCode.RATE_LIMITED, 'Rate limit exceeded'),
      ref,
      retryAfterSeconds * 1000,
    );
  }
}

/**
 * The inbound side of a socket: frames are handled strictly one after
 * another, in arrival order (so a device's sends are stored in the order it
 * sent them and an ack never overtakes the delivery it answers), by one loop
 * per burst rather than a promise chain per frame. What waits is bounded in
 * count and bytes: a client that far ahead is flooding.
 */
import { type Bytes, copy } from '../../shared/bytes.ts';
import { ErrorCode, isParleyError, ParleyError } from '../../shared/errors.ts';
import { decodeClientFrame } from '../../shared/wire/codec.ts';
import type { ClientFrame } from '../../shared/wire/frames.ts';
import { FRAME_MAX_BYTES } from '../../shared/wire/limits.ts';

/** Frames received but not yet handled; a client this far ahead is flooding. */
export const MAX_QUEUED_FRAMES = 512;
/** Bytes of those frames: four maximal frames, so a burst of large sends cannot pile up either. */
export const MAX_QUEUED_BYTES = 4 * FRAME_MAX_BYTES;

/** Handles one frame (undefined: a text frame, kept only as a marker). Must not throw. */
export type FrameHandler = (bytes: Uint8Array | undefined) => Promise<void>;

/** What became of a message event offered to the loop. */
export type Arrival =
  | { readonly kind: 'queued' }
  /** Over the count or byte caps: nothing queued; the caller closes the socket. */
  | { readonly kind: 'flood' }
  /** Over `maxBytes`: nothing queued. */
  | { readonly kind: 'too-large'; readonly error: ParleyError };

const QUEUED: Arrival = Object.freeze({ kind: 'queued' });
const FLOOD: Arrival = Object.freeze({ kind: 'flood' });

export class FrameLoop {
  readonly #handle: FrameHandler;
  readonly #inbox: (Uint8Array | undefined)[] = [];
  #working = false;
  #queued = 0;
  #queuedBytes = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(handle: FrameHandler) {
    this.#handle = handle;
  }

  /**
   * A message event as the transport delivered it (binary, or text). Its size
   * is checked on arrival, before it is queued: the runtime has already
   * buffered the message, but the relay keeps no reference to an oversized
   * one. A text frame is queued as a marker (its text is not kept).
   */
  offer(data: unknown, maxBytes: number): Arrival {
    const size = byteSize(data);
    if (size > maxBytes) {
      const error = new ParleyError(ErrorCode.FRAME_TOO_LARGE, `Frame exceeds ${maxBytes} bytes`, {
        size,
        max: maxBytes,
      });
      return { kind: 'too-large', error };
    }
    return this.push(typeof data === 'string' ? undefined : asBytes(data), size) ? QUEUED : FLOOD;
  }

  /**
   * Queues a frame of `size` bytes as received (its bytes, or undefined for
   * a text frame, whose text is not kept). False: over the caps, nothing
   * queued; the caller closes the socket.
   */
  push(bytes: Uint8Array | undefined, size: number): boolean {
    const kept = bytes === undefined ? 0 : size;
    if (++this.#queued > MAX_QUEUED_FRAMES || this.#queuedBytes + kept > MAX_QUEUED_BYTES)
      return false;
    this.#queuedBytes += kept;
    this.#inbox.push(bytes);
    if (!this.#working) this.#chain = this.#work();
    return true;
  }

  /** Settles when the frames queued so far have been handled (graceful shutdown waits for it). */
  get settled(): Promise<void> {
    return this.#chain;
  }

  async #work(): Promise<void> {
    this.#working = true;
    try {
      while (this.#inbox.length > 0) {
        const bytes = this.#inbox.shift();
        this.#queuedBytes -= bytes?.byteLength ?? 0;
        await this.#handle(bytes);
        this.#queued--;
      }
    } finally {
      this.#working = false;
    }
  }
}

/** Socket and database bytes arrive as ArrayBuffer, Buffer or Uint8Array; frames want Bytes. */
function asBytes(value: unknown): Bytes {
  if (value instanceof Uint8Array)
    return value.buffer instanceof ArrayBuffer ? (value as Bytes) : copy(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new Uint8Array(0);
}

/** Bytes of a message event's data (text counts its UTF-16 length: a lower bound, enough to refuse). */
function byteSize(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

/**
 * Decodes one queued frame (undefined: a text frame) within `maxBytes`. A
 * failure is the sender's: the codec's error (one of FRAME_DECODE_ERRORS),
 * or FRAME_MALFORMED for anything that is not a ParleyError.
 */
export function decodeQueued(
  bytes: Uint8Array | undefined,
  maxBytes: number,
): { readonly frame: ClientFrame } | { readonly error: ParleyError } {
  if (bytes === undefined) {
    return {
      error: new ParleyError(
        ErrorCode.FRAME_MALFORMED,
        'Cannot decode frame: text frames are not accepted',
        { reason: 'not binary' },
      ),
    };
  }
  try {
    return { frame: decodeClientFrame(bytes, { maxBytes }) };
  } catch (error) {
    return {
      error: isParleyError(error)
        ? error
        : new ParleyError(ErrorCode.FRAME_MALFORMED, 'Cannot decode frame'),
    };
  }
}

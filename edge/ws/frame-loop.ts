/**
 * The inbound side of a socket: frames are handled strictly one after
 * another, in arrival order (so a device's sends are stored in the order it
 * sent them and an ack never overtakes the delivery it answers), by one loop
 * per burst rather than a promise chain per frame. What waits is bounded in
 * count and bytes: a client that far ahead is flooding.
 */
import { FRAME_MAX_BYTES } from '../../shared/wire/limits.ts';

/** Frames received but not yet handled; a client this far ahead is flooding. */
export const MAX_QUEUED_FRAMES = 512;
/** Bytes of those frames: four maximal frames, so a burst of large sends cannot pile up either. */
export const MAX_QUEUED_BYTES = 4 * FRAME_MAX_BYTES;

/** Handles one frame (undefined: a text frame, kept only as a marker). Must not throw. */
export type FrameHandler = (bytes: Uint8Array | undefined) => Promise<void>;

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

/**
 * The archive body's framing: each frame is BE32(length) ‖ bytes, back to
 * back, so a reader needs no lookahead beyond one frame. Frames are capped
 * (ARCHIVE_MAX_FRAME_BYTES) so a hostile archive cannot make the reader
 * buffer without bound.
 */
import type { ByteSource } from '../byte-streams.ts';
import type { Bytes } from '../bytes.ts';
import { archiveDamaged } from './errors.ts';

export const ARCHIVE_FRAME_LENGTH_BYTES = 4;
/** Largest frame: far above any record the client stores. */
export const ARCHIVE_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Prefixes every frame with its length. */
export async function* encodeFrames(frames: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const frame of frames) {
    if (!(frame instanceof Uint8Array)) throw new TypeError('Archive frame: expected Uint8Array');
    if (frame.length > ARCHIVE_MAX_FRAME_BYTES) {
      throw new RangeError(`Archive frame: at most ${ARCHIVE_MAX_FRAME_BYTES} bytes`);
    }
    const length = new Uint8Array(ARCHIVE_FRAME_LENGTH_BYTES);
    new DataView(length.buffer).setUint32(0, frame.length, false);
    yield length;
    if (frame.length > 0) yield frame;
  }
}

/** Splits a framed byte stream back into frames; ARCHIVE_DAMAGED if it ends inside one. */
export async function* decodeFrames(source: ByteSource): AsyncGenerator<Bytes> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let need = ARCHIVE_FRAME_LENGTH_BYTES;
  let readingLength = true;
  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(need - pendingBytes, chunk.length - offset);
      pending.push(chunk.subarray(offset, offset + take));
      pendingBytes += take;
      offset += take;
      if (pendingBytes < need) break;
      const whole = join(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      if (readingLength) {
        need = new DataView(whole.buffer).getUint32(0, false);
        if (need > ARCHIVE_MAX_FRAME_BYTES) throw archiveDamaged('a frame is too long');
        readingLength = false;
        if (need === 0) {
          yield new Uint8Array(0);
          need = ARCHIVE_FRAME_LENGTH_BYTES;
          readingLength = true;
        }
      } else {
        yield whole;
        need = ARCHIVE_FRAME_LENGTH_BYTES;
        readingLength = true;
      }
    }
  }
  if (pendingBytes > 0 || !readingLength) throw archiveDamaged('the body ends inside a frame');
}

/** One fresh buffer holding `parts` (which the caller no longer touches). */
function join(parts: readonly Uint8Array[], length: number): Bytes {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

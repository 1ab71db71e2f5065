/**
 * Raw DEFLATE (RFC 1951) over byte streams with the platform's
 * CompressionStream, present in Chromium, Node ≥ 20 and Deno. Raw, not gzip:
 * the AEAD around it already authenticates every byte, so gzip's CRC and
 * header would add nothing. The compressed bytes differ between runtimes
 * (Chromium, Node and Deno ship different zlib builds); any of them inflates
 * the others' output, which is all the format needs.
 */
import { type ByteSource, readStream, toReadableStream } from '../byte-streams.ts';

const FORMAT = 'deflate-raw';

// The DOM typings declare the writable side as BufferSource; every chunk here is a Uint8Array.
type ByteTransform = ReadableWritablePair<Uint8Array, Uint8Array>;

export function deflate(source: ByteSource): AsyncGenerator<Uint8Array> {
  const transform = new CompressionStream(FORMAT) as unknown as ByteTransform;
  return readStream(toReadableStream(source).pipeThrough(transform));
}

/** Inflates; a corrupt or cut stream errors (TypeError) while reading. */
export function inflate(source: ByteSource): AsyncGenerator<Uint8Array> {
  const transform = new DecompressionStream(FORMAT) as unknown as ByteTransform;
  return readStream(toReadableStream(source).pipeThrough(transform));
}

/** Small stream helpers for archive tests. */
import { type Bytes, concat } from '../../bytes.ts';

export async function collectBytes(source: AsyncIterable<Uint8Array>): Promise<Bytes> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return concat(...parts);
}

export async function collectFrames(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const frame of source) out.push(frame);
  return out;
}

/** Yields `bytes` in pieces of `size` (a network or file read). */
export async function* piecesOf(bytes: Uint8Array, size = 4096): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.slice(at, at + size);
}

export async function* listOf(items: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* items;
}

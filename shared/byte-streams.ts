/**
 * Byte streams as async iterables: the shape every streaming step of Parley
 * (the streaming AEAD, attachment upload and download) passes around, because
 * async generators compose without the ceremony of TransformStream and run the
 * same in pages, Node and Deno. `ReadableStream` appears only at the edges
 * (a File's `stream()`, a fetch body, what a page consumes).
 */
import type { Bytes } from './bytes.ts';

export type ByteSource = AsyncIterable<Uint8Array>;

/**
 * Reads a ReadableStream chunk by chunk (not `for await` on the stream, which
 * older Chromium lacks); releases the lock when the consumer stops early.
 */
export async function* readStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value.length > 0) yield value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/**
 * A pull-based ReadableStream over an async iterable (one `next()` per pull:
 * backpressure holds). A cancel calls `onCancel` first, which should abort
 * whatever a pending `next()` waits for: the iterable's `return()` runs only
 * after that `next()` settled.
 */
export function toReadableStream(
  source: AsyncIterable<Uint8Array>,
  onCancel?: (reason: unknown) => void,
): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (e) {
        controller.error(e);
      }
    },
    async cancel(reason) {
      onCancel?.(reason);
      await iterator.return?.(reason);
    },
  });
}

/**
 * Cuts a byte stream into pieces of exactly `size` bytes (the first one
 * `firstSize` bytes, when given), the last one shorter (never empty); yields
 * nothing for an empty stream. A piece that lies within one chunk of the
 * source is a view of that chunk (no copy: the attachment pipeline moves
 * hundreds of MB through here, docs/client.md "Attachments"); a piece that
 * spans chunks is a fresh buffer. So a source must not reuse a buffer it
 * yielded (none of Parley's do: files, fetch bodies, WebCrypto and generators
 * hand out fresh ones), and then consumers may keep any piece.
 */
export async function* rechunk(
  source: ByteSource,
  size: number,
  firstSize: number = size,
): AsyncGenerator<Bytes> {
  for (const n of [size, firstSize]) {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('rechunk: sizes must be >= 1');
  }
  /** The size of the piece being cut now. */
  let want = firstSize;
  /** The piece being put together from several chunks. */
  let partial = new Uint8Array(want);
  let fill = 0;
  for await (const chunk of source) {
    let offset = 0;
    if (fill > 0) {
      offset = Math.min(want - fill, chunk.length);
      partial.set(chunk.subarray(0, offset), fill);
      fill += offset;
      if (fill === want) {
        yield partial;
        want = size;
        partial = new Uint8Array(want);
        fill = 0;
      }
    }
    while (chunk.length - offset >= want) {
      yield chunk.subarray(offset, offset + want) as Bytes;
      offset += want;
      if (want !== size) {
        want = size;
        partial = new Uint8Array(want);
      }
    }
    if (offset < chunk.length) {
      partial.set(chunk.subarray(offset), 0);
      fill = chunk.length - offset;
    }
  }
  if (fill > 0) yield partial.slice(0, fill);
}

/** Pairs each item with whether it is the last one (one item of lookahead). */
export async function* withLast<T>(source: AsyncIterable<T>): AsyncGenerator<[T, boolean]> {
  const iterator = source[Symbol.asyncIterator]();
  let current = await iterator.next();
  while (current.done !== true) {
    const next = await iterator.next();
    yield [current.value, next.done === true];
    current = next;
  }
}

/**
 * Takes the first `n` bytes of a stream (fewer if it ends first) and returns
 * them with an iterable of the rest, which continues the same source.
 */
export async function splitHead(
  source: ByteSource,
  n: number,
): Promise<{ head: Bytes; rest: ByteSource }> {
  const iterator = source[Symbol.asyncIterator]();
  const head = new Uint8Array(n);
  let fill = 0;
  let leftover: Uint8Array | undefined;
  while (fill < n) {
    const { done, value } = await iterator.next();
    if (done === true) break;
    const take = Math.min(n - fill, value.length);
    head.set(value.subarray(0, take), fill);
    fill += take;
    if (take < value.length) leftover = value.subarray(take);
  }
  async function* rest(): AsyncGenerator<Uint8Array> {
    if (leftover !== undefined) yield leftover;
    for (;;) {
      const { done, value } = await iterator.next();
      if (done === true) return;
      yield value;
    }
  }
  return { head: fill === n ? head : head.slice(0, fill), rest: rest() };
}

/**
 * Keeps one `next()` of the source in flight while the consumer works on the
 * current item: an upload encrypts chunk i+1 while chunk i is on the wire, a
 * download fetches chunk i+1 while chunk i is decrypted. Holds at most one
 * extra item.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  try {
    for (;;) {
      const result = await pending;
      if (result.done === true) return;
      pending = iterator.next();
      // If the consumer stops before awaiting it, its failure is not news.
      pending.catch(() => undefined);
      yield result.value;
    }
  } finally {
    await iterator.return?.(undefined);
  }
}

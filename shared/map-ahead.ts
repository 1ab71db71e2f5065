/**
 * An ordered, bounded concurrent map over an async iterable: the engine of
 * the attachment pipeline (docs/client.md "Attachments"), where chunk
 * requests and AEAD segments are worth overlapping (network round trips,
 * WebCrypto on its own threads) but must come out in order and must not pile
 * up in memory.
 */

export type MapAheadSource<T> = AsyncIterable<T> | Iterable<T>;

/** One step: the item, its position in the source, and a signal that aborts when the map stops. */
export type MapAheadStep<T, U> = (item: T, index: number, signal: AbortSignal) => Promise<U>;

function iteratorOf<T>(source: MapAheadSource<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in source
    ? source[Symbol.asyncIterator]()
    : (source as Iterable<T>)[Symbol.iterator]();
}

/**
 * Applies `step` to each item of `source` with up to `limit` steps running at
 * once and yields the results in source order.
 *
 * Bound: at most `limit` items are started and not yet moved past by the
 * consumer (running, finished and waiting, or the one just yielded): item
 * i + limit starts only when the consumer asks for the item after i. So a
 * pipeline of 1 MiB chunks holds at most `limit` MiB of them.
 *
 * A failed step fails the map when the consumer reaches that item (earlier
 * results are still yielded first, as a sequential loop would). When the map
 * ends early (a failure, the consumer stopping, `signal` aborting), the
 * signal handed to the running steps aborts, with `signal`'s reason if that
 * is what ended it, and the map settles only after they did (so steps must
 * honour their signal); their outcomes are then ignored.
 */
export async function* mapAhead<T, U>(
  source: MapAheadSource<T>,
  limit: number,
  step: MapAheadStep<T, U>,
  signal?: AbortSignal,
): AsyncGenerator<U> {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError('mapAhead: limit must be >= 1');
  signal?.throwIfAborted();
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const iterator = iteratorOf(source);
  const window: Promise<U>[] = [];
  let started = 0;
  /** 1 while the consumer holds the item just yielded (it counts against the limit). */
  let lent = 0;
  let pulling: Promise<void> | undefined;
  let ended: { error: unknown } | undefined;
  // Pulls the source in the background, one item at a time, while there is
  // room: a finished head is yielded without waiting for a slow source.
  const pump = (): void => {
    if (pulling !== undefined || ended !== undefined || window.length + lent >= limit) return;
    pulling = (async () => {
      try {
        const next = await iterator.next();
        if (stop.signal.aborted) return;
        if (next.done === true) {
          ended = { error: undefined };
          return;
        }
        const running = step(next.value, started++, stop.signal);
        // Reached (and rethrown) in order below, or ignored once the map stopped.
        running.catch(() => undefined);
        window.push(running);
      } catch (e) {
        ended = { error: e };
      } finally {
        pulling = undefined;
      }
      pump();
    })();
  };
  try {
    for (;;) {
      pump();
      const head = window[0];
      if (head === undefined) {
        if (pulling !== undefined) {
          await pulling;
          continue;
        }
        if (ended?.error !== undefined) throw ended.error;
        return;
      }
      const value = await head;
      window.shift();
      lent = 1;
      yield value;
      lent = 0;
      signal?.throwIfAborted();
    }
  } finally {
    stop.abort(signal?.aborted === true ? signal.reason : undefined);
    signal?.removeEventListener('abort', onAbort);
    // Nothing the map started outlives it (a resumed upload must not race an aborted PUT).
    await Promise.allSettled(window);
    await iterator.return?.();
  }
}

/**
 * The worker side of hashing blobs on another thread (digest.ts): a Web
 * Worker in an extension page, a worker thread in Node. Pure message
 * handling over `createBlobDigest`; the worker entry only wires it to its
 * own `postMessage` and message events. Many blobs share one worker, each
 * under the id its page side gave it; requests of one id are handled in the
 * order they came.
 */
import type { Bytes } from '../bytes.ts';
import { type BlobDigest, createBlobDigest } from './digest.ts';

/** Page → worker. `update` carries a buffer the page transferred (no copy on the way). */
export type HashRequest =
  | { readonly type: 'start'; readonly id: number }
  | { readonly type: 'update'; readonly id: number; readonly bytes: Uint8Array }
  | { readonly type: 'finish'; readonly id: number }
  | { readonly type: 'drop'; readonly id: number };

/** Worker → page: `hashed` after each update (its length), then `digest` or `failed`. */
export type HashReply =
  | { readonly type: 'hashed'; readonly id: number; readonly bytes: number }
  | { readonly type: 'digest'; readonly id: number; readonly digest: Bytes }
  | { readonly type: 'failed'; readonly id: number; readonly message: string };

/** Returns the handler for the page's requests; `reply` posts an answer back. */
export function serveHashes(reply: (answer: HashReply) => void): (request: HashRequest) => void {
  const blobs = new Map<number, Promise<BlobDigest>>();
  const failed = (id: number) => (e: unknown) => {
    blobs.delete(id);
    reply({ type: 'failed', id, message: e instanceof Error ? e.message : 'hashing failed' });
  };
  return (request) => {
    const { id } = request;
    if (request.type === 'start') {
      blobs.set(id, createBlobDigest());
      return;
    }
    const blob = blobs.get(id);
    if (request.type === 'drop') {
      blobs.delete(id);
      return;
    }
    if (blob === undefined) {
      failed(id)(new Error('unknown blob'));
      return;
    }
    // Callbacks on one promise run in the order they were added: the blob's order.
    if (request.type === 'update') {
      blob
        .then((hash) => {
          hash.update(request.bytes);
          reply({ type: 'hashed', id, bytes: request.bytes.length });
        })
        .catch(failed(id));
      return;
    }
    blobs.delete(id);
    blob.then((hash) => reply({ type: 'digest', id, digest: hash.digest() })).catch(failed(id));
  };
}

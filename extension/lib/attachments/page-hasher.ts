/**
 * The page's blob hasher for attachment transfers: one Web Worker
 * (hash-worker.ts, built as /hash-worker.js), started on first use and shared by every transfer of the
 * page, so the SHA-256 runs beside the page's work (docs/extension.md
 * "Attachments"). Where a worker cannot start, hashing stays on the page's
 * thread (slower, same result).
 */
import { type BlobHasherFactory, inThreadHasher } from '../../../shared/attachments/digest.ts';
import type { HashReply } from '../../../shared/attachments/hash-service.ts';
import { workerHasher } from '../../../shared/attachments/hash-worker-client.ts';
import { HASH_WORKER_PATH } from './hash-worker.ts';

let shared: BlobHasherFactory | undefined;

function startWorker(): BlobHasherFactory {
  const worker = new Worker(HASH_WORKER_PATH);
  return workerHasher({
    post: (request, transfer) => worker.postMessage(request, transfer),
    listen: (onReply, onBroken) => {
      worker.addEventListener('message', (event: MessageEvent<HashReply>) => onReply(event.data));
      worker.addEventListener('error', (event) => {
        // The next transfer starts a new worker.
        shared = undefined;
        onBroken(event.message || 'hash worker failed');
      });
    },
  });
}

export function pageHasher(): BlobHasherFactory {
  if (shared !== undefined) return shared;
  try {
    shared = typeof Worker === 'undefined' ? inThreadHasher : startWorker();
  } catch {
    shared = inThreadHasher;
  }
  return shared;
}

/**
 * Blob hashing on a Node worker thread, for the benchmark and tests: the same
 * client (hash-worker-client.ts) and service (hash-service.ts) a page runs
 * over a Web Worker, so what they measure is what a page does. The thread
 * loads TypeScript through tsx (hash-worker-entry.mjs), as the bench and the
 * tests do.
 */
import { Worker } from 'node:worker_threads';
import type { BlobHasherFactory } from '../digest.ts';
import type { HashReply } from '../hash-service.ts';
import { workerHasher } from '../hash-worker-client.ts';

export interface NodeHashWorker {
  readonly hasher: BlobHasherFactory;
  /** Ends the thread (blobs in progress fail). */
  close(): Promise<void>;
}

export function startNodeHashWorker(maxQueuedBytes?: number): NodeHashWorker {
  const worker = new Worker(new URL('./hash-worker-entry.mjs', import.meta.url));
  const hasher = workerHasher(
    {
      post: (request, transfer) => worker.postMessage(request, transfer),
      listen: (onReply, onBroken) => {
        worker.on('message', (reply: HashReply) => onReply(reply));
        worker.on('error', (e: unknown) => onBroken(e instanceof Error ? e.message : String(e)));
        worker.on('exit', (code) => onBroken(`hash worker exited (${code})`));
      },
    },
    maxQueuedBytes,
  );
  return {
    hasher,
    close: async () => {
      await worker.terminate();
    },
  };
}

/**
 * The Web Worker that hashes attachment blobs for the page
 * (shared/attachments/hash-service.ts): the SHA-256 of a file being sent or
 * received runs here, beside the page's fetches and WebCrypto calls, not on
 * the page's thread (docs/extension.md "Attachments"). Sees only ciphertext.
 * Built as its own script (entrypoints/hash-worker.ts → /hash-worker.js).
 */
import { type HashRequest, serveHashes } from '../../../shared/attachments/hash-service.ts';

/** The parts of a dedicated worker's global scope this entry uses. */
interface WorkerScope {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<HashRequest>) => void): void;
}

/** Where page-hasher.ts starts the worker: the built entry's path in the extension. */
export const HASH_WORKER_PATH = '/hash-worker.js';

/** Runs in the worker: answers the page's hash requests. */
export function serveHashWorker(): void {
  const scope = globalThis as unknown as WorkerScope;
  const handle = serveHashes((reply) => scope.postMessage(reply));
  scope.addEventListener('message', (event) => handle(event.data));
}

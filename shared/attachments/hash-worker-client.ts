/**
 * The page side of hashing blobs on another thread (hash-service.ts is the
 * worker side): a `BlobHasherFactory` over a message port, so the SHA-256 of
 * an attachment runs beside its transfer instead of on the thread that
 * fetches, encrypts and decrypts (docs/client.md "Attachments"). Runtime
 * agnostic: the platform wraps its worker in a `HashPort` (a Web Worker in
 * an extension page, a worker thread in Node).
 *
 * Each update sends a copy of the bytes (transferred, so copied once), since
 * the caller hands its own on to a PUT or to decryption. At most
 * `maxQueuedBytes` per blob wait in the worker: past that, `update` settles
 * only when the worker caught up, so a slow worker slows the transfer rather
 * than filling memory.
 */
import type { Bytes } from '../bytes.ts';
import { ErrorCode, ParleyError } from '../errors.ts';
import type { BlobHasher, BlobHasherFactory } from './digest.ts';
import type { HashReply, HashRequest } from './hash-service.ts';

/** A worker as the client sees it. */
export interface HashPort {
  post(request: HashRequest, transfer: ArrayBuffer[]): void;
  /**
   * Registers the one listener for the worker's replies, and the one for the
   * worker failing as a whole (it crashed or could not start): every blob
   * it held then fails.
   */
  listen(onReply: (reply: HashReply) => void, onBroken: (message: string) => void): void;
}

/** Default bound on bytes posted to the worker and not yet hashed, per blob. */
export const HASH_QUEUE_BYTES = 4 * 1024 * 1024;

interface BlobState {
  queued: number;
  /** Resolves the update waiting for room, if any. */
  wake: (() => void) | undefined;
  finish: { resolve: (digest: Bytes) => void; reject: (e: unknown) => void } | undefined;
  failure: ParleyError | undefined;
}

function hashFailed(message: string): ParleyError {
  return new ParleyError(ErrorCode.INTERNAL, `Hashing the attachment failed: ${message}`);
}

export function workerHasher(
  port: HashPort,
  maxQueuedBytes: number = HASH_QUEUE_BYTES,
): BlobHasherFactory {
  const blobs = new Map<number, BlobState>();
  let nextId = 1;
  let broken: string | undefined;
  const fail = (state: BlobState, message: string): void => {
    state.failure = hashFailed(message);
    state.finish?.reject(state.failure);
  };
  const wakeIfRoom = (state: BlobState): void => {
    if (state.wake !== undefined && (state.queued <= maxQueuedBytes || state.failure)) {
      const wake = state.wake;
      state.wake = undefined;
      wake();
    }
  };
  const onBroken = (message: string): void => {
    broken = message;
    for (const state of blobs.values()) {
      fail(state, message);
      wakeIfRoom(state);
    }
    blobs.clear();
  };
  port.listen((reply) => {
    const state = blobs.get(reply.id);
    if (state === undefined) return;
    if (reply.type === 'hashed') {
      state.queued -= reply.bytes;
    } else if (reply.type === 'digest') {
      blobs.delete(reply.id);
      state.finish?.resolve(reply.digest);
    } else {
      blobs.delete(reply.id);
      fail(state, reply.message);
    }
    wakeIfRoom(state);
  }, onBroken);
  return async (): Promise<BlobHasher> => {
    const id = nextId++;
    if (broken !== undefined) throw hashFailed(broken);
    const state: BlobState = { queued: 0, wake: undefined, finish: undefined, failure: undefined };
    blobs.set(id, state);
    port.post({ type: 'start', id }, []);
    let done = false;
    return {
      async update(bytes) {
        if (state.failure !== undefined) throw state.failure;
        if (done) throw new RangeError('BlobHasher: update after digest or dispose');
        // A fresh buffer of exactly these bytes (`slice` of a Node Buffer would be a view).
        const copy = new Uint8Array(bytes);
        state.queued += copy.length;
        port.post({ type: 'update', id, bytes: copy }, [copy.buffer]);
        if (state.queued > maxQueuedBytes) {
          await new Promise<void>((resolve) => {
            state.wake = resolve;
          });
          if (state.failure !== undefined) throw state.failure;
        }
      },
      digest() {
        if (done) return Promise.reject(new RangeError('BlobHasher: digest after dispose'));
        done = true;
        if (state.failure !== undefined) return Promise.reject(state.failure);
        const digest = new Promise<Bytes>((resolve, reject) => {
          state.finish = { resolve, reject };
        });
        port.post({ type: 'finish', id }, []);
        return digest;
      },
      dispose() {
        if (done) return;
        done = true;
        blobs.delete(id);
        port.post({ type: 'drop', id }, []);
        state.wake?.();
      },
    };
  };
}

/**
 * One unit of work against the record store: reads see the batch's own staged
 * writes, and `commit` applies every staged operation in ONE store write (all
 * or nothing). In-memory caches are updated only after that write succeeded,
 * so a failed write leaves both the store and the caches as they were.
 *
 * This is how the client keeps its promises: a decrypted message, the session
 * that decrypted it and the dedupe marker land together; an outgoing
 * ciphertext, the outbox entry and the advanced session land together.
 */
import type { RecordStore, StoreOperation } from './store.ts';

export class Batch {
  readonly records: RecordStore;
  readonly #staged = new Map<string, Uint8Array | null>();
  readonly #afterCommit: Array<() => void> = [];
  #committed = false;

  constructor(records: RecordStore) {
    this.records = records;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const staged = this.#staged.get(key);
    if (staged === null) return undefined;
    if (staged !== undefined) return staged;
    return this.records.get(key);
  }

  set(key: string, value: Uint8Array): void {
    this.#staged.set(key, value);
  }

  delete(key: string): void {
    this.#staged.set(key, null);
  }

  apply(op: StoreOperation): void {
    if (op.op === 'set') this.set(op.key, op.value);
    else this.delete(op.key);
  }

  /** Whether `key` is staged (set or delete) in this batch. */
  has(key: string): boolean {
    return this.#staged.has(key);
  }

  /** Runs after a successful commit (cache updates, events). */
  afterCommit(callback: () => void): void {
    this.#afterCommit.push(callback);
  }

  get size(): number {
    return this.#staged.size;
  }

  async commit(): Promise<void> {
    if (this.#committed) throw new Error('Batch committed twice');
    this.#committed = true;
    const ops: StoreOperation[] = [];
    for (const [key, value] of this.#staged) {
      ops.push(value === null ? { op: 'delete', key } : { op: 'set', key, value });
    }
    if (ops.length > 0) await this.records.write(ops);
    for (const callback of this.#afterCommit) callback();
  }
}

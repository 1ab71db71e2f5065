/**
 * Runs jobs one after another, in the order they were queued. The client core
 * funnels every state change through one queue (decrypting, encrypting,
 * receipts, marking read), so read-modify-write on sessions and conversation
 * records never interleaves, and incoming messages are applied in relay order.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /** Queues `job`; the returned promise settles with its result. */
  run<T>(job: () => Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(job);
    this.#tail = result.then(
      () => this.#done(),
      () => this.#done(),
    );
    return result;
  }

  #done(): void {
    this.#pending--;
  }

  /** Jobs queued or running. */
  get pending(): number {
    return this.#pending;
  }

  /** Resolves once everything queued so far has finished. */
  async idle(): Promise<void> {
    while (this.#pending > 0) await this.#tail;
  }
}

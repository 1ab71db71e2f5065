/**
 * One side of a linking rendezvous on the relay (docs/wire.md, "Linking"):
 * post to our own side, poll the other side for its next message, report a
 * failed confirmation, close. A rendezvous that is gone (expired, finished,
 * killed by strikes) is LINK_FAILED `expired`.
 */
import type { Bytes } from '../../bytes.ts';
import { ErrorCode, fail, isParleyError } from '../../errors.ts';
import { LinkSide } from '../../wire/rest-link.ts';
import type { Timers } from '../deps.ts';
import type { RelayApi } from '../relay/relay-api.ts';

/** How often the other side is polled (the relay allows 600 requests a minute per IP). */
export const LINK_POLL_MS = 400;

export interface MailboxMessage {
  readonly seq: number;
  readonly body: Bytes;
}

export interface MailboxDeps {
  readonly api: RelayApi;
  readonly timers: Timers;
  readonly now: () => number;
  readonly pollMs?: number;
}

function expired(): never {
  return fail(ErrorCode.LINK_FAILED, 'The linking rendezvous is gone (expired or ended)', {
    reason: 'expired',
  });
}

export class LinkMailbox {
  readonly rid: string;
  readonly #d: MailboxDeps;
  readonly #own: LinkSide;
  readonly #expiresAt: number;

  constructor(deps: MailboxDeps, rid: string, own: LinkSide, expiresAt: number) {
    this.#d = deps;
    this.rid = rid;
    this.#own = own;
    this.#expiresAt = expiresAt;
  }

  get #other(): LinkSide {
    return this.#own === LinkSide.NEW ? LinkSide.EXISTING : LinkSide.NEW;
  }

  async #gone<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (isParleyError(error, ErrorCode.NOT_FOUND)) expired();
      throw error;
    }
  }

  async post(body: Bytes): Promise<number> {
    const { seq } = await this.#gone(() =>
      this.#d.api.call('linkPost', {
        params: { rid: this.rid, side: this.#own },
        body: { body },
      }),
    );
    return seq;
  }

  /** The other side's messages numbered above `after`, as they are now. */
  async peek(after: number): Promise<readonly MailboxMessage[]> {
    const { messages } = await this.#gone(() =>
      this.#d.api.call('linkRead', { params: { rid: this.rid, side: this.#other, after } }),
    );
    return messages;
  }

  /** Waits for the other side's next message above `after`, until the rendezvous expires. */
  async next(after: number): Promise<MailboxMessage> {
    for (;;) {
      const [first] = await this.peek(after);
      if (first !== undefined) return first;
      if (this.#d.now() >= this.#expiresAt) expired();
      await new Promise<void>((resolve) =>
        this.#d.timers.setTimeout(resolve, this.#d.pollMs ?? LINK_POLL_MS),
      );
    }
  }

  /** Reports a failed confirmation; false once the rendezvous is dead. */
  async strike(): Promise<boolean> {
    try {
      return (await this.#d.api.call('linkStrike', { params: { rid: this.rid }, body: {} })).alive;
    } catch (error) {
      if (isParleyError(error, ErrorCode.NOT_FOUND)) return false;
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.#d.api.call('linkClose', { params: { rid: this.rid } });
  }
}

/**
 * Incoming signals across instances: this instance's subscription to its own
 * channel and to the all-instances channel, what each note means, and the
 * heartbeat that proves the subscription alive. A beat goes to our own
 * channel every interval; when more than three in a row never came back, the
 * subscription is dead without having said so and is renewed. Each (re)start
 * of the subscription asks for a resync (messages published while deaf were
 * missed).
 */
import type { Logger } from '../observability/log.ts';
import type { FanoutSignal } from './fanout.ts';
import type { RedisLink, RedisSubscription } from './redis-link.ts';
import { ALL_CHANNEL, channelOf } from './redis-scripts.ts';
import type { ThrottledWarn } from './throttled-warn.ts';
import { decodeNotes, encodeNotes } from './wire.ts';

/** What the notes on the channels ask of this instance. */
export interface ChannelHandlers {
  /** A signal for the device `key`, if this instance holds it. */
  readonly deliver: (key: string, signal: FanoutSignal) => void;
  /** Connection `previous` no longer holds device `key`: `holder` (on another instance) does. */
  readonly replaced: (key: string, previous: string, holder: string) => void;
  readonly deviceListChanged: (accountId: string) => void;
  /** The subscription is (again) live: every held device must re-read its queue. */
  readonly resync: () => void;
}

export class InstanceChannel {
  readonly #link: RedisLink;
  readonly #channel: string;
  readonly #log: Logger;
  readonly #warn: ThrottledWarn;
  readonly #handlers: ChannelHandlers;
  #subscription: RedisSubscription | undefined;
  #lastBeatSeen = 0;
  #beatsSent = 0;
  #renewing = false;
  #closed = false;

  constructor(
    link: RedisLink,
    instanceId: string,
    log: Logger,
    warn: ThrottledWarn,
    handlers: ChannelHandlers,
  ) {
    this.#link = link;
    this.#channel = channelOf(instanceId);
    this.#log = log;
    this.#warn = warn;
    this.#handlers = handlers;
  }

  async subscribe(): Promise<void> {
    this.#subscription = await this.#link.subscribe([this.#channel, ALL_CHANNEL], {
      message: (channel, message) => this.#receive(channel, message),
      ready: () => {
        this.#lastBeatSeen = this.#beatsSent;
        this.#handlers.resync();
      },
      error: (error) => this.#warn.warn('fanout.subscription_error', error),
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#subscription?.close().catch(() => undefined);
  }

  #receive(channel: string, message: string): void {
    const on = this.#handlers;
    for (const note of decodeNotes(message)) {
      if (channel === ALL_CHANNEL) {
        if (note.t === 'd') on.deviceListChanged(note.account);
        continue;
      }
      switch (note.t) {
        case 'q':
          on.deliver(note.device, { type: 'queued', seq: note.seq });
          break;
        case 'x':
          on.deliver(note.device, { type: 'transient', frame: note.frame });
          break;
        case 'r':
          on.deliver(note.device, { type: 'revoked' });
          break;
        case 'p':
          on.replaced(note.device, note.previous, note.holder);
          break;
        case 'h':
          this.#lastBeatSeen = Math.max(this.#lastBeatSeen, note.n);
          break;
        case 'd':
          break;
      }
    }
  }

  /** Sends one beat; renews the subscription when the last three never came back. */
  async heartbeat(): Promise<void> {
    if (this.#closed) return;
    const n = ++this.#beatsSent;
    try {
      await this.#link.publish(this.#channel, encodeNotes([{ t: 'h', n }]));
    } catch (error) {
      this.#warn.warn('fanout.heartbeat_failed', error);
      return;
    }
    if (n - this.#lastBeatSeen > 3 && !this.#renewing) {
      this.#renewing = true;
      this.#log.warn('fanout.resubscribing', { silentBeats: n - this.#lastBeatSeen });
      try {
        await this.#subscription?.close().catch(() => undefined);
        await this.subscribe();
      } catch (error) {
        this.#warn.warn('fanout.resubscribe_failed', error);
      } finally {
        this.#renewing = false;
      }
    }
  }
}

/**
 * Fan-out across relay instances through Redis (TCP or Upstash REST).
 *
 * Each instance
 *  - records "device D is held by instance I, connection C" under
 *    `parley:fanout:d:<account>/<device>` with a TTL, refreshed while the
 *    socket lives (and re-created if it expired meanwhile);
 *  - listens on its own channel `parley:fanout:i:<instance>` and on
 *    `parley:fanout:all` (device-list changes);
 *  - signals a device by looking up its holder after the queue commit and
 *    publishing to that holder's channel (signals of one event-loop turn are
 *    grouped: one lookup, one publish per instance; signal-router.ts).
 *
 * Keys and scripts: redis-scripts.ts; the subscription and its heartbeat:
 * instance-channel.ts.
 *
 * Why no lost signal can strand a message: a connection claims its key
 * *before* it reads its backlog, and a sender looks the key up *after* its
 * commit. If the lookup sees an older holder, the commit came before the new
 * holder's claim and therefore before its backlog read, which returns the
 * row. Anything else (Redis unreachable, a publish dropped, an instance
 * killed) only delays delivery: every held device is re-read when the
 * subscription comes back, and every `pollMs` anyway. Duplicates are
 * harmless: clients dedupe by message id and the relay deletes on ack.
 */
import { systemNow, systemTimers, type Timers } from '../clock.ts';
import type { Logger } from '../observability/log.ts';
import {
  type Attachment,
  type DeviceAddress,
  deviceKey,
  type Fanout,
  type FanoutListener,
  type FanoutSignal,
} from './fanout.ts';
import { InstanceChannel } from './instance-channel.ts';
import { LocalHolders } from './local-holders.ts';
import type { RedisLink } from './redis-link.ts';
import {
  ALL_CHANNEL,
  CHUNK,
  CLAIM,
  channelOf,
  holderValue,
  REFRESH,
  RELEASE,
  recordKey,
} from './redis-scripts.ts';
import { SignalRouter } from './signal-router.ts';
import { ThrottledWarn } from './throttled-warn.ts';
import { encodeNotes } from './wire.ts';

export interface SharedFanoutOptions {
  readonly link: RedisLink;
  readonly instanceId: string;
  readonly log: Logger;
  /** Lifetime of a holder record; refreshed every ttl/3. */
  readonly holderTtlMs?: number;
  /** Every held device re-reads its queue this often (the safety net for lost publishes). */
  readonly pollMs?: number;
  /** Heartbeat to our own channel; a subscription silent for 3 beats is renewed. */
  readonly heartbeatMs?: number;
  readonly onListenerError?: (error: unknown) => void;
  /** Default to the runtime's. */
  readonly timers?: Timers;
  readonly now?: () => number;
}

export class SharedFanout implements Fanout {
  readonly #link: RedisLink;
  readonly #instance: string;
  readonly #ttlMs: number;
  readonly #pollMs: number;
  readonly #heartbeatMs: number;
  readonly #onListenerError: (error: unknown) => void;
  readonly #holders: LocalHolders;
  readonly #deviceListListeners: ((accountId: string) => void)[] = [];
  readonly #warn: ThrottledWarn;
  readonly #router: SignalRouter;
  readonly #channel: InstanceChannel;
  readonly #clock: Timers;
  #intervals: unknown[] = [];
  #pollCursor = 0;
  #closed = false;

  private constructor(options: SharedFanoutOptions) {
    this.#link = options.link;
    this.#instance = options.instanceId;
    this.#ttlMs = options.holderTtlMs ?? 60_000;
    this.#pollMs = options.pollMs ?? 30_000;
    this.#heartbeatMs = options.heartbeatMs ?? 5_000;
    this.#onListenerError = options.onListenerError ?? (() => {});
    this.#holders = new LocalHolders(this.#onListenerError);
    this.#clock = options.timers ?? systemTimers;
    this.#warn = new ThrottledWarn(options.log, options.now ?? systemNow);
    const deliverLocal = (key: string, signal: FanoutSignal) => this.#deliverLocal(key, signal);
    this.#router = new SignalRouter(this.#link, this.#instance, deliverLocal, this.#warn);
    this.#channel = new InstanceChannel(this.#link, this.#instance, options.log, this.#warn, {
      deliver: deliverLocal,
      replaced: (key, previous, holder) => {
        // Only the named connection was replaced; a newer local holder stays.
        const current = this.#holders.get(key);
        if (current?.connectionId === previous)
          this.#holders.dispatch(current.listener, { type: 'replaced', connectionId: holder });
      },
      deviceListChanged: (accountId) => {
        for (const listener of this.#deviceListListeners) {
          try {
            listener(accountId);
          } catch (error) {
            this.#onListenerError(error);
          }
        }
      },
      resync: () => this.#resync(),
    });
  }

  /** Subscribes before returning, so no signal addressed to this instance is missed after start. */
  static async open(options: SharedFanoutOptions): Promise<SharedFanout> {
    const fanout = new SharedFanout(options);
    // Start even while Redis is unreachable (the client keeps trying); wait a little for it first.
    const subscribed = fanout.#channel.subscribe().then(
      () => true,
      (error: unknown) => {
        fanout.#warn.warn('fanout.subscribe_failed', error);
        return false;
      },
    );
    let timer: unknown;
    const ok = await Promise.race([
      subscribed,
      new Promise<false>((resolve) => {
        timer = fanout.#clock.setTimeout(() => resolve(false), 5000);
      }),
    ]);
    if (timer !== undefined) fanout.#clock.clearTimeout(timer);
    if (!ok) options.log.warn('fanout.not_subscribed', { kind: options.link.kind });
    fanout.#startTimers();
    return fanout;
  }

  get kind(): RedisLink['kind'] {
    return this.#link.kind;
  }

  #value(connectionId: string): string {
    return holderValue(this.#instance, connectionId);
  }

  async attach(
    device: DeviceAddress,
    connectionId: string,
    listener: FanoutListener,
  ): Promise<Attachment> {
    const key = deviceKey(device);
    this.#holders.claim(key, connectionId, listener);
    const value = this.#value(connectionId);
    try {
      const old = await this.#link.eval(CLAIM, [recordKey(key)], [value, String(this.#ttlMs)]);
      if (typeof old === 'string' && old !== value) {
        const [instance, oldConnection] = old.split(' ');
        if (instance !== undefined && oldConnection !== undefined && instance !== this.#instance) {
          await this.#link.publish(
            channelOf(instance),
            encodeNotes([{ t: 'p', device: key, previous: oldConnection, holder: connectionId }]),
          );
        }
      }
    } catch (error) {
      // Reachable from this instance only until the next refresh re-creates the record.
      this.#warn.warn('fanout.claim_failed', error);
    }
    return {
      detach: async () => {
        this.#holders.release(key, connectionId);
        try {
          await this.#link.eval(RELEASE, [recordKey(key)], [value]);
        } catch (error) {
          this.#warn.warn('fanout.release_failed', error); // the record expires by itself
        }
      },
    };
  }

  signal(device: DeviceAddress, signal: FanoutSignal): Promise<void> {
    return this.#router.signal(deviceKey(device), signal);
  }

  #deliverLocal(key: string, signal: FanoutSignal): void {
    const holder = this.#holders.get(key);
    if (holder === undefined) return;
    if (signal.type === 'replaced' && signal.connectionId === holder.connectionId) return;
    this.#holders.dispatch(holder.listener, signal);
  }

  async deviceListChanged(accountId: string): Promise<void> {
    await this.#link.publish(ALL_CHANNEL, encodeNotes([{ t: 'd', account: accountId }]));
  }

  onDeviceListChanged(listener: (accountId: string) => void): void {
    this.#deviceListListeners.push(listener);
  }

  get localCount(): number {
    return this.#holders.size;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#intervals) this.#clock.clearInterval(t);
    this.#intervals = [];
    const held = [...this.#holders].map(([key, h]) => [key, this.#value(h.connectionId)] as const);
    this.#holders.clear();
    for (let i = 0; i < held.length; i += CHUNK) {
      await Promise.all(
        held
          .slice(i, i + CHUNK)
          .map(([key, value]) =>
            this.#link.eval(RELEASE, [recordKey(key)], [value]).catch(() => undefined),
          ),
      );
    }
    await this.#channel.close();
    await this.#link.close();
  }

  /** Every held device reads its queue: whatever was published while we were deaf is found. */
  #resync(): void {
    for (const [key] of this.#holders) this.#deliverLocal(key, { type: 'queued', seq: 0 });
  }

  // -- timers ---------------------------------------------------------------

  #startTimers(): void {
    const every = (ms: number, run: () => void) =>
      this.#intervals.push(this.#clock.setInterval(run, ms));
    every(Math.max(1000, this.#ttlMs / 3), () => void this.#refresh());
    every(this.#heartbeatMs, () => void this.#channel.heartbeat());
    // The poll is spread out: each second a slice of the held devices re-reads its queue.
    every(1000, () => this.#pollSlice());
  }

  async #refresh(): Promise<void> {
    const held = [...this.#holders].map(([key, h]) => ({ key, h }));
    for (let i = 0; i < held.length; i += CHUNK) {
      const chunk = held.slice(i, i + CHUNK);
      try {
        const lost = await this.#link.eval(
          REFRESH,
          chunk.map((c) => recordKey(c.key)),
          [String(this.#ttlMs), ...chunk.map((c) => this.#value(c.h.connectionId))],
        );
        for (const index of Array.isArray(lost) ? lost : []) {
          const entry = chunk[Number(index) - 1];
          // Someone claimed the device after us and we missed the notice: the newer socket wins.
          if (entry !== undefined && this.#holders.get(entry.key) === entry.h)
            this.#holders.dispatch(entry.h.listener, {
              type: 'replaced',
              connectionId: 'elsewhere',
            });
        }
      } catch (error) {
        this.#warn.warn('fanout.refresh_failed', error);
      }
    }
  }

  #pollSlice(): void {
    const slices = Math.max(1, Math.round(this.#pollMs / 1000));
    let i = 0;
    for (const [key] of this.#holders) {
      if ((i++ + this.#pollCursor) % slices === 0)
        this.#deliverLocal(key, { type: 'queued', seq: 0 });
    }
    this.#pollCursor = (this.#pollCursor + 1) % slices;
  }
}

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
 *    grouped: one lookup, one publish per instance).
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
import { setImmediate } from 'node:timers';
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
import { LocalHolders } from './local-holders.ts';
import type { RedisLink, RedisSubscription } from './redis-link.ts';
import { decodeNotes, encodeNote, encodeNotes, type Note } from './wire.ts';

// KEYS[1] device key; ARGV: value, ttlMs. Returns the previous holder (or false).
const CLAIM = `local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return old`;
// Deletes the key only while it still names this holder.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
// ARGV[1] the calling instance, ARGV[2] the channel prefix, ARGV[i + 2] the note (JSON) for
// KEYS[i]. Publishes every note whose device another instance holds, one message per
// instance, and returns the indexes of the rest (held by the caller, or by nobody on record).
const ROUTE = `local self = ARGV[1]
local byInstance = {}
local order = {}
local mine = {}
for i, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  local instance = holder and string.match(holder, '^(%S+) ')
  if not instance or instance == self then
    mine[#mine + 1] = i
  elseif ARGV[i + 2] ~= '' then
    local notes = byInstance[instance]
    if not notes then
      notes = {}
      byInstance[instance] = notes
      order[#order + 1] = instance
    end
    notes[#notes + 1] = ARGV[i + 2]
  end
end
for _, instance in ipairs(order) do
  redis.call('PUBLISH', ARGV[2] .. instance, '[' .. table.concat(byInstance[instance], ',') .. ']')
end
return mine`;
// ARGV[1] ttl, ARGV[i+1] the value for KEYS[i]. Keeps ours alive, restores expired ones,
// and returns the indexes of keys that another holder has taken since.
const REFRESH = `local lost = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v == ARGV[i + 1] then redis.call('PEXPIRE', key, ARGV[1])
  elseif not v then redis.call('SET', key, ARGV[i + 1], 'PX', ARGV[1])
  else lost[#lost + 1] = i end
end
return lost`;

const CHUNK = 500;

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

interface Outgoing {
  readonly key: string;
  readonly signal: FanoutSignal;
  readonly resolve: () => void;
}

const PREFIX = 'parley:fanout';
const ALL = `${PREFIX}:all`;
const recordKey = (key: string) => `${PREFIX}:d:${key}`;
const channelOf = (instance: string) => `${PREFIX}:i:${instance}`;

export class SharedFanout implements Fanout {
  readonly #link: RedisLink;
  readonly #instance: string;
  readonly #channel: string;
  readonly #log: Logger;
  readonly #ttlMs: number;
  readonly #pollMs: number;
  readonly #heartbeatMs: number;
  readonly #onListenerError: (error: unknown) => void;
  readonly #holders: LocalHolders;
  readonly #deviceListListeners: ((accountId: string) => void)[] = [];
  readonly #warnedAt = new Map<string, number>();
  #outgoing: Outgoing[] = [];
  #flushScheduled = false;
  #subscription: RedisSubscription | undefined;
  readonly #clock: Timers;
  readonly #now: () => number;
  #intervals: unknown[] = [];
  #lastBeatSeen = 0;
  #beatsSent = 0;
  #pollCursor = 0;
  #closed = false;
  #renewing = false;

  private constructor(options: SharedFanoutOptions) {
    this.#link = options.link;
    this.#instance = options.instanceId;
    this.#channel = channelOf(options.instanceId);
    this.#log = options.log;
    this.#ttlMs = options.holderTtlMs ?? 60_000;
    this.#pollMs = options.pollMs ?? 30_000;
    this.#heartbeatMs = options.heartbeatMs ?? 5_000;
    this.#onListenerError = options.onListenerError ?? (() => {});
    this.#holders = new LocalHolders(this.#onListenerError);
    this.#clock = options.timers ?? systemTimers;
    this.#now = options.now ?? systemNow;
  }

  /** Subscribes before returning, so no signal addressed to this instance is missed after start. */
  static async open(options: SharedFanoutOptions): Promise<SharedFanout> {
    const fanout = new SharedFanout(options);
    // Start even while Redis is unreachable (the client keeps trying); wait a little for it first.
    const subscribed = fanout.#subscribe().then(
      () => true,
      (error: unknown) => {
        fanout.#warn('fanout.subscribe_failed', error);
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
    return `${this.#instance} ${connectionId}`;
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
      this.#warn('fanout.claim_failed', error);
    }
    return {
      detach: async () => {
        this.#holders.release(key, connectionId);
        try {
          await this.#link.eval(RELEASE, [recordKey(key)], [value]);
        } catch (error) {
          this.#warn('fanout.release_failed', error); // the record expires by itself
        }
      },
    };
  }

  signal(device: DeviceAddress, signal: FanoutSignal): Promise<void> {
    // Rows never ride along here: flushes may overlap, so their order is not the commit order.
    const bare: FanoutSignal =
      signal.type === 'queued' && signal.row !== undefined
        ? { type: 'queued', seq: signal.seq }
        : signal;
    return new Promise((resolve) => {
      this.#outgoing.push({ key: deviceKey(device), signal: bare, resolve });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => {
          this.#flushScheduled = false;
          void this.#flush();
        });
      }
    });
  }

  /** One lookup for every device signalled this turn, then one publish per holding instance. */
  async #flush(): Promise<void> {
    const batch = this.#outgoing;
    this.#outgoing = [];
    if (batch.length === 0) return;
    try {
      for (let i = 0; i < batch.length; i += CHUNK) {
        const chunk = batch.slice(i, i + CHUNK);
        // One round trip: the script looks every holder up and publishes to the other
        // instances itself; it returns the signals that are ours (or unrecorded).
        const local = await this.#link.eval(
          ROUTE,
          chunk.map((o) => recordKey(o.key)),
          [this.#instance, `${PREFIX}:i:`, ...chunk.map((o) => noteText(o.key, o.signal))],
        );
        for (const index of Array.isArray(local) ? local : []) {
          const o = chunk[Number(index) - 1];
          // Ours, or unrecorded (a claim that failed): whoever holds it here gets it.
          if (o !== undefined) this.#deliverLocal(o.key, o.signal);
        }
      }
    } catch (error) {
      // Redis unreachable: local holders still hear about their rows; others catch up by polling.
      this.#warn('fanout.publish_failed', error);
      for (const o of batch) this.#deliverLocal(o.key, o.signal);
    } finally {
      for (const o of batch) o.resolve();
    }
  }

  #deliverLocal(key: string, signal: FanoutSignal): void {
    const holder = this.#holders.get(key);
    if (holder === undefined) return;
    if (signal.type === 'replaced' && signal.connectionId === holder.connectionId) return;
    this.#holders.dispatch(holder.listener, signal);
  }

  async deviceListChanged(accountId: string): Promise<void> {
    await this.#link.publish(ALL, encodeNotes([{ t: 'd', account: accountId }]));
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
    await this.#subscription?.close().catch(() => undefined);
    await this.#link.close();
  }

  // -- incoming -------------------------------------------------------------

  async #subscribe(): Promise<void> {
    this.#subscription = await this.#link.subscribe([this.#channel, ALL], {
      message: (channel, message) => this.#receive(channel, message),
      ready: () => {
        this.#lastBeatSeen = this.#beatsSent;
        this.#resync();
      },
      error: (error) => this.#warn('fanout.subscription_error', error),
    });
  }

  #receive(channel: string, message: string): void {
    for (const note of decodeNotes(message)) {
      if (channel === ALL) {
        if (note.t === 'd') {
          for (const listener of this.#deviceListListeners) {
            try {
              listener(note.account);
            } catch (error) {
              this.#onListenerError(error);
            }
          }
        }
        continue;
      }
      switch (note.t) {
        case 'q':
          this.#deliverLocal(note.device, { type: 'queued', seq: note.seq });
          break;
        case 'x':
          this.#deliverLocal(note.device, { type: 'transient', frame: note.frame });
          break;
        case 'r':
          this.#deliverLocal(note.device, { type: 'revoked' });
          break;
        case 'p': {
          // Only the named connection was replaced; a newer local holder stays.
          const holder = this.#holders.get(note.device);
          if (holder?.connectionId === note.previous)
            this.#holders.dispatch(holder.listener, {
              type: 'replaced',
              connectionId: note.holder,
            });
          break;
        }
        case 'h':
          this.#lastBeatSeen = Math.max(this.#lastBeatSeen, note.n);
          break;
        case 'd':
          break;
      }
    }
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
    every(this.#heartbeatMs, () => void this.#heartbeat());
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
        this.#warn('fanout.refresh_failed', error);
      }
    }
  }

  async #heartbeat(): Promise<void> {
    if (this.#closed) return;
    const n = ++this.#beatsSent;
    try {
      await this.#link.publish(this.#channel, encodeNotes([{ t: 'h', n }]));
    } catch (error) {
      this.#warn('fanout.heartbeat_failed', error);
      return;
    }
    if (n - this.#lastBeatSeen > 3 && !this.#renewing) {
      // Our own beats stopped arriving: the subscription is dead without having said so.
      this.#renewing = true;
      this.#log.warn('fanout.resubscribing', { silentBeats: n - this.#lastBeatSeen });
      try {
        await this.#subscription?.close().catch(() => undefined);
        await this.#subscribe();
      } catch (error) {
        this.#warn('fanout.resubscribe_failed', error);
      } finally {
        this.#renewing = false;
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

  // -- helpers --------------------------------------------------------------

  /** At most one line per event every 5 s: an outage must not flood the log. */
  #warn(event: string, error: unknown): void {
    const now = this.#now();
    const last = this.#warnedAt.get(event) ?? 0;
    if (now - last < 5000) return;
    this.#warnedAt.set(event, now);
    this.#log.warn(event, { error: error instanceof Error ? error.name : 'unknown' });
  }
}

/** The JSON text of the note for a remote holder ('' when the signal never travels). */
function noteText(device: string, signal: FanoutSignal): string {
  const note = toNote(device, signal);
  return note === undefined ? '' : encodeNote(note);
}

function toNote(device: string, signal: FanoutSignal): Note | undefined {
  switch (signal.type) {
    case 'queued':
      return { t: 'q', device, seq: signal.seq };
    case 'transient':
      return { t: 'x', device, frame: signal.frame };
    case 'revoked':
      return { t: 'r', device };
    case 'replaced':
      return undefined; // sent by attach() to the previous holder only
  }
}

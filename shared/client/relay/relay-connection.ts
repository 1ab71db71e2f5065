/**
 * The relay WebSocket as a state machine:
 *
 *   idle --start--> connecting --challenge--> authenticating --ready--> online
 *     ^                 |                          |                      |
 *     |                 +-------- close / timeout / dead socket ----------+
 *     |                                     v
 *     +--stop----------------------- retrying (backoff + jitter, nextRetryAt) --timer--> connecting
 *
 * - Auth: the relay's `challenge` is answered with `auth`, signed by the device key.
 *   That alone makes the socket receive-only (the device key works while the
 *   vault is locked). While unlocked, `unlock` follows right behind `auth`: the
 *   identity key's signature over the same nonce, which lets the socket send
 *   from `ready` on. A vault unlocked on an open socket proves it then
 *   (`unlock()`); `send` frames wait (send() answers false) until proven.
 * - Keepalive: an app-level `ping` every KEEPALIVE_INTERVAL_MS (20 s): the MV3
 *   service worker is kept alive only while WebSocket messages flow within 30 s,
 *   and the relay closes sockets silent for 60 s. A socket that answers nothing
 *   within PONG_TIMEOUT_MS of a ping is dead: it is closed and replaced.
 * - Reconnect: exponential backoff with jitter (backoff.ts); the status carries
 *   the attempt and the time of the next try so a UI can say "retrying in 5 s".
 *   A `ready` resets the schedule. For a couple of minutes after an online
 *   socket is lost (a relay restart or redeploy), retries come every few
 *   seconds; the long schedule is for a relay that stays away. `reconnectNow`
 *   (network back, user action) skips the wait. Rate limiting waits at least
 *   retryAfterMs.
 * - The relay closing with 4002 (this device connected on a newer socket) stops
 *   this connection for good: two copies of one device must not fight.
 *
 * Frames after `ready` are handed to `onFrame` in arrival order; sending is
 * possible only while online.
 */
import type { Random } from '../../crypto/random.ts';
import { ErrorCode, isParleyError } from '../../errors.ts';
import { decodeServerFrame, encodeClientFrame } from '../../wire/codec.ts';
import { createAuthFrame } from '../../wire/device-auth.ts';
import type { ClientFrame, ServerFrame } from '../../wire/frames.ts';
import { AUTH_TIMEOUT_MS, KEEPALIVE_INTERVAL_MS } from '../../wire/limits.ts';
import { randomFraction, type TimerHandle, type Timers } from '../deps.ts';
import { type BackoffPolicy, DEFAULT_BACKOFF, recentlyReachable, retryDelay } from './backoff.ts';
import { SocketUnlock } from './socket-unlock.ts';
import type { Transport, TransportSocket } from './websocket-transport.ts';

/** Why the connection is down, in terms a person can act on. */
export type ConnectionProblem = 'unreachable' | 'rejected' | 'incompatible' | 'rate-limited';

export type ConnectionStatus =
  | { readonly state: 'idle' }
  | { readonly state: 'connecting'; readonly attempt: number }
  | { readonly state: 'online'; readonly since: number }
  | {
      readonly state: 'retrying';
      readonly attempt: number;
      /** Epoch ms of the next attempt. */
      readonly nextRetryAt: number;
      readonly problem: ConnectionProblem;
    }
  /** Another socket of this same device took over (close 4002): not retried. */
  | { readonly state: 'stopped'; readonly reason: 'replaced' }
  /**
   * The relay removed this device (close 4001: unlinked by another device of
   * the account): not retried; the client announces `unlinked`.
   */
  | { readonly state: 'stopped'; readonly reason: 'revoked' };

export const PONG_TIMEOUT_MS = 10_000;

/** Relay close codes (edge/ws/socket.ts, docs/wire.md). */
const Close = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY: 1008,
  TIMEOUT: 4000,
  REVOKED: 4001,
  REPLACED: 4002,
} as const;

export interface DeviceCredentials {
  readonly user: string;
  readonly device: number;
  readonly key: CryptoKey;
}

export interface RelayConnectionOptions {
  /** ws(s)://host/v1/ws */
  readonly url: string;
  readonly transport: Transport;
  readonly timers: Timers;
  readonly now: () => number;
  readonly random: Random;
  readonly credentials: () => Promise<DeviceCredentials>;
  /**
   * The account's identity signing key while the vault is unlocked
   * (undefined while locked): it signs the socket's `unlock` proof.
   */
  readonly unlockKey?: () => CryptoKey | undefined;
  /** The open socket was proven unlocked after `ready`: `send` frames go out from now on. */
  readonly onWritable?: () => void;
  /** Every relay frame after `ready` (ready included), in arrival order. */
  readonly onFrame: (frame: ServerFrame) => void;
  readonly onStatus?: (status: ConnectionStatus) => void;
  /** The socket that was online is gone (frames sent on it may be lost). */
  readonly onDisconnect?: () => void;
  readonly keepaliveMs?: number;
  readonly pongTimeoutMs?: number;
  readonly backoff?: BackoffPolicy;
}

/** http(s)://relay -> ws(s)://relay/v1/ws */
export function relaySocketUrl(relayUrl: string): string {
  const base = relayUrl.replace(/\/+$/, '');
  return `${base.replace(/^http/, 'ws')}/v1/ws`;
}

/** Closes after which reconnecting cannot help: another socket took over, or the device was removed. */
const STOPPING_CLOSES: Readonly<Record<number, 'replaced' | 'revoked'>> = {
  [Close.REPLACED]: 'replaced',
  [Close.REVOKED]: 'revoked',
};

export class RelayConnection {
  readonly #o: RelayConnectionOptions;
  #status: ConnectionStatus = { state: 'idle' };
  #socket: TransportSocket | undefined;
  /** Bumped for every socket, so callbacks of an old socket are ignored. */
  #generation = 0;
  #phase: 'closed' | 'connecting' | 'authenticating' | 'online' = 'closed';
  #attempt = 0;
  #running = false;
  #retryTimer: TimerHandle | undefined;
  #pingTimer: TimerHandle | undefined;
  #deadlineTimer: TimerHandle | undefined;
  #pingCounter = 0;
  #retryAfterMs = 0;
  #lastProblem: ConnectionProblem = 'unreachable';
  /** When the last online socket was lost, while that still counts as recent (backoff.ts). */
  #lostAt: number | undefined;
  /** The current socket's unlock proof (it may send once proven). */
  readonly #unlock: SocketUnlock;

  constructor(options: RelayConnectionOptions) {
    this.#o = options;
    this.#unlock = new SocketUnlock(options.unlockKey);
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  get online(): boolean {
    return this.#phase === 'online';
  }

  /** Online and proven unlocked: `send` frames are accepted. */
  get writable(): boolean {
    return this.#phase === 'online' && this.#unlock.proven;
  }

  /** Connects (if not already) and keeps reconnecting until stop(). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#attempt = 0;
    this.#lostAt = undefined;
    this.#connect();
  }

  /** Closes the socket and cancels retries. */
  stop(): void {
    this.#running = false;
    this.#clearTimers();
    this.#closeSocket(Close.NORMAL, 'client stopping');
    this.#setStatus({ state: 'idle' });
  }

  /** Skip the backoff wait (network came back, an alarm woke the worker). */
  reconnectNow(): void {
    if (!this.#running) {
      this.start();
      return;
    }
    if (this.#phase !== 'closed') return;
    this.#clear('retry');
    this.#connect();
  }

  /** Replaces the socket now (the relay then redelivers everything not acked). */
  recycle(): void {
    if (!this.#running || this.#phase === 'closed') return;
    this.#closeSocket(Close.NORMAL, 'recycling');
  }

  /**
   * Sends a frame if online (and, for `send`, proven unlocked); false
   * otherwise (the caller keeps it for later).
   */
  send(frame: ClientFrame): boolean {
    if (this.#phase !== 'online' || this.#socket === undefined) return false;
    if (frame.t === 'send' && !this.#unlock.proven) return false;
    this.#socket.send(encodeClientFrame(frame));
    return true;
  }

  /**
   * After the vault was unlocked on an open socket: proves it to the relay
   * (identity key over this socket's challenge) so the socket may send.
   * True once the socket is proven; false when offline or still locked.
   */
  async unlock(): Promise<boolean> {
    if (this.#unlock.proven) return this.#phase === 'online';
    if (this.#phase !== 'online') return false;
    const generation = this.#generation;
    const frame = await this.#unlock.proof();
    if (frame === undefined || generation !== this.#generation || !this.#socket) return false;
    if (!this.#unlock.proven) {
      this.#socket.send(encodeClientFrame(frame));
      this.#unlock.markSent();
      this.#o.onWritable?.();
    }
    return true;
  }

  #setStatus(status: ConnectionStatus): void {
    this.#status = status;
    this.#o.onStatus?.(status);
  }

  #connect(): void {
    if (!this.#running) return;
    const generation = ++this.#generation;
    this.#phase = 'connecting';
    this.#unlock.reset();
    this.#attempt++;
    this.#setStatus({ state: 'connecting', attempt: this.#attempt });
    this.#armDeadline(generation, AUTH_TIMEOUT_MS);
    try {
      this.#socket = this.#o.transport(this.#o.url, {
        onOpen: () => {},
        onMessage: (data) => this.#onMessage(generation, data),
        onClose: (code, reason) => this.#onClose(generation, code, reason),
      });
    } catch {
      this.#onClose(generation, 1006, 'cannot open socket');
    }
  }

  #onMessage(generation: number, data: Uint8Array | string): void {
    if (generation !== this.#generation) return;
    if (typeof data === 'string') return; // the relay only sends binary frames
    let frame: ServerFrame;
    try {
      frame = decodeServerFrame(data);
    } catch {
      this.#lastProblem = 'incompatible';
      this.#closeSocket(Close.POLICY, 'bad frame from relay');
      return;
    }
    // Any frame proves the socket is alive. (Pings still go out every interval:
    // the relay and the MV3 worker both count frames the client sends.)
    this.#clear('deadline');
    switch (frame.t) {
      case 'challenge':
        if (this.#phase === 'connecting') void this.#authenticate(generation, frame.nonce);
        return;
      case 'ready':
        if (this.#phase !== 'authenticating') return;
        this.#phase = 'online';
        this.#attempt = 0;
        this.#lostAt = undefined;
        this.#retryAfterMs = 0;
        this.#setStatus({ state: 'online', since: this.#o.now() });
        this.#armPing(generation);
        this.#o.onFrame(frame);
        // Unlocked since `auth` went out (or its proof could not be made then): prove it now.
        if (!this.#unlock.proven) void this.unlock();
        return;
      case 'pong':
        return;
      case 'error':
        if (frame.code === ErrorCode.RATE_LIMITED && frame.ref === undefined) {
          this.#retryAfterMs = Math.max(this.#retryAfterMs, frame.retryAfterMs ?? 0);
          if (this.#phase !== 'online') this.#lastProblem = 'rate-limited';
        }
        if (frame.code === ErrorCode.AUTH_FAILED) this.#lastProblem = 'rejected';
        if (this.#phase === 'online') this.#o.onFrame(frame);
        return;
      default:
        if (this.#phase === 'online') this.#o.onFrame(frame);
    }
  }

  async #authenticate(generation: number, nonce: Uint8Array): Promise<void> {
    this.#phase = 'authenticating';
    try {
      const { user, device, key } = await this.#o.credentials();
      const auth = await createAuthFrame(key, nonce, user, device);
      const challenge = { nonce, user, device };
      const unlock = await this.#unlock.proof(challenge);
      if (generation !== this.#generation || this.#socket === undefined) return;
      this.#unlock.challenged(challenge);
      this.#socket.send(encodeClientFrame(auth));
      // Right behind `auth`: the relay handles a socket's frames in order, so
      // the socket may send from `ready` on, with no round trip in between.
      if (unlock !== undefined) {
        this.#socket.send(encodeClientFrame(unlock));
        this.#unlock.markSent();
      }
      this.#armDeadline(generation, AUTH_TIMEOUT_MS);
    } catch (e) {
      if (generation !== this.#generation) return;
      this.#lastProblem = isParleyError(e) ? 'rejected' : 'incompatible';
      this.#closeSocket(Close.POLICY, 'cannot authenticate');
    }
  }

  #onClose(generation: number, code: number, _reason: string): void {
    if (generation !== this.#generation) return;
    const wasOnline = this.#phase === 'online';
    this.#phase = 'closed';
    this.#socket = undefined;
    this.#clearTimers();
    this.#generation++;
    if (wasOnline) this.#o.onDisconnect?.();
    if (!this.#running) return;
    const stopped = STOPPING_CLOSES[code];
    if (stopped !== undefined) {
      this.#running = false;
      this.#setStatus({ state: 'stopped', reason: stopped });
      return;
    }
    let problem = this.#lastProblem;
    if (code === Close.POLICY && problem !== 'incompatible') problem = 'rejected';
    else if (problem !== 'rate-limited' && problem !== 'incompatible' && problem !== 'rejected') {
      problem = 'unreachable';
    }
    this.#lastProblem = 'unreachable';
    const policy = this.#o.backoff ?? DEFAULT_BACKOFF;
    const now = this.#o.now();
    if (wasOnline) this.#lostAt = now;
    let downForMs = this.#lostAt === undefined ? undefined : now - this.#lostAt;
    if (downForMs !== undefined && !recentlyReachable(downForMs, policy)) {
      // Away for longer than a restart takes: the long schedule starts from its first step.
      this.#lostAt = undefined;
      downForMs = undefined;
      this.#attempt = 1;
    }
    const attempt = wasOnline ? 1 : Math.max(1, this.#attempt);
    let delay = retryDelay(
      { attempt, fraction: randomFraction(this.#o.random), downForMs },
      policy,
    );
    // A clean close after being online (relay restart) retries at once; failures back off.
    if (wasOnline && code !== Close.REVOKED && code !== Close.POLICY)
      delay = Math.min(delay, 1_000);
    if (problem === 'rejected') delay = Math.max(delay, policy.maxMs / 2);
    delay = Math.max(delay, this.#retryAfterMs);
    const nextRetryAt = now + delay;
    this.#setStatus({ state: 'retrying', attempt, nextRetryAt, problem });
    this.#retryTimer = this.#o.timers.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#connect();
    }, delay);
  }

  #armPing(generation: number): void {
    this.#clear('ping');
    this.#pingTimer = this.#o.timers.setTimeout(() => {
      this.#pingTimer = undefined;
      if (generation !== this.#generation || this.#phase !== 'online') return;
      this.#pingCounter = (this.#pingCounter + 1) >>> 0;
      this.#socket?.send(encodeClientFrame({ t: 'ping', n: this.#pingCounter }));
      this.#armDeadline(generation, this.#o.pongTimeoutMs ?? PONG_TIMEOUT_MS);
      this.#armPing(generation);
    }, this.#o.keepaliveMs ?? KEEPALIVE_INTERVAL_MS);
  }

  /** Closes the socket unless some frame arrives within `ms`. */
  #armDeadline(generation: number, ms: number): void {
    if (this.#deadlineTimer !== undefined) return;
    this.#deadlineTimer = this.#o.timers.setTimeout(() => {
      this.#deadlineTimer = undefined;
      if (generation !== this.#generation) return;
      this.#closeSocket(Close.TIMEOUT, 'relay not answering');
    }, ms);
  }

  #clear(which: 'retry' | 'ping' | 'deadline'): void {
    const timers = this.#o.timers;
    if (which === 'retry' && this.#retryTimer !== undefined) {
      timers.clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    if (which === 'ping' && this.#pingTimer !== undefined) {
      timers.clearTimeout(this.#pingTimer);
      this.#pingTimer = undefined;
    }
    if (which === 'deadline' && this.#deadlineTimer !== undefined) {
      timers.clearTimeout(this.#deadlineTimer);
      this.#deadlineTimer = undefined;
    }
  }

  #clearTimers(): void {
    this.#clear('retry');
    this.#clear('ping');
    this.#clear('deadline');
  }

  #closeSocket(code: number, reason: string): void {
    const socket = this.#socket;
    const generation = this.#generation;
    if (socket === undefined) return;
    socket.close(code, reason);
    // If the transport reported no close synchronously, treat the socket as gone now.
    if (generation === this.#generation) this.#onClose(generation, code, reason);
  }
}

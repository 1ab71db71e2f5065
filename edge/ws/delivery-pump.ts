/**
 * The outbound side of an authenticated socket: the delivery window
 * (delivery-window.ts, pure) wired to the queue, the socket and the injected
 * timers. It reads queued rows after the cursor, oldest first, as the window
 * allows; sends a row a fan-out signal carried when the window says no read
 * is needed; reads again after a pause when an announced row was missing;
 * resumes when an ack frees the window or the hub's tick finds the socket
 * drained; and forwards transient copies within their budget (lifecycle.ts).
 */
import type { Timers } from '../clock.ts';
import type { QueueRow } from '../db/queue.ts';
import type { DeviceAddress, FanoutSignal } from '../fanout/fanout.ts';
import type { RelayMetrics } from '../observability/metrics.ts';
import type { MessageService } from '../services/messages.ts';
import { DeliveryWindow } from './delivery-window.ts';
import type { TransientBudget } from './lifecycle.ts';
import { encodeDeliver } from './server-frames.ts';

const BEHIND = Object.freeze({ reason: 'behind' });
const OVER_BUDGET = Object.freeze({ reason: 'budget' });

export interface DeliveryPumpDeps {
  readonly messages: Pick<MessageService, 'pending' | 'writerEpoch'>;
  readonly metrics: RelayMetrics;
  readonly now: () => number;
  readonly timers: Timers;
}

/** What the pump needs from its connection. */
export interface DeliveryPumpHooks {
  /** The socket is authenticated and not closed. */
  readonly isOpen: () => boolean;
  /** Bytes the socket has not sent yet. */
  readonly buffered: () => number;
  /** Writes an encoded frame, counted under `type`. */
  readonly send: (bytes: Uint8Array, type: string) => void;
  /** Tells the client the backlog has been sent. */
  readonly drained: () => void;
  /** A relay-side failure (logged, answered INTERNAL). */
  readonly failed: (error: unknown) => void;
}

export class DeliveryPump {
  readonly #deps: DeliveryPumpDeps;
  readonly #device: DeviceAddress;
  readonly #hooks: DeliveryPumpHooks;
  readonly #transients: TransientBudget;
  readonly #window = new DeliveryWindow();
  #rereadTimer: unknown;

  constructor(
    deps: DeliveryPumpDeps,
    device: DeviceAddress,
    transients: TransientBudget,
    hooks: DeliveryPumpHooks,
  ) {
    this.#deps = deps;
    this.#device = device;
    this.#transients = transients;
    this.#hooks = hooks;
  }

  /** `ready` has gone out: deliver the backlog. */
  start(): Promise<void> {
    this.#window.markReady();
    return this.#pump();
  }

  /** A fan-out signal for this device: a committed row, or a transient copy. */
  signal(signal: Extract<FanoutSignal, { type: 'queued' | 'transient' }>): void {
    if (signal.type === 'transient') {
      if (this.#window.ready) this.#transient(signal.frame);
      return;
    }
    if (this.#window.queued(signal, this.#hooks.buffered()) === 'deliver' && signal.row) {
      this.#deliver(signal.row);
      return;
    }
    this.schedule();
  }

  /** The client acknowledged these rows (already deleted); reads again if that frees the window. */
  async acked(qids: readonly number[]): Promise<void> {
    if (this.#window.acked(qids)) await this.#pump();
  }

  /** The hub's tick: resumes a pump paused on a full socket buffer. */
  resumeIfPaused(): void {
    if (this.#window.needsResume) this.schedule();
  }

  /** The socket closed: no more rereads. */
  stop(): void {
    if (this.#rereadTimer !== undefined) this.#deps.timers.clearTimeout(this.#rereadTimer);
    this.#rereadTimer = undefined;
  }

  schedule(): void {
    this.#pump().catch((error: unknown) => this.#hooks.failed(error));
  }

  /** Best effort: dropped when the socket is behind or past the per-recipient budget (lifecycle.ts). */
  #transient(frame: Uint8Array): void {
    const verdict = this.#transients.take(this.#deps.now(), this.#hooks.buffered());
    if (verdict === 'send') this.#hooks.send(frame, 'deliver');
    else this.#deps.metrics.transientDropped.inc(verdict === 'behind' ? BEHIND : OVER_BUDGET);
  }

  /** The delivery window asked to read again after a pause (an announced row was missing). */
  #rereadAfter(delayMs: number): void {
    this.#rereadTimer = this.#deps.timers.setTimeout(() => {
      this.#rereadTimer = undefined;
      this.#window.rereadDue();
      if (this.#hooks.isOpen()) this.schedule();
    }, delayMs);
  }

  /** Sends queued rows after the cursor, oldest first, as the delivery window allows. */
  async #pump(): Promise<void> {
    if (!this.#window.startPump()) return;
    try {
      do {
        this.#window.startPass();
        await this.#pumpOnce();
      } while (this.#window.passAgain && this.#hooks.isOpen());
    } finally {
      this.#window.endPump();
    }
  }

  async #pumpOnce(): Promise<void> {
    if (!this.#window.ready) return;
    const { messages } = this.#deps;
    while (this.#hooks.isOpen()) {
      const step = this.#window.nextRead(this.#hooks.buffered());
      if (step.kind !== 'read') return;
      // No commit can run between this read of the epoch and the (synchronous) query.
      const epoch = messages.writerEpoch;
      const rows = await messages.pending(this.#device, step.after, step.limit);
      for (const row of rows) this.#deliver(row);
      const outcome = this.#window.readDone(rows.length, step.limit, epoch);
      if (outcome.kind === 'more') continue;
      if (outcome.rereadInMs !== undefined) this.#rereadAfter(outcome.rereadInMs);
      break;
    }
    if (this.#hooks.isOpen() && this.#window.takeDrained()) this.#hooks.drained();
  }

  #deliver(row: QueueRow): void {
    if (!this.#hooks.isOpen() || !this.#window.take(row.seq)) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeDeliver({
        qid: row.seq,
        id: row.clientMessageId,
        from: row.senderAccount,
        fromDevice: row.senderDevice,
        body: row.ciphertext,
        sentAt: row.createdAt,
        ...(row.senderExpiresAt === null ? {} : { expiresAt: row.senderExpiresAt }),
      });
    } catch (error) {
      this.#window.untake(row.seq);
      this.#hooks.failed(error);
      return;
    }
    this.#hooks.send(bytes, 'deliver');
    const { metrics, now } = this.#deps;
    metrics.deliveries.inc();
    metrics.deliveryLatency.observe(Math.max(0, now() - row.createdAt) / 1000);
  }
}

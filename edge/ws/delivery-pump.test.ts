/**
 * The delivery pump with a fake queue and injected timers: no socket, no
 * database, no sleeping. (The window's own decisions are tabled in
 * delivery-window.test.ts; this checks the wiring: reads, sends, drained,
 * rereads on the injected timer, transient copies.)
 */
import { describe, expect, it } from 'vitest';
import { decodeServerFrame } from '../../shared/wire/codec.ts';
import type { Timers } from '../clock.ts';
import type { QueueRow } from '../db/queue.ts';
import { RelayMetrics } from '../observability/metrics.ts';
import { DeliveryPump } from './delivery-pump.ts';
import { DELIVERY_BATCH, REREAD_DELAYS_MS } from './delivery-window.ts';
import { TransientBudget } from './lifecycle.ts';
import { encodeDeliver } from './server-frames.ts';

const DEVICE = { accountId: '0b5f3a2e-9c1d-4e8f-a7b6-5d4c3b2a1f00', deviceId: 1 };
const SENDER = 'c2a4e6f8-1b3d-4f5a-8c7e-9d0b1a2c3e4f';

/** Timers that run only when the test says so. */
class ManualTimers implements Timers {
  readonly pending = new Map<number, { readonly ms: number; readonly run: () => void }>();
  #next = 1;
  setTimeout(run: () => void, ms: number): unknown {
    const id = this.#next++;
    this.pending.set(id, { ms, run });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  setInterval(): unknown {
    throw new Error('the pump sets no interval');
  }
  clearInterval(): void {}
  /** Runs every timer set so far; returns their delays. */
  fire(): number[] {
    const due = [...this.pending.entries()];
    this.pending.clear();
    for (const [, t] of due) t.run();
    return due.map(([, t]) => t.ms);
  }
}

function row(seq: number): QueueRow {
  return {
    seq,
    recipientAccount: DEVICE.accountId,
    recipientDevice: DEVICE.deviceId,
    senderAccount: SENDER,
    senderDevice: 2,
    clientMessageId: new Uint8Array(16).fill(seq),
    ciphertext: new Uint8Array([seq]),
    createdAt: 1_000,
    expiresAt: 100_000,
    senderExpiresAt: null,
  };
}

function setup(options: { epoch?: number; transientLimit?: number } = {}) {
  const rows: QueueRow[] = [];
  const reads: { after: number; limit: number }[] = [];
  const sent: { type: string; bytes: Uint8Array }[] = [];
  const timers = new ManualTimers();
  const metrics = new RelayMetrics();
  let drained = 0;
  let open = true;
  const buffered = { value: 0 };
  const pump = new DeliveryPump(
    {
      messages: {
        writerEpoch: options.epoch,
        pending: async (_device, after, limit) => {
          reads.push({ after, limit });
          return rows.filter((r) => r.seq > after).slice(0, limit);
        },
      },
      metrics,
      now: () => 2_000,
      timers,
    },
    DEVICE,
    new TransientBudget(options.transientLimit ?? 100, 10_000),
    {
      isOpen: () => open,
      buffered: () => buffered.value,
      send: (bytes, type) => sent.push({ type, bytes }),
      drained: () => drained++,
      failed: (error) => {
        throw error;
      },
    },
  );
  const delivered = () =>
    sent
      .filter((s) => s.type === 'deliver')
      .map((s) => decodeServerFrame(s.bytes))
      .map((f) => (f.t === 'deliver' ? f.qid : undefined));
  return {
    rows,
    reads,
    sent,
    timers,
    metrics,
    pump,
    buffered,
    delivered,
    drainedCount: () => drained,
    close: () => {
      open = false;
    },
  };
}

/** Lets the pump's awaited reads finish. */
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('delivery pump', () => {
  it('sends the backlog in batches, oldest first, then drained once', async () => {
    const t = setup();
    for (let seq = 1; seq <= DELIVERY_BATCH + 3; seq++) t.rows.push(row(seq));
    await t.pump.start();
    expect(t.delivered()).toEqual(t.rows.map((r) => r.seq));
    expect(t.reads).toEqual([
      { after: 0, limit: DELIVERY_BATCH },
      { after: DELIVERY_BATCH, limit: DELIVERY_BATCH },
    ]);
    expect(t.drainedCount()).toBe(1);
    expect(t.metrics.deliveries.get({})).toBe(DELIVERY_BATCH + 3);
  });

  it('reads again on the injected timer when an announced row is not there yet', async () => {
    const t = setup();
    await t.pump.start();
    t.pump.signal({ type: 'queued', seq: 1 });
    await settle();
    expect(t.delivered()).toEqual([]);
    // The window asked for a pause before reading again: a timer, not a sleep.
    expect([...t.timers.pending.values()].map((p) => p.ms)).toEqual([REREAD_DELAYS_MS[0]]);
    t.rows.push(row(1));
    t.timers.fire();
    await settle();
    expect(t.delivered()).toEqual([1]);
    expect(t.timers.pending.size).toBe(0);
  });

  it('stop() cancels a pending reread', async () => {
    const t = setup();
    await t.pump.start();
    t.pump.signal({ type: 'queued', seq: 5 });
    await settle();
    expect(t.timers.pending.size).toBe(1);
    t.pump.stop();
    expect(t.timers.pending.size).toBe(0);
  });

  it('sends a row the signal carries without reading it back, only while the writer epoch holds', async () => {
    const t = setup({ epoch: 7 });
    await t.pump.start();
    const readsAfterStart = t.reads.length;
    t.pump.signal({ type: 'queued', seq: 1, row: row(1), epoch: 7 });
    expect(t.delivered()).toEqual([1]);
    expect(t.reads).toHaveLength(readsAfterStart);
    // Another writer committed since the last read (epoch 8): it must read instead.
    t.rows.push(row(2));
    t.pump.signal({ type: 'queued', seq: 2, row: row(2), epoch: 8 });
    await settle();
    expect(t.reads.length).toBeGreaterThan(readsAfterStart);
    expect(t.delivered()).toEqual([1, 2]);
  });

  it('forwards transient copies only after start, within the budget, and not when behind', async () => {
    const t = setup({ transientLimit: 2 });
    const frame = encodeDeliver({
      id: new Uint8Array(16),
      from: SENDER,
      fromDevice: 2,
      body: new Uint8Array([1]),
      sentAt: 1_000,
    });
    t.pump.signal({ type: 'transient', frame });
    expect(t.sent).toHaveLength(0); // `ready` has not gone out yet
    await t.pump.start();
    t.buffered.value = 1024 * 1024;
    t.pump.signal({ type: 'transient', frame });
    expect(t.metrics.transientDropped.get({ reason: 'behind' })).toBe(1);
    t.buffered.value = 0;
    for (let i = 0; i < 3; i++) t.pump.signal({ type: 'transient', frame });
    expect(t.sent.filter((s) => s.type === 'deliver')).toHaveLength(2);
    expect(t.metrics.transientDropped.get({ reason: 'budget' })).toBe(1);
  });

  it('does nothing once the socket is closed', async () => {
    const t = setup();
    t.rows.push(row(1));
    t.close();
    await t.pump.start();
    expect(t.sent).toHaveLength(0);
    expect(t.drainedCount()).toBe(0);
  });
});

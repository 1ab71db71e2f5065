/**
 * The delivery window, table-driven: each case is a sequence of inputs (a
 * read's result, a signal, an ack, the socket's buffered bytes) and the
 * action expected after each. No socket, database or clock.
 */
import { describe, expect, it } from 'vitest';
import {
  DELIVERY_BATCH,
  DELIVERY_WINDOW,
  DeliveryWindow,
  MAX_BUFFERED_BYTES,
  type QueuedSignal,
  REREAD_DELAYS_MS,
  type ReadOutcome,
  type ReadStep,
} from './delivery-window.ts';

type Step =
  | { readonly ready: true }
  | { readonly startPump: boolean }
  | { readonly startPass: true }
  | { readonly endPump: { readonly again: boolean } }
  | { readonly nextRead: ReadStep; readonly buffered?: number }
  /** Rows `from..to` came back from a read of at most `limit`. */
  | {
      readonly rows: readonly [number, number] | [];
      readonly limit: number;
      readonly epoch?: number;
      readonly outcome: ReadOutcome;
      readonly sent?: number;
    }
  | {
      readonly signal: QueuedSignal;
      readonly buffered?: number;
      readonly action: 'deliver' | 'read';
    }
  | { readonly take: number; readonly sent: boolean }
  | { readonly untake: number }
  | { readonly acked: readonly number[]; readonly readAgain: boolean }
  | { readonly drained: boolean }
  | { readonly rereadDue: true }
  | { readonly needsResume: boolean }
  | { readonly expect: { readonly cursor?: number; readonly unacked?: number } };

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function run(steps: readonly Step[]): void {
  const window = new DeliveryWindow();
  steps.forEach((step, i) => {
    const at = `step ${i}: ${JSON.stringify(step)}`;
    if ('ready' in step) window.markReady();
    else if ('startPump' in step) expect(window.startPump(), at).toBe(step.startPump);
    else if ('startPass' in step) window.startPass();
    else if ('endPump' in step) {
      expect(window.passAgain, at).toBe(step.endPump.again);
      window.endPump();
    } else if ('nextRead' in step)
      expect(window.nextRead(step.buffered ?? 0), at).toEqual(step.nextRead);
    else if ('rows' in step) {
      const seqs = step.rows.length === 0 ? [] : range(step.rows[0], step.rows[1]);
      const sent = seqs.filter((seq) => window.take(seq)).length;
      expect(sent, at).toBe(step.sent ?? seqs.length);
      expect(window.readDone(seqs.length, step.limit, step.epoch), at).toEqual(step.outcome);
    } else if ('signal' in step)
      expect(window.queued(step.signal, step.buffered ?? 0), at).toBe(step.action);
    else if ('take' in step) expect(window.take(step.take), at).toBe(step.sent);
    else if ('untake' in step) window.untake(step.untake);
    else if ('acked' in step) expect(window.acked(step.acked), at).toBe(step.readAgain);
    else if ('drained' in step) expect(window.takeDrained(), at).toBe(step.drained);
    else if ('rereadDue' in step) window.rereadDue();
    else if ('needsResume' in step) expect(window.needsResume, at).toBe(step.needsResume);
    else {
      if (step.expect.cursor !== undefined) expect(window.cursor, at).toBe(step.expect.cursor);
      if (step.expect.unacked !== undefined) expect(window.unacked, at).toBe(step.expect.unacked);
    }
  });
}

const read = (after: number, limit = DELIVERY_BATCH): ReadStep => ({ kind: 'read', after, limit });
const MORE: ReadOutcome = { kind: 'more' };
const DONE: ReadOutcome = { kind: 'done' };
const PAUSED: ReadStep = { kind: 'paused' };
const FULL: ReadStep = { kind: 'full' };

/** Ready, one pump over an empty queue at epoch 7: caught up, drained said. */
const caughtUp: readonly Step[] = [
  { ready: true },
  { startPump: true },
  { startPass: true },
  { nextRead: read(0) },
  { rows: [], limit: DELIVERY_BATCH, epoch: 7, outcome: DONE },
  { drained: true },
  { endPump: { again: false } },
];

const cases: [string, readonly Step[]][] = [
  [
    'reads the backlog in batches, says drained once at its end',
    [
      { ready: true },
      { startPump: true },
      { startPass: true },
      { nextRead: read(0) },
      { rows: [1, 64], limit: 64, outcome: MORE },
      { drained: false },
      { nextRead: read(64) },
      { rows: [65, 70], limit: 64, epoch: 1, outcome: DONE },
      { drained: true },
      { drained: false },
      { expect: { cursor: 70, unacked: 70 } },
    ],
  ],
  [
    'never sends a row twice nor out of order (the cursor only grows)',
    [
      { take: 5, sent: true },
      { take: 5, sent: false },
      { take: 3, sent: false },
      { take: 6, sent: true },
      { expect: { cursor: 6, unacked: 2 } },
    ],
  ],
  [
    'a row that failed to encode gives its slot back but not its place',
    [
      { take: 1, sent: true },
      { untake: 1 },
      { take: 1, sent: false },
      { expect: { cursor: 1, unacked: 0 } },
    ],
  ],
  [
    'keeps at most the window unacknowledged; an ack resumes reading',
    [
      { ready: true },
      { startPump: true },
      { startPass: true },
      { nextRead: read(0) },
      { rows: [1, 64], limit: 64, outcome: MORE },
      { nextRead: read(64) },
      { rows: [65, 128], limit: 64, outcome: MORE },
      { nextRead: read(128) },
      { rows: [129, 192], limit: 64, outcome: MORE },
      { nextRead: read(192) },
      { rows: [193, 256], limit: 64, outcome: MORE },
      { nextRead: FULL },
      { expect: { unacked: DELIVERY_WINDOW } },
      { endPump: { again: false } },
      { acked: [1, 2, 3], readAgain: true },
      { startPump: true },
      { startPass: true },
      { nextRead: read(256, 3) },
    ],
  ],
  [
    'a caught-up socket is not read again on an ack',
    [...caughtUp, { take: 1, sent: true }, { acked: [1], readAgain: false }],
  ],
  [
    'pauses over the back-pressure mark; the tick resumes it, and it reads from where it was',
    [
      ...caughtUp,
      { startPump: true },
      { startPass: true },
      { nextRead: PAUSED, buffered: MAX_BUFFERED_BYTES + 1 },
      { needsResume: false },
      { endPump: { again: false } },
      { needsResume: true },
      { startPump: true },
      { startPass: true },
      { nextRead: read(0), buffered: MAX_BUFFERED_BYTES },
      { needsResume: false },
    ],
  ],
  [
    're-entrant pumps fold into one more pass',
    [
      { ready: true },
      { startPump: true },
      { startPass: true },
      { startPump: false },
      { startPump: false },
      { endPump: { again: true } },
      { startPump: true },
      { startPass: true },
      { endPump: { again: false } },
    ],
  ],
  [
    'sends a signalled row directly when caught up at the same writer epoch',
    [...caughtUp, { signal: { seq: 1, row: { seq: 1 }, epoch: 7 }, action: 'deliver' }],
  ],
  [
    'reads instead when another writer committed since (epoch changed or unknown)',
    [
      ...caughtUp,
      { signal: { seq: 1, row: { seq: 1 }, epoch: 8 }, action: 'read' },
      { signal: { seq: 1, row: { seq: 1 } }, action: 'read' },
      { signal: { seq: 1 }, action: 'read' },
    ],
  ],
  [
    'reads instead before ready, before drained, while reading, or when behind',
    [
      { signal: { seq: 1, row: { seq: 1 }, epoch: 0 }, action: 'read' },
      { ready: true },
      { startPump: true },
      { startPass: true },
      { nextRead: read(0) },
      { rows: [1, 1], limit: 64, epoch: 7, outcome: DONE }, // the announced row
      { signal: { seq: 2, row: { seq: 2 }, epoch: 7 }, action: 'read' }, // drained not said yet
      { drained: true },
      { signal: { seq: 2, row: { seq: 2 }, epoch: 7 }, action: 'read' }, // still pumping
      { endPump: { again: false } },
      {
        signal: { seq: 2, row: { seq: 2 }, epoch: 7 },
        buffered: MAX_BUFFERED_BYTES + 1,
        action: 'read',
      },
      { signal: { seq: 2, row: { seq: 2 }, epoch: 7 }, action: 'deliver' },
    ],
  ],
  [
    'reads instead with a full window, or for a row already sent',
    [
      ...caughtUp,
      ...range(1, DELIVERY_WINDOW).map((seq): Step => ({ take: seq, sent: true })),
      { signal: { seq: 257, row: { seq: 257 }, epoch: 7 }, action: 'read' },
      { acked: [1], readAgain: false },
      { signal: { seq: 256, row: { seq: 256 }, epoch: 7 }, action: 'read' },
      { signal: { seq: 257, row: { seq: 257 }, epoch: 7 }, action: 'deliver' },
    ],
  ],
  [
    'an announced row missing from the read: reads again with growing pauses, then gives up',
    [
      ...caughtUp,
      { signal: { seq: 3 }, action: 'read' },
      ...REREAD_DELAYS_MS.flatMap((delay): Step[] => [
        { startPump: true },
        { startPass: true },
        { nextRead: read(0) },
        { rows: [], limit: 64, epoch: 7, outcome: { kind: 'done', rereadInMs: delay } },
        { endPump: { again: false } },
        { rereadDue: true },
      ]),
      { startPump: true },
      { startPass: true },
      { nextRead: read(0) },
      { rows: [], limit: 64, epoch: 7, outcome: DONE }, // dropped: the row expired
      { startPass: true },
      { nextRead: read(0) },
      { rows: [], limit: 64, epoch: 7, outcome: DONE }, // and caught up again
      { endPump: { again: false } },
      { signal: { seq: 9, row: { seq: 9 }, epoch: 7 }, action: 'deliver' },
    ],
  ],
  [
    'one pause at a time: reads while one is pending ask for no other',
    [
      ...caughtUp,
      { signal: { seq: 3 }, action: 'read' },
      { startPump: true },
      { startPass: true },
      { nextRead: read(0) },
      { rows: [], limit: 64, outcome: { kind: 'done', rereadInMs: REREAD_DELAYS_MS[0] ?? 0 } },
      { startPass: true },
      { nextRead: read(0) },
      { rows: [], limit: 64, outcome: DONE },
      { endPump: { again: false } },
      { rereadDue: true },
      { startPump: true },
      { startPass: true },
      { nextRead: read(0) },
      { rows: [], limit: 64, outcome: { kind: 'done', rereadInMs: REREAD_DELAYS_MS[1] ?? 0 } },
    ],
  ],
  [
    'the announced row shows up: caught up, and the pauses start over next time',
    [
      ...caughtUp,
      { signal: { seq: 2 }, action: 'read' },
      { startPump: true },
      { startPass: true },
      { nextRead: read(0) },
      { rows: [1, 1], limit: 64, outcome: { kind: 'done', rereadInMs: REREAD_DELAYS_MS[0] ?? 0 } },
      { endPump: { again: false } },
      { rereadDue: true },
      { startPump: true },
      { startPass: true },
      { nextRead: read(1) },
      { rows: [2, 2], limit: 64, epoch: 9, outcome: DONE },
      { endPump: { again: false } },
      { signal: { seq: 4 }, action: 'read' },
      { startPump: true },
      { startPass: true },
      { nextRead: read(2) },
      { rows: [], limit: 64, outcome: { kind: 'done', rereadInMs: REREAD_DELAYS_MS[0] ?? 0 } },
    ],
  ],
];

describe('DeliveryWindow', () => {
  it.each(cases)('%s', (_name, steps) => run(steps));
});

import { describe, expect, it } from 'vitest';
import { MAX_BUFFERED_BYTES } from './delivery-window.ts';
import {
  Lifecycle,
  type TickVerdict,
  TRANSIENT_MAX_BUFFERED_BYTES,
  TransientBudget,
} from './lifecycle.ts';

const limits = { authTimeoutMs: 10_000, idleTimeoutMs: 60_000, slowSocketMs: 5_000 };
const OVER = MAX_BUFFERED_BYTES + 1;

type Tick = readonly [now: number, authenticated: boolean, buffered: number, verdict: TickVerdict];

const cases: [string, readonly (Tick | { readonly frameAt: number })[]][] = [
  ['keeps a fresh socket', [[1_000, false, 0, 'keep']]],
  [
    'closes one not authenticated in time',
    [
      [10_000, false, 0, 'keep'],
      [10_001, false, 0, 'auth-timeout'],
    ],
  ],
  ['the auth timeout no longer applies once authenticated', [[10_001, true, 0, 'keep']]],
  [
    'closes one silent past the idle timeout; any frame resets it',
    [
      { frameAt: 50_000 },
      [60_001, true, 0, 'keep'],
      [110_000, true, 0, 'keep'],
      [110_001, true, 0, 'idle'],
    ],
  ],
  [
    'closes one kept over the back-pressure mark too long',
    [
      [1_000, true, OVER, 'keep'],
      [6_000, true, OVER, 'keep'],
      [6_001, true, OVER, 'too-slow'],
    ],
  ],
  [
    'a socket that catches up starts the slow-socket clock over',
    [
      [1_000, true, OVER, 'keep'],
      [5_000, true, MAX_BUFFERED_BYTES, 'keep'],
      [6_001, true, OVER, 'keep'],
      [11_001, true, OVER, 'keep'],
      [11_002, true, OVER, 'too-slow'],
    ],
  ],
];

describe('Lifecycle', () => {
  it.each(cases)('%s', (_name, steps) => {
    const lifecycle = new Lifecycle(limits, 0);
    for (const step of steps) {
      if ('frameAt' in step) lifecycle.frameReceived(step.frameAt);
      else expect(lifecycle.tick(step[0], step[1], step[2]), JSON.stringify(step)).toBe(step[3]);
    }
  });
});

describe('TransientBudget', () => {
  it('sends up to the limit per window, then drops until the next window', () => {
    const budget = new TransientBudget(2, 1_000);
    expect([0, 1, 2, 999, 1_000, 1_001].map((now) => budget.take(now, 0))).toEqual([
      'send',
      'send',
      'budget',
      'budget',
      'send',
      'send',
    ]);
  });

  it('drops when the socket is behind, without spending the budget', () => {
    const budget = new TransientBudget(1, 1_000);
    expect(budget.take(0, TRANSIENT_MAX_BUFFERED_BYTES + 1)).toBe('behind');
    expect(budget.take(0, TRANSIENT_MAX_BUFFERED_BYTES)).toBe('send');
  });
});

import { describe, expect, it } from 'vitest';
import { dayLabel, relayNotice, retryIn, sameDay, unreadLabel } from './format.ts';

const now = new Date(2025, 2, 12, 15, 30).getTime();

describe('relay notices', () => {
  it('say what is wrong and when the next try is', () => {
    expect(
      relayNotice(
        { state: 'retrying', attempt: 2, nextRetryAt: now + 4_200, problem: 'unreachable' },
        now,
      ),
    ).toEqual({
      tone: 'warning',
      text: 'Relay unreachable — retrying in 5 s',
    });
    expect(
      relayNotice(
        { state: 'retrying', attempt: 9, nextRetryAt: now + 120_000, problem: 'rejected' },
        now,
      )?.text,
    ).toBe('The relay refused this device — retrying in 2 min');
    expect(relayNotice({ state: 'offline' }, now)?.tone).toBe('warning');
    expect(relayNotice({ state: 'stopped' }, now)).toEqual({
      tone: 'error',
      text: 'Disconnected: this account’s device connected from another copy of this browser profile',
    });
  });

  it('stay quiet when all is well', () => {
    expect(relayNotice({ state: 'online', since: now }, now)).toBeNull();
    expect(relayNotice({ state: 'idle' }, now)).toBeNull();
    expect(relayNotice({ state: 'connecting', attempt: 1 }, now)).toBeNull();
  });

  it('count down to "now"', () => {
    expect(retryIn(now + 1, now)).toBe('retrying in 1 s');
    expect(retryIn(now - 10, now)).toBe('retrying now');
  });
});

describe('dates', () => {
  it('label days relative to today', () => {
    expect(dayLabel(now - 60_000, now)).toBe('Today');
    expect(dayLabel(now - 86_400_000, now)).toBe('Yesterday');
    expect(sameDay(now, now - 3_600_000)).toBe(true);
    expect(sameDay(now, now - 86_400_000)).toBe(false);
  });

  it('cap unread labels', () => {
    expect(unreadLabel(5)).toBe('5');
    expect(unreadLabel(100)).toBe('99+');
  });
});

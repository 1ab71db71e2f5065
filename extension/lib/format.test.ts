import { describe, expect, it } from 'vitest';
import {
  agoLabel,
  countdown,
  dayLabel,
  knownPresence,
  membersLabel,
  presenceLabel,
  relayNotice,
  retryIn,
  sameDay,
  timerLabel,
  timerShort,
  typingLabel,
  unreadLabel,
} from './format.ts';
import { TIMER_CHOICES_MS } from './protocol.ts';

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
      text: 'Relay unreachable',
      detail: 'retrying in 5 s',
      canRetry: true,
    });
    expect(
      relayNotice(
        { state: 'retrying', attempt: 9, nextRetryAt: now + 120_000, problem: 'rejected' },
        now,
      ),
    ).toMatchObject({ text: 'The relay refused this device', detail: 'retrying in 2 min' });
    expect(
      relayNotice(
        { state: 'retrying', attempt: 2, nextRetryAt: now + 9_000, problem: 'rate-limited' },
        now,
      )?.canRetry,
    ).toBe(false);
    expect(relayNotice({ state: 'offline' }, now)).toMatchObject({
      tone: 'warning',
      canRetry: true,
    });
    expect(relayNotice({ state: 'connecting', attempt: 3 }, now)?.text).toBe(
      'Connecting to the relay…',
    );
    expect(relayNotice({ state: 'stopped' }, now)).toEqual({
      tone: 'error',
      text: 'Disconnected: this account’s device connected from another copy of this browser profile',
      detail: null,
      canRetry: false,
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

describe('presence while disconnected', () => {
  const seen = { online: true, lastSeen: now - 5_000 };
  it('is unknown (never "online") unless the relay connection is up', () => {
    expect(knownPresence(seen, { state: 'online', since: now })).toBe(seen);
    for (const relay of [
      { state: 'offline' },
      { state: 'connecting', attempt: 2 },
      { state: 'retrying', attempt: 1, nextRetryAt: now, problem: 'unreachable' },
      { state: 'stopped' },
      undefined,
    ] as const) {
      const known = knownPresence(seen, relay);
      expect(known).toEqual({ online: false, lastSeen: seen.lastSeen });
      expect(presenceLabel(known, now, 150_000)).not.toBe('online');
    }
    expect(knownPresence(undefined, { state: 'offline' })).toBeUndefined();
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

describe('disappearing messages, presence and typing in words', () => {
  it('name every timer choice', () => {
    expect(TIMER_CHOICES_MS.map(timerLabel)).toEqual([
      'Off',
      '30 seconds',
      '5 minutes',
      '1 hour',
      '1 day',
      '1 week',
    ]);
    expect(TIMER_CHOICES_MS.slice(1).map(timerShort)).toEqual([
      '30 s',
      '5 min',
      '1 h',
      '1 d',
      '1 wk',
    ]);
  });

  it('count down rounding up, so a message never shows 0 while it is still there', () => {
    expect(countdown(29_100)).toBe('30 s');
    expect(countdown(400)).toBe('1 s');
    expect(countdown(-5)).toBe('0 s');
    expect(countdown(4 * 60_000 + 1)).toBe('5 min');
    expect(countdown(23 * 3_600_000)).toBe('23 h');
    expect(countdown(6.5 * 86_400_000)).toBe('7 d');
  });

  it('say online only within the window, then when they were last seen', () => {
    const w = 150_000;
    expect(presenceLabel(null, now, w)).toBeNull();
    expect(presenceLabel({ online: false, lastSeen: null }, now, w)).toBeNull();
    expect(presenceLabel({ online: true, lastSeen: now - 10_000 }, now, w)).toBe('online');
    expect(presenceLabel({ online: true, lastSeen: now - 20_000 }, now + w, w)).toBe(
      'last seen 2 min ago',
    );
    expect(presenceLabel({ online: false, lastSeen: now - 5_000 }, now, w)).toBe(
      'last seen just now',
    );
    expect(presenceLabel({ online: false, lastSeen: now - 3 * 3_600_000 }, now, w)).toMatch(
      /^last seen today at /,
    );
    expect(presenceLabel({ online: false, lastSeen: now - 24 * 3_600_000 }, now, w)).toMatch(
      /^last seen yesterday at /,
    );
  });

  it('say who is typing', () => {
    expect(typingLabel([])).toBeNull();
    expect(typingLabel(['bob'])).toBe('bob is typing…');
    expect(typingLabel(['bob', 'carol'])).toBe('bob and carol are typing…');
    expect(typingLabel(['bob', 'carol', 'dave'])).toBe('bob, carol and dave are typing…');
    expect(typingLabel(['a', 'b', 'c', 'd'])).toBe('a, b and 2 others are typing…');
    expect(membersLabel(1)).toBe('1 member');
    expect(membersLabel(3)).toBe('3 members');
  });

  it('says how long ago in words', () => {
    const now = 1_800_000_000_000;
    expect(agoLabel(now - 20_000, now)).toBe('just now');
    expect(agoLabel(now + 5_000, now)).toBe('just now');
    expect(agoLabel(now - 60_000, now)).toBe('1 minute ago');
    expect(agoLabel(now - 5 * 60_000, now)).toBe('5 minutes ago');
    expect(agoLabel(now - 3 * 3600_000 - 1, now)).toBe('3 hours ago');
    expect(agoLabel(now - 30 * 3600_000, now)).toBe('yesterday');
    expect(agoLabel(now - 4 * 86_400_000, now)).toBe('4 days ago');
  });
});

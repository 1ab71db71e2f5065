/**
 * Words and times as people read them. Pure; the clock is a parameter.
 *
 * Runs anywhere.
 */
import type { RelayStatus } from './protocol.ts';

const DAY_MS = 86_400_000;

function startOfDay(ts: number): number {
  const d = new Date(ts);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function clockTime(ts: number): string {
  return new Date(ts).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

/** A message's full date and time, for hover titles and screen readers. */
export function fullDateTime(ts: number): string {
  return new Date(ts).toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
}

/** Conversation list: "14:05", "Yesterday", "Mon", "12 Mar", "12 Mar 2023". */
export function shortWhen(ts: number, now: number): string {
  const days = Math.round((startOfDay(now) - startOfDay(ts)) / DAY_MS);
  if (days <= 0) return clockTime(ts);
  if (days === 1) return 'Yesterday';
  if (days < 7) return new Date(ts).toLocaleDateString(undefined, { weekday: 'short' });
  const sameYear = new Date(ts).getFullYear() === new Date(now).getFullYear();
  return new Date(ts).toLocaleDateString(
    undefined,
    sameYear ? { day: 'numeric', month: 'short' } : { dateStyle: 'medium' },
  );
}

/** Separators in a chat: "Today", "Yesterday", "Monday, 12 March". */
export function dayLabel(ts: number, now: number): string {
  const days = Math.round((startOfDay(now) - startOfDay(ts)) / DAY_MS);
  if (days <= 0) return 'Today';
  if (days === 1) return 'Yesterday';
  const sameYear = new Date(ts).getFullYear() === new Date(now).getFullYear();
  return new Date(ts).toLocaleDateString(undefined, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    ...(sameYear ? {} : { year: 'numeric' }),
  });
}

export function sameDay(a: number, b: number): boolean {
  return startOfDay(a) === startOfDay(b);
}

/** "retrying in 5 s", "retrying in 2 min", "retrying now". */
export function retryIn(nextRetryAt: number, now: number): string {
  const seconds = Math.ceil((nextRetryAt - now) / 1000);
  if (seconds <= 0) return 'retrying now';
  if (seconds < 90) return `retrying in ${seconds} s`;
  return `retrying in ${Math.round(seconds / 60)} min`;
}

export interface RelayNotice {
  readonly tone: 'info' | 'warning' | 'error';
  /** What is wrong, worded to stay the same while it lasts (a live region announces it once). */
  readonly text: string;
  /** The countdown ("retrying in 5 s"): changes every second, so it is shown, not announced. */
  readonly detail: string | null;
  /** Whether a "Retry now" button makes sense (not while the relay asked us to slow down). */
  readonly canRetry: boolean;
}

/** The connection bar for the relay, or null when there is nothing to say. */
export function relayNotice(relay: RelayStatus, now: number): RelayNotice | null {
  switch (relay.state) {
    case 'idle':
    case 'online':
      return null;
    case 'connecting':
      return relay.attempt > 1
        ? { tone: 'info', text: 'Connecting to the relay…', detail: null, canRetry: false }
        : null;
    case 'stopped':
      return {
        tone: 'error',
        text: 'Disconnected: this account’s device connected from another copy of this browser profile',
        detail: null,
        canRetry: false,
      };
    case 'offline':
      return {
        tone: 'warning',
        text: 'You are offline — messages will be sent when you reconnect',
        detail: null,
        canRetry: true,
      };
    case 'retrying': {
      const detail = retryIn(relay.nextRetryAt, now);
      switch (relay.problem) {
        case 'unreachable':
          return { tone: 'warning', text: 'Relay unreachable', detail, canRetry: true };
        case 'rate-limited':
          return {
            tone: 'warning',
            text: 'The relay asked Parley to slow down',
            detail,
            canRetry: false,
          };
        case 'rejected':
          return { tone: 'error', text: 'The relay refused this device', detail, canRetry: true };
        case 'incompatible':
          return {
            tone: 'error',
            text: 'This relay speaks a different Parley version',
            detail,
            canRetry: true,
          };
      }
    }
  }
}

/** Presence as far as we know it: nobody is "online" while we cannot hear from the relay. */
export function knownPresence<P extends { readonly online: boolean }>(
  presence: P | undefined | null,
  relay: RelayStatus | undefined,
): P | undefined | null {
  if (presence === undefined || presence === null || relay?.state === 'online') return presence;
  return { ...presence, online: false };
}

export function unreadLabel(count: number): string {
  return count > 99 ? '99+' : String(count);
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** A disappearing-message timer in words: "Off", "30 seconds", "5 minutes", "1 hour", "1 day", "1 week". */
export function timerLabel(ms: number): string {
  if (ms <= 0) return 'Off';
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (ms % WEEK === 0) return unit(ms / WEEK, 'week');
  if (ms % DAY === 0) return unit(ms / DAY, 'day');
  if (ms % HOUR === 0) return unit(ms / HOUR, 'hour');
  if (ms % MINUTE === 0) return unit(ms / MINUTE, 'minute');
  return unit(Math.round(ms / SECOND), 'second');
}

/** The same, compact, for chips: "30 s", "5 min", "1 h", "1 d", "1 wk". */
export function timerShort(ms: number): string {
  if (ms % WEEK === 0) return `${ms / WEEK} wk`;
  if (ms % DAY === 0) return `${ms / DAY} d`;
  if (ms % HOUR === 0) return `${ms / HOUR} h`;
  if (ms % MINUTE === 0) return `${ms / MINUTE} min`;
  return `${Math.round(ms / SECOND)} s`;
}

/** Time left before a message disappears, rounded up: "29 s", "4 min", "23 h", "6 d". */
export function countdown(remainingMs: number): string {
  const ms = Math.max(0, remainingMs);
  if (ms < MINUTE) return `${Math.ceil(ms / SECOND)} s`;
  if (ms < HOUR) return `${Math.ceil(ms / MINUTE)} min`;
  if (ms < DAY) return `${Math.ceil(ms / HOUR)} h`;
  return `${Math.ceil(ms / DAY)} d`;
}

/** "online", "last seen 3 min ago", "last seen today at 14:05", "last seen yesterday at 9:12"; null: nothing known. */
export function presenceLabel(
  presence: { readonly online: boolean; readonly lastSeen: number | null } | undefined | null,
  now: number,
  onlineWindowMs: number,
): string | null {
  if (presence?.lastSeen === null || presence?.lastSeen === undefined) return null;
  const ago = now - presence.lastSeen;
  if (presence.online && ago < onlineWindowMs) return 'online';
  if (ago < MINUTE) return 'last seen just now';
  if (ago < HOUR) return `last seen ${Math.floor(ago / MINUTE)} min ago`;
  const days = Math.round((startOfDay(now) - startOfDay(presence.lastSeen)) / DAY_MS);
  if (days <= 0) return `last seen today at ${clockTime(presence.lastSeen)}`;
  if (days === 1) return `last seen yesterday at ${clockTime(presence.lastSeen)}`;
  return `last seen ${shortWhen(presence.lastSeen, now)}`;
}

/** How long ago, in words: "just now", "5 minutes ago", "3 hours ago", "yesterday", "4 days ago". */
export function agoLabel(ts: number, now: number): string {
  const ago = Math.max(0, now - ts);
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  if (ago < MINUTE) return 'just now';
  if (ago < HOUR) return plural(Math.floor(ago / MINUTE), 'minute');
  if (ago < DAY) return plural(Math.floor(ago / HOUR), 'hour');
  const days = Math.floor(ago / DAY);
  return days === 1 ? 'yesterday' : plural(days, 'day');
}

/** "bob is typing…", "bob and carol are typing…", "bob, carol and 2 others are typing…". */
export function typingLabel(handles: readonly string[]): string | null {
  const [first, second, ...rest] = handles;
  if (first === undefined) return null;
  if (second === undefined) return `${first} is typing…`;
  if (rest.length === 0) return `${first} and ${second} are typing…`;
  if (rest.length === 1) return `${first}, ${second} and ${rest[0]} are typing…`;
  return `${first}, ${second} and ${rest.length} others are typing…`;
}

/** "3 members". */
export function membersLabel(count: number): string {
  return `${count} member${count === 1 ? '' : 's'}`;
}

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
  readonly text: string;
}

/** The banner line for the relay connection, or null when there is nothing to say. */
export function relayNotice(relay: RelayStatus, now: number): RelayNotice | null {
  switch (relay.state) {
    case 'idle':
    case 'online':
      return null;
    case 'connecting':
      return relay.attempt > 1 ? { tone: 'info', text: 'Connecting to the relay…' } : null;
    case 'stopped':
      return {
        tone: 'error',
        text: 'Disconnected: this account’s device connected from another copy of this browser profile',
      };
    case 'offline':
      return {
        tone: 'warning',
        text: 'You are offline — messages will be sent when you reconnect',
      };
    case 'retrying': {
      const when = retryIn(relay.nextRetryAt, now);
      switch (relay.problem) {
        case 'unreachable':
          return { tone: 'warning', text: `Relay unreachable — ${when}` };
        case 'rate-limited':
          return { tone: 'warning', text: `The relay asked Parley to slow down — ${when}` };
        case 'rejected':
          return { tone: 'error', text: `The relay refused this device — ${when}` };
        case 'incompatible':
          return { tone: 'error', text: `This relay speaks a different Parley version — ${when}` };
      }
    }
  }
}

export function unreadLabel(count: number): string {
  return count > 99 ? '99+' : String(count);
}

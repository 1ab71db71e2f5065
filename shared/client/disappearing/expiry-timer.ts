import type { ClientHost } from '../host.ts';
import { nextExpiry, stageExpired } from './expiry.ts';

export interface ExpiryTimerHost
  extends Pick<ClientHost, 'records' | 'transact' | 'timers' | 'now' | 'events' | 'reportError'> {
  /** The client is started (its own timer may run). */
  running(): boolean;
  /** The vault is locked: the sweep works on keys alone and leaves previews for later. */
  isLocked(): boolean;
  /**
   * Files of our own messages that just disappeared: delete them on the relay
   * (best effort; the relay's retention removes whatever this misses).
   */
  uploadsGone?(ids: readonly string[]): void;
}

export function createExpiryTimer(host: ExpiryTimerHost) {
  const { records, transact, timers, now, events } = host;
  let expiryTimer: unknown;
  let expiryAt: number | null | undefined;

  /** Re-arms the in-process timer for the next expiry and tells listeners (chrome.alarms). */
  async function refresh(): Promise<number | null> {
    let next: number | null;
    try {
      next = await nextExpiry(records);
    } catch (e) {
      host.reportError(e, 'expiry');
      return null;
    }
    if (next !== expiryAt) {
      expiryAt = next;
      if (expiryTimer !== undefined) timers.clearTimeout(expiryTimer);
      expiryTimer = undefined;
      if (next !== null && host.running()) {
        // Only while running: the extension wakes itself with an alarm otherwise.
        expiryTimer = timers.setTimeout(
          () => {
            expiryTimer = undefined;
            expiryAt = undefined;
            void expireDue().catch((e: unknown) => host.reportError(e, 'expiry'));
          },
          Math.max(0, next - now()),
        );
      }
      events.emit('expiry', { next });
    }
    return next;
  }

  /**
   * Deletes every message whose disappearing timer ran out at `at` (default
   * now): records, receipt index and expiry entries in one write per 500.
   * Works on keys alone, so the extension can run it from an alarm while
   * the vault is locked (then previews are fixed when next shown).
   * Returns how many messages were deleted.
   */
  async function expireDue(at?: number): Promise<number> {
    let total = 0;
    for (;;) {
      const expired = await transact(async (batch) => {
        const out = await stageExpired(batch, at ?? now(), { fixPreviews: !host.isLocked() });
        return out;
      });
      total += expired.length;
      const uploads = expired.flatMap((e) => e.uploads ?? []);
      if (uploads.length > 0) host.uploadsGone?.(uploads);
      const byConversation = new Map<string, { ids: string[]; keys: string[] }>();
      for (const e of expired) {
        const entry = byConversation.get(e.conversationId) ?? { ids: [], keys: [] };
        entry.ids.push(e.id);
        entry.keys.push(e.messageKey);
        byConversation.set(e.conversationId, entry);
      }
      for (const [conversationId, { ids, keys }] of byConversation) {
        events.emit('expired', { conversationId, ids, keys });
        events.emit('conversation', { conversationId });
      }
      if (expired.length < 500) break;
    }
    expiryAt = undefined;
    await refresh();
    return total;
  }

  /** Cancels the timer (the client stops); the next refresh re-arms it. */
  function stop(): void {
    if (expiryTimer !== undefined) timers.clearTimeout(expiryTimer);
    expiryTimer = undefined;
    expiryAt = undefined;
  }

  return { refresh, expireDue, stop };
}

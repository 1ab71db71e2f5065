/**
 * The toolbar icon's badge and title: the unread count while unlocked; while
 * locked, how many sealed messages wait in the locked inbox (nothing about
 * them can be known before unlock, so this counts frames, receipts included,
 * never transients), on a grey badge so it does not read as "unread". Only
 * counts, never content.
 *
 * Runs in: the service worker.
 */
import { browser } from 'wxt/browser';
import type { VaultState } from '../../lib/protocol.ts';

export function badgeText(count: number): string {
  if (count <= 0) return '';
  return count > 99 ? '99+' : String(count);
}

export function actionTitle(vault: VaultState, unread: number, waiting = 0): string {
  if (vault === 'none') return 'Parley — set up';
  if (vault === 'locked') {
    if (waiting <= 0) return 'Parley — locked';
    return `Parley — locked, ${waiting} new ${waiting === 1 ? 'message' : 'messages'} waiting`;
  }
  return unread === 0 ? 'Parley' : `Parley — ${unread} unread`;
}

const BADGE_COLOUR = '#4f46e5';
/** Locked: grey, a "something is waiting" marker rather than an unread count. */
export const LOCKED_BADGE_COLOUR = '#57534e';

export async function showBadge(vault: VaultState, unread: number, waiting = 0): Promise<void> {
  const count = vault === 'unlocked' ? unread : vault === 'locked' ? waiting : 0;
  await Promise.all([
    browser.action.setBadgeText({ text: badgeText(count) }),
    browser.action.setBadgeBackgroundColor({
      color: vault === 'locked' ? LOCKED_BADGE_COLOUR : BADGE_COLOUR,
    }),
    browser.action.setBadgeTextColor({ color: '#ffffff' }),
    browser.action.setTitle({ title: actionTitle(vault, unread, count) }),
  ]);
}

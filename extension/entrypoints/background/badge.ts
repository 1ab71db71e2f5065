/**
 * The toolbar icon's badge and title: unread count while unlocked, a quiet
 * lock marker while locked. Only counts, never content.
 *
 * Runs in: the service worker.
 */
import { browser } from 'wxt/browser';
import type { VaultState } from '../../lib/protocol.ts';

export function badgeText(unread: number): string {
  if (unread <= 0) return '';
  return unread > 99 ? '99+' : String(unread);
}

export function actionTitle(vault: VaultState, unread: number): string {
  if (vault === 'none') return 'Parley — set up';
  if (vault === 'locked') return 'Parley — locked';
  return unread === 0 ? 'Parley' : `Parley — ${unread} unread`;
}

const BADGE_COLOUR = '#4f46e5';

export async function showBadge(vault: VaultState, unread: number): Promise<void> {
  const count = vault === 'unlocked' ? unread : 0;
  await Promise.all([
    browser.action.setBadgeText({ text: badgeText(count) }),
    browser.action.setBadgeBackgroundColor({ color: BADGE_COLOUR }),
    browser.action.setBadgeTextColor({ color: '#ffffff' }),
    browser.action.setTitle({ title: actionTitle(vault, count) }),
  ]);
}

/**
 * System notifications for new messages. By default they name the sender
 * only; the message text appears only if the user opted in (Settings →
 * notificationPreview), because notifications are shown and kept by the
 * operating system, outside Parley's vault.
 *
 * One notification per conversation (its id is the conversation id), so a
 * burst of messages updates one entry instead of stacking up.
 *
 * Runs in: the service worker.
 */
import { browser } from 'wxt/browser';
import type { IncomingNotice } from './runtime-context.ts';

const PREFIX = 'parley/conversation/';
const PREVIEW_MAX = 140;

export interface NotificationContent {
  readonly title: string;
  readonly message: string;
}

export function notificationContent(notice: IncomingNotice, preview: boolean): NotificationContent {
  const text =
    notice.text.length > PREVIEW_MAX ? `${notice.text.slice(0, PREVIEW_MAX - 1)}…` : notice.text;
  return {
    title:
      notice.groupName === undefined
        ? `@${notice.senderHandle}`
        : `@${notice.senderHandle} in ${notice.groupName}`,
    message: preview && text.trim() !== '' ? text : 'New message',
  };
}

export function notificationId(conversationId: string): string {
  return PREFIX + conversationId;
}

/** The conversation a notification belongs to, or null if it is not one of ours. */
export function conversationOf(notificationIdValue: string): string | null {
  return notificationIdValue.startsWith(PREFIX) ? notificationIdValue.slice(PREFIX.length) : null;
}

export async function showMessageNotification(
  notice: IncomingNotice,
  preview: boolean,
): Promise<void> {
  const { title, message } = notificationContent(notice, preview);
  await browser.notifications.create(notificationId(notice.conversationId), {
    type: 'basic',
    iconUrl: browser.runtime.getURL('/icon/128.png'),
    title,
    message,
    priority: 1,
  });
}

export async function clearConversationNotification(conversationId: string): Promise<void> {
  await browser.notifications.clear(notificationId(conversationId));
}

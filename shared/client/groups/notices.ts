/**
 * Timeline notices for group and timer changes: a system message per change,
 * with an English sentence (the UI may render its own from `system` and
 * `author`, which names the member the notice is about).
 */
import type { Bytes } from '../../bytes.ts';
import { readContact } from '../contacts/contacts.ts';
import type { Conversation } from '../conversations/conversations.ts';
import {
  type MessageRecord,
  type SystemEvent,
  stageNewMessage,
  systemMessageRecord,
} from '../conversations/messages.ts';
import type { InboxEffect } from '../effects.ts';
import type { Batch } from '../store/batch.ts';
import type { StampClock } from '../store/stamps.ts';

const TIMER_LABELS: Readonly<Record<number, string>> = {
  30000: '30 seconds',
  300000: '5 minutes',
  3600000: '1 hour',
  86400000: '1 day',
  604800000: '1 week',
};

export function timerLabel(ms: number): string {
  if (ms === 0) return 'off';
  return TIMER_LABELS[ms] ?? `${Math.round(ms / 1000)} seconds`;
}

export function timerSentence(who: string, ms: number): string {
  return ms === 0
    ? `${who} turned off disappearing messages`
    : `${who} set disappearing messages to ${timerLabel(ms)}`;
}

/** "You", the contact's verified handle, or a short id. */
export async function displayName(
  batch: Pick<Batch, 'get'>,
  user: string,
  own: string,
): Promise<string> {
  if (user === own) return 'You';
  const contact = await readContact(batch, user);
  return contact?.handle ?? `user ${user.slice(0, 8)}`;
}

export interface NoticeContext {
  readonly stamps: StampClock;
  readonly now: number;
  readonly random: (n: number) => Uint8Array;
}

/** Stages one notice in `conversation`; returns the effect and the conversation as updated. */
export async function stageNotice(
  ctx: NoticeContext,
  batch: Batch,
  conversation: Conversation,
  event: SystemEvent,
  about: string,
  text: string,
): Promise<{ effect: InboxEffect; conversation: Conversation }> {
  const message = systemMessageRecord({
    id: ctx.random(16) as Bytes as MessageRecord['id'],
    conversation: conversation.id,
    stamp: await ctx.stamps.next(batch),
    about,
    aboutDevice: 0,
    event,
    now: ctx.now,
    text,
  });
  const updated = await stageNewMessage(batch, conversation, message);
  return { effect: { type: 'message', message }, conversation: updated };
}

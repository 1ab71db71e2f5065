/**
 * The disappearing-message timer of a direct chat: either side may set it;
 * the change travels as a `timer` content to the other side and our own
 * other devices, and shows in both timelines. When both sides change it at
 * the same time, the later setting (sender clock, then user id) wins
 * everywhere. Group timers live in the signed group state (admins only).
 */

import { readContact } from '../contacts/contacts.ts';
import {
  type Conversation,
  ensureDirectConversation,
  stageConversation,
} from '../conversations/conversations.ts';
import { SystemEvent } from '../conversations/messages.ts';
import type { InboxEffect } from '../effects.ts';
import { displayName, stageNotice, timerSentence } from '../groups/notices.ts';
import type { TimerContent } from '../sessions/content.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import type { Batch } from '../store/batch.ts';
import type { StampClock } from '../store/stamps.ts';

export interface TimerHost {
  readonly sessions: SessionContext;
  readonly stamps: StampClock;
}

/** Whether a setting made at (at, by) replaces the conversation's current one (pure). */
export function isNewerTimer(conversation: Conversation, at: number, by: string): boolean {
  const currentAt = conversation.timerAt ?? -1;
  if (at !== currentAt) return at > currentAt;
  return by > (conversation.timerBy ?? '');
}

/** Sets the timer of a direct conversation and stages the notice (no sending). */
export async function stageTimer(
  host: TimerHost,
  batch: Batch,
  conversation: Conversation,
  timer: number,
  at: number,
  by: string,
): Promise<InboxEffect[]> {
  const ctx = host.sessions;
  const updated: Conversation = { ...conversation, timer, timerAt: at, timerBy: by };
  stageConversation(batch, updated);
  const who = await displayName(batch, by, ctx.account.userId);
  const { effect } = await stageNotice(
    { stamps: host.stamps, now: ctx.deps.now(), random: ctx.deps.random },
    batch,
    updated,
    SystemEvent.TIMER_CHANGED,
    by,
    timerSentence(who, timer),
  );
  return [effect, { type: 'conversation', conversationId: conversation.id }];
}

/** A `timer` content from the peer, or from our other device (then `to` is the peer). */
export async function applyTimer(
  host: TimerHost,
  batch: Batch,
  from: string,
  content: TimerContent,
): Promise<InboxEffect[]> {
  const own = host.sessions.account.userId;
  const fromSelf = from === own;
  const peer = fromSelf ? content.to.u : from;
  if (fromSelf ? peer === own : content.to.u !== own) return [];
  // Only people we already talk with (a first contact starts with a text).
  if (!fromSelf && (await readContact(batch, from)) === undefined) return [];
  const conversation = await ensureDirectConversation(batch, peer, host.sessions.deps.now());
  if (!isNewerTimer(conversation, content.at, from)) return [];
  return stageTimer(host, batch, conversation, content.timer, content.at, from);
}

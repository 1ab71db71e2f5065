/**
 * Typing indicators, both ways. Ours are encrypted transient sends (never
 * stored), throttled and stopped automatically; others' are shown until they
 * stop or go quiet. Off while the typingIndicators setting is off; never sent
 * to requests, blocked contacts or changed identities.
 */
import { fromHex } from '../../bytes.ts';
import { ContactStatus, readContact } from '../contacts/contacts.ts';
import { groupHexOf, peerOf } from '../conversations/conversations.ts';
import type { Timers } from '../deps.ts';
import type { Emitter } from '../events.ts';
import { isMember, readGroup } from '../groups/store.ts';
import { encodeContent, type TextContent } from '../sessions/content.ts';
import type { RecordStore } from '../store/store.ts';
import type { ClientEvents } from '../views.ts';

/** Typing indicators: at most one "typing" per conversation per this interval. */
export const TYPING_THROTTLE_MS = 3_000;
/** A "stopped typing" goes out this long after the last keystroke report. */
export const TYPING_IDLE_MS = 5_000;
/** A remote "typing" is shown at most this long without a refresh. */
export const TYPING_DISPLAY_MS = 15_000;

export interface TypingHost {
  readonly records: RecordStore;
  readonly timers: Timers;
  readonly now: () => number;
  readonly events: Emitter<ClientEvents>;
  /** The typingIndicators setting. */
  enabled(): boolean;
  online(): boolean;
  /** Our user id (throws NOT_REGISTERED without an account). */
  ownUser(): string;
  /** One transient, encrypted send to the devices of `users`; true when a frame went out. */
  sendTransient(
    users: readonly string[],
    content: Uint8Array,
    fetchSessions: boolean,
  ): Promise<boolean>;
  reportError(error: unknown, context: string): void;
}

/** Who gets our typing indicators and presence in a conversation (accepted, unchanged, not blocked). */
async function typingAudience(
  records: RecordStore,
  own: string,
  conversationId: string,
): Promise<string[]> {
  const peer = peerOf(conversationId);
  if (peer !== undefined) {
    const contact = await readContact(records, peer);
    return contact?.status === ContactStatus.ACCEPTED && contact.change === undefined ? [peer] : [];
  }
  const hex = groupHexOf(conversationId);
  if (hex === undefined) return [];
  const group = await readGroup(records, fromHex(hex));
  if (group === undefined || !group.accepted) return [];
  const state = group.chain.head.state;
  if (!isMember(state, own)) return [];
  const users: string[] = [];
  for (const m of state.members) {
    if (m.user === own) continue;
    const contact = await readContact(records, m.user);
    if (contact?.status !== ContactStatus.BLOCKED && contact?.change === undefined) {
      users.push(m.user);
    }
  }
  return users;
}

export function createTyping(host: TypingHost) {
  const { timers, now } = host;
  const lastTyping = new Map<string, number>();
  /** Per conversation: the pending automatic "stopped typing". */
  const typingIdle = new Map<string, unknown>();
  /** Per (conversation, user): clears a remote "typing" nobody refreshed. */
  const typingShown = new Map<string, unknown>();

  /**
   * Encrypted typing indicator (direct chats and groups), sent only while
   * online, never stored, throttled: at most one "typing" per conversation
   * every TYPING_THROTTLE_MS, and a "stopped" after TYPING_IDLE_MS without a
   * new call. Resolves true when a frame went out.
   */
  async function send(input: {
    readonly conversationId: string;
    readonly typing: boolean;
  }): Promise<boolean> {
    const id = input.conversationId;
    if (!host.enabled() || !host.online()) return false;
    const idle = typingIdle.get(id);
    if (idle !== undefined) timers.clearTimeout(idle);
    typingIdle.delete(id);
    const last = lastTyping.get(id) ?? 0;
    if (input.typing) {
      typingIdle.set(
        id,
        timers.setTimeout(() => {
          typingIdle.delete(id);
          void send({ conversationId: id, typing: false }).catch((e: unknown) =>
            host.reportError(e, 'typing'),
          );
        }, TYPING_IDLE_MS),
      );
      if (last !== 0 && now() - last < TYPING_THROTTLE_MS) return false;
      lastTyping.set(id, now());
    } else {
      if (last === 0) return false; // nothing to stop
      lastTyping.set(id, 0);
    }
    const users = await typingAudience(host.records, host.ownUser(), id);
    const peer = peerOf(id);
    const to = peer === undefined ? { g: fromHex(groupHexOf(id) ?? '') } : { u: peer };
    const content = encodeContent({
      v: 1,
      t: 'typing',
      to: to as TextContent['to'],
      typing: input.typing,
    });
    return host.sendTransient(users, content, peer !== undefined);
  }

  /** Typing from others: shown until they stop, or at most TYPING_DISPLAY_MS without a refresh. */
  function show(conversationId: string, userId: string, typing: boolean): void {
    if (!host.enabled()) return;
    const key = `${conversationId} ${userId}`;
    const pending = typingShown.get(key);
    if (pending !== undefined) timers.clearTimeout(pending);
    typingShown.delete(key);
    if (typing) {
      typingShown.set(
        key,
        timers.setTimeout(() => {
          typingShown.delete(key);
          host.events.emit('typing', { conversationId, userId, typing: false });
        }, TYPING_DISPLAY_MS),
      );
    }
    host.events.emit('typing', { conversationId, userId, typing });
  }

  /** Cancels every pending "stopped" and display timeout (the client stops). */
  function stop(): void {
    for (const handle of [...typingIdle.values(), ...typingShown.values()]) {
      timers.clearTimeout(handle);
    }
    typingIdle.clear();
    typingShown.clear();
  }

  return { send, show, stop };
}

/**
 * What a new current group state means locally, staged in the caller's
 * batch: the group record, the conversation (title, timer), a timeline notice
 * per change, and the sender keys:
 *
 *   - someone left or was removed: EVERY remaining member rotates its own
 *     sender key when it sees the signed removal (here), so nothing sent
 *     afterwards can be read with a key the removed member holds; the new key
 *     is handed only to the members of the new state, with the next message;
 *     the removed member's sender keys are forgotten;
 *   - we left or were removed: our sending chain and every member key go;
 *   - someone joined: nothing (they get our current chain key with our next
 *     message, so they can read neither earlier messages nor derive them);
 *   - who joined rather than was only invited (joined.ts): a state's author,
 *     and on our arrival those in before us; a removed member's mark goes.
 */
import { rotateSenderKey } from '../../crypto/sender-key-chain.ts';
import { type Conversation, ensureGroupConversation } from '../conversations/conversations.ts';
import { SystemEvent } from '../conversations/messages.ts';
import type { InboxEffect } from '../effects.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import type { Batch } from '../store/batch.ts';
import type { StampClock } from '../store/stamps.ts';
import { Keys } from '../store/storage-keys.ts';
import type { AppliedState } from './chain.ts';
import { clearJoined, joinedOnArrival, markJoined } from './joined.ts';
import { displayName, type NoticeContext, stageNotice, timerSentence } from './notices.ts';
import {
  type GroupRole,
  type GroupState,
  GroupRole as Role,
  type SignedGroupState,
} from './state.ts';
import {
  deleteMemberKeys,
  type GroupRecord,
  groupHex,
  isMember,
  readSender,
  stageGroup,
  stageSender,
} from './store.ts';

export interface GroupHost {
  readonly sessions: SessionContext;
  readonly stamps: StampClock;
  /** Confirms a handle a member claims (relay lookup); absent: handles are not learned. */
  readonly verifyHandle?: (user: string, claimed: string) => Promise<string | undefined>;
}

export interface GroupChangeInput {
  readonly record: GroupRecord;
  /** The current state before this change (undefined for a group new to us). */
  readonly before: GroupState | undefined;
  readonly applied: readonly AppliedState[];
  readonly superseded: readonly SignedGroupState[];
  /** We joined (or created the group) with this state. */
  readonly joined?: SignedGroupState;
}

/** A state's author joined (they signed it); on arrival, so did those in before us. */
async function markJoinedFromStates(
  batch: Batch,
  record: GroupRecord,
  input: GroupChangeInput,
  own: string,
  now: number,
): Promise<void> {
  const users = new Set<string>();
  if (input.joined !== undefined) {
    const history = record.chain.ancestors.map((s) => s.state);
    for (const user of joinedOnArrival(history, input.joined.state, own)) users.add(user);
  }
  for (const { state } of input.applied) users.add(state.state.author);
  users.delete(own);
  for (const user of users) await markJoined(batch, record.id, user, now);
}

function roleWord(role: GroupRole): string {
  return role === Role.OWNER ? 'the owner' : role === Role.ADMIN ? 'an admin' : 'a member';
}

export async function applyGroupChange(
  host: GroupHost,
  batch: Batch,
  input: GroupChangeInput,
): Promise<InboxEffect[]> {
  const { record, before } = input;
  const ctx = host.sessions;
  const own = ctx.account.userId;
  const now = ctx.deps.now();
  const after = record.chain.head.state;
  stageGroup(batch, record);
  let conversation: Conversation = await ensureGroupConversation(
    batch,
    record.id,
    after.name,
    after.timer,
    now,
  );
  const effects: InboxEffect[] = [];
  const notices: NoticeContext = { stamps: host.stamps, now, random: ctx.deps.random };
  const name = (user: string) => displayName(batch, user, own);
  /** The same, lower-case for ourselves in the middle of a sentence ("Alice removed you"). */
  const object = async (user: string) => (user === own ? 'you' : name(user));
  const notice = async (event: SystemEvent, about: string, text: string) => {
    const staged = await stageNotice(notices, batch, conversation, event, about, text);
    conversation = staged.conversation;
    effects.push(staged.effect);
  };

  if (input.joined !== undefined) {
    const s = input.joined.state;
    if (s.author === own && s.version === 1) {
      await notice(SystemEvent.GROUP_CREATED, own, `You created the group "${s.name}"`);
    } else {
      await notice(SystemEvent.GROUP_JOINED, s.author, `${await name(s.author)} added you`);
    }
    if (s.timer !== 0) {
      await notice(
        SystemEvent.TIMER_CHANGED,
        s.author,
        timerSentence(await name(s.author), s.timer),
      );
    }
  }
  for (const superseded of input.superseded) {
    const who = await name(superseded.state.author);
    await notice(
      SystemEvent.GROUP_CHANGE_SUPERSEDED,
      superseded.state.author,
      `A change by ${who} was replaced by a change made at the same time`,
    );
  }
  for (const { state, change } of input.applied) {
    const author = state.state.author;
    const who = await name(author);
    if (change.name !== undefined) {
      await notice(
        SystemEvent.GROUP_RENAMED,
        author,
        `${who} renamed the group to "${change.name.to}"`,
      );
    }
    if (change.timer !== undefined) {
      await notice(SystemEvent.TIMER_CHANGED, author, timerSentence(who, change.timer.to));
    }
    for (const m of change.added) {
      await notice(SystemEvent.MEMBER_ADDED, m.user, `${who} added ${await object(m.user)}`);
    }
    for (const m of change.removed) {
      if (m.user === author) {
        await notice(SystemEvent.MEMBER_LEFT, m.user, `${who} left the group`);
      } else {
        await notice(SystemEvent.MEMBER_REMOVED, m.user, `${who} removed ${await object(m.user)}`);
      }
    }
    for (const r of change.roles) {
      await notice(
        SystemEvent.ROLE_CHANGED,
        r.user,
        `${who} made ${await object(r.user)} ${roleWord(r.to)}`,
      );
    }
  }

  await markJoinedFromStates(batch, record, input, own, now);
  const inAfter = isMember(after, own);
  if (!inAfter) {
    batch.delete(Keys.groupSender(groupHex(record.id)));
    await deleteMemberKeys(batch, record.id);
    await clearJoined(batch, record.id);
  } else if (before !== undefined) {
    const removed = before.members.filter((m) => !isMember(after, m.user)).map((m) => m.user);
    for (const user of removed) {
      await deleteMemberKeys(batch, record.id, user);
      await clearJoined(batch, record.id, user);
    }
    if (removed.length > 0) {
      const sender = await readSender(batch, record.id);
      if (sender !== undefined) {
        await stageSender(batch, record.id, {
          state: await rotateSenderKey(ctx.deps, sender.state),
          seq: sender.seq,
          sent: [],
        });
      }
    }
  }
  effects.push({ type: 'group', conversationId: conversation.id });
  effects.push({ type: 'conversation', conversationId: conversation.id });
  return effects;
}

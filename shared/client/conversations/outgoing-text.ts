/**
 * A text we write: checked against the conversation (a changed safety number,
 * a block, group membership), stored as a message whose countdown starts now,
 * and queued in the outbox, all in the caller's one batch. Replying to a
 * request accepts it; writing in a group we were added to accepts the group.
 */
import { fromHex } from '../../bytes.ts';
import type { Random } from '../../crypto/random.ts';
import { ErrorCode, fail, ParleyError } from '../../errors.ts';
import type { Account } from '../account/account.ts';
import { ContactStatus, contactOp, readContact } from '../contacts/contacts.ts';
import { startCountdown } from '../disappearing/countdown.ts';
import { isMember, readGroup, stageGroup } from '../groups/store.ts';
import { releaseHeldReceipts } from '../inbox/receipts.ts';
import { newOutboxEntry, OutboxKind, stageEntry } from '../outbox/outbox.ts';
import {
  ATTACHMENTS_MAX,
  type AttachmentPointer,
  encodeContent,
  TEXT_MAX_CHARS,
  type TextContent,
} from '../sessions/content.ts';
import type { Batch } from '../store/batch.ts';
import type { StampClock } from '../store/stamps.ts';
import { groupHexOf, MessageState, peerOf, readConversation } from './conversations.ts';
import { type MessageRecord, stageNewMessage } from './messages.ts';

export interface TextInput {
  readonly conversationId: string;
  /** The message, or the caption of its attachments (may be empty when there are any). */
  readonly text: string;
  /** Files already uploaded to the relay (docs/client.md, "Attachments"). */
  readonly attachments?: readonly AttachmentPointer[];
}

/** Where a text goes: the peer of a direct chat, or the group (hex id). */
export interface TextTarget {
  readonly peer: string | undefined;
  readonly groupHex: string | undefined;
}

/**
 * Checks the input before any work (BAD_ARGUMENT): a conversation id, at most
 * TEXT_MAX_CHARS characters (at least one unless files go with it) and at
 * most ATTACHMENTS_MAX files.
 */
export function textTarget(input: TextInput): TextTarget {
  const peer = peerOf(input.conversationId);
  const groupHex = groupHexOf(input.conversationId);
  if (peer === undefined && groupHex === undefined) {
    fail(ErrorCode.BAD_ARGUMENT, 'Not a conversation id');
  }
  const files = input.attachments?.length ?? 0;
  if ((input.text.length === 0 && files === 0) || input.text.length > TEXT_MAX_CHARS) {
    fail(ErrorCode.BAD_ARGUMENT, `Message text must be 1 to ${TEXT_MAX_CHARS} characters`);
  }
  if (files > ATTACHMENTS_MAX) {
    fail(ErrorCode.BAD_ARGUMENT, `At most ${ATTACHMENTS_MAX} files go with one message`);
  }
  return { peer, groupHex };
}

export interface OutgoingTextDeps {
  readonly now: () => number;
  readonly random: Random;
  readonly stamps: StampClock;
}

/**
 * Stages the message and its outbox entry. Direct chats: IDENTITY_CHANGED
 * while the contact's key change is not acknowledged, CONTACT_BLOCKED while
 * they are blocked. Groups: GROUP_NOT_MEMBER after leaving or removal. The
 * conversation's disappearing-message timer goes with the message.
 */
export async function stageOutgoingText(
  deps: OutgoingTextDeps,
  account: Pick<Account, 'userId' | 'deviceId' | 'handle'>,
  batch: Batch,
  input: TextInput,
  { peer, groupHex }: TextTarget,
): Promise<MessageRecord> {
  const conversation = await readConversation(batch, input.conversationId);
  if (conversation === undefined) fail(ErrorCode.NOT_FOUND, 'No such conversation');
  const id = deps.random(16) as MessageRecord['id'];
  const sentAt = deps.now();
  const stamp = await deps.stamps.next(batch);
  const timer = conversation.timer ?? 0;
  const att =
    input.attachments === undefined || input.attachments.length === 0
      ? {}
      : { att: [...input.attachments] };
  let content: TextContent;
  let recipients: string[];
  let members: number | undefined;
  let group: Uint8Array | undefined;
  if (peer !== undefined) {
    const contact = await readContact(batch, peer);
    if (contact?.change !== undefined) {
      throw new ParleyError(
        ErrorCode.IDENTITY_CHANGED,
        "This contact's safety number changed: acknowledge it before sending",
        { user: peer, changedAt: contact.change.at },
      );
    }
    if (contact?.status === ContactStatus.BLOCKED) {
      fail(ErrorCode.CONTACT_BLOCKED, 'Unblock this contact before writing to them');
    }
    if (contact?.status === ContactStatus.REQUEST) {
      batch.apply(contactOp({ ...contact, status: ContactStatus.ACCEPTED })); // replying accepts
      await releaseHeldReceipts(batch, { user: peer });
    }
    content = {
      v: 1,
      t: 'text',
      id,
      to: { u: peer },
      sentAt,
      text: input.text,
      fh: account.handle,
      ...(contact?.handle === undefined ? {} : { th: contact.handle }),
      ...att,
      ...(timer === 0 ? {} : { exp: timer }),
    };
    recipients = [peer, account.userId];
  } else {
    group = fromHex(groupHex ?? '');
    const record = await readGroup(batch, group);
    const state = record?.chain.head.state;
    if (record === undefined || state === undefined || !isMember(state, account.userId)) {
      fail(ErrorCode.GROUP_NOT_MEMBER, 'You are not a member of this group');
    }
    if (!record.accepted) {
      // Writing in a group we were added to accepts it.
      stageGroup(batch, { ...record, accepted: true });
      await releaseHeldReceipts(batch, { group });
    }
    content = {
      v: 1,
      t: 'text',
      id,
      to: { g: group as MessageRecord['id'] },
      sentAt,
      text: input.text,
      fh: account.handle,
      ...att,
      ...(timer === 0 ? {} : { exp: timer }),
    };
    recipients = state.members.map((m) => m.user);
    members = state.members.length - 1;
  }
  const record = startCountdown<MessageRecord>(
    {
      v: 1,
      id,
      conv: conversation.id,
      stamp,
      author: account.userId,
      authorDevice: account.deviceId,
      outgoing: true,
      kind: 'text',
      text: input.text,
      sentAt,
      receivedAt: sentAt,
      state: MessageState.SENDING,
      ...(timer === 0 ? {} : { expiresIn: timer }),
      ...(members === undefined ? {} : { of: members, dlv: [], rd: [] }),
      ...att,
    },
    sentAt,
  );
  await stageNewMessage(batch, conversation, record);
  const entry = newOutboxEntry({
    id,
    stamp,
    kind: group === undefined ? OutboxKind.MESSAGE : OutboxKind.GROUP_MESSAGE,
    conv: conversation.id,
    content: encodeContent(content),
    recipients,
    ...(group === undefined ? {} : { group: group as MessageRecord['id'] }),
    createdAt: sentAt,
  });
  stageEntry(batch, entry);
  return record;
}

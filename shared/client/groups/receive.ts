/**
 * Incoming group traffic (the inbox calls these inside its batch):
 *
 *   group-update (pairwise)  a signed state from its author: a new group we
 *                            were added to, or the next state of one we are
 *                            in (chain.ts decides; refusals are reported);
 *   sender-key (pairwise)    a member device's sending chain, and where its
 *                            sequence numbers continue;
 *   sender-key-request       a member could not decrypt us: it gets our key
 *                            with our next message;
 *   group message (shared)   a Sender Keys ciphertext: decrypted with the
 *                            sender device's chain, its sequence number
 *                            checked (gaps become timeline notices).
 *
 * Anything from someone who is not a member of the current state, or for a
 * group we are not in, is dropped: membership exists only in signed states,
 * so the relay cannot add anyone.
 */

import * as v from 'valibot';
import { type Bytes, toHex } from '../../bytes.ts';
import { encodeIdentity, type IdentityPublicKeys } from '../../crypto/identity.ts';
import { processDistributionMessage } from '../../crypto/sender-key-chain.ts';
import {
  DISTRIBUTION_ID_BYTES,
  decodeDistributionMessage,
  parseGroupMessageHeader,
} from '../../crypto/sender-key-message.ts';
import { decryptGroupMessage } from '../../crypto/sender-keys.ts';
import { ErrorCode, isParleyError, ParleyError } from '../../errors.ts';
import type { DeliverFrame } from '../../wire/frames.ts';
import { ContactStatus, contactIdentity, contactOp, readContact } from '../contacts/contacts.ts';
import { ensureGroupConversation, groupConversationId } from '../conversations/conversations.ts';
import {
  arrivedTextRecord,
  findMessage,
  type MessageRecord,
  SystemEvent,
  stageNewMessage,
} from '../conversations/messages.ts';
import type { InboxEffect } from '../effects.ts';
import { stagePendingReceipt } from '../inbox/receipts.ts';
import { newOutboxEntry, type OutboxEntry, OutboxKind, stageEntry } from '../outbox/outbox.ts';
import {
  decodeContent,
  encodeContent,
  type GroupUpdateContent,
  ReceiptKind,
  type SenderKeyContent,
  type SenderKeyRequestContent,
  type TextContent,
} from '../sessions/content.ts';
import type { Batch } from '../store/batch.ts';
import { decodeRecord, encodeRecord, IntField } from '../store/record-codec.ts';
import type { StampClock } from '../store/stamps.ts';
import { Keys } from '../store/storage-keys.ts';
import { addToChain, adoptChain } from './chain.ts';
import { markJoined } from './joined.ts';
import { applyGroupChange, type GroupHost } from './membership.ts';
import { displayName, stageNotice } from './notices.ts';
import { park, parkedFor } from './parked.ts';
import { type Gap, observeDistribution, observeMessage } from './sequence.ts';
import {
  type GroupState,
  parseSignedGroupState,
  type SignedGroupState,
  type TransitionCheck,
} from './state.ts';
import {
  deviceTag,
  type GroupRecord,
  groupHex,
  isMember,
  readGroup,
  readMemberKey,
  readSender,
  stageGroup,
  stageMemberKey,
  stageSender,
} from './store.ts';

/** Sender key requests to one device, at most one per this interval. */
export const KEY_REQUEST_INTERVAL_MS = 60 * 60 * 1000;

/** Whether a deliver body is a Sender Keys group message (version 1, type 3). */
export function isGroupMessageBody(body: Uint8Array): boolean {
  return body.length > 2 && body[0] === 0x01 && body[1] === 0x03;
}

async function identityOf(
  host: GroupHost,
  batch: Pick<Batch, 'get'>,
  user: string,
): Promise<IdentityPublicKeys | undefined> {
  if (user === host.sessions.account.userId) return host.sessions.account.publicIdentity;
  const contact = await readContact(batch, user);
  return contact === undefined ? undefined : contactIdentity(contact);
}

async function identities(
  host: GroupHost,
  batch: Pick<Batch, 'get'>,
  users: Iterable<string>,
): Promise<Map<string, IdentityPublicKeys>> {
  const out = new Map<string, IdentityPublicKeys>();
  for (const user of new Set(users)) {
    const identity = await identityOf(host, batch, user);
    if (identity !== undefined) out.set(user, identity);
  }
  return out;
}

function rejected(group: Uint8Array, from: string, error: unknown): InboxEffect[] {
  const code = isParleyError(error) ? error.code : ErrorCode.GROUP_STATE_INVALID;
  return [
    { type: 'group-rejected', conversationId: groupConversationId(group), userId: from, code },
  ];
}

/**
 * What to do with group traffic from `from`: read it (the group's record is
 * returned: both of us are members of our current state), park it (the state
 * that makes them a member, or that adds us, may still be on its way,
 * parked.ts), or drop it (we are no longer a member; or it comes from someone
 * we have no pairwise session with: a genuine member's sender key reaches us
 * pairwise before their first message, so only junk is lost, and senders
 * without a session cannot fill the parking space at all).
 */
async function admission(
  batch: Pick<Batch, 'get'>,
  group: Uint8Array,
  own: string,
  from: string,
): Promise<GroupRecord | 'park' | 'drop'> {
  const record = await readGroup(batch, group);
  if (record !== undefined) {
    const head = record.chain.head.state;
    if (!isMember(head, own)) return 'drop';
    if (isMember(head, from)) return record;
  }
  return from === own || (await readContact(batch, from)) !== undefined ? 'park' : 'drop';
}

/**
 * After a state was applied: what was parked for the group and now comes from
 * a member is processed, oldest first (sender keys before the messages that
 * need them, as they arrived).
 */
export async function replayParkedTraffic(
  host: GroupHost,
  batch: Batch,
  group: Uint8Array,
): Promise<Omit<GroupDeliveryOutcome, 'stored'>> {
  const own = host.sessions.account.userId;
  const record = await readGroup(batch, group);
  if (record === undefined || !isMember(record.chain.head.state, own)) return NOTHING;
  const effects: InboxEffect[] = [];
  let queuedOutbox = false;
  const now = host.sessions.deps.now();
  for (const { item, take } of await parkedFor(batch, group, now)) {
    if (!isMember(record.chain.head.state, item.from)) continue; // still waiting for its state
    take();
    if (item.kind === 'sender-key') {
      effects.push(
        ...(await receiveSenderKey(host, batch, item.from, item.fromDevice, item.content)),
      );
      continue;
    }
    const outcome = await receiveGroupMessage(host, batch, {
      t: 'deliver',
      id: item.id as DeliverFrame['id'],
      from: item.from as DeliverFrame['from'],
      fromDevice: item.fromDevice,
      body: item.body,
      sentAt: item.sentAt,
    });
    effects.push(...outcome.effects);
    queuedOutbox ||= outcome.queuedOutbox;
  }
  return { effects, queuedOutbox };
}

/** A signed group state from `from` (who must be its author), with the history before it for joiners. */
export async function receiveGroupUpdate(
  host: GroupHost,
  batch: Batch,
  from: string,
  content: GroupUpdateContent,
): Promise<InboxEffect[]> {
  const own = host.sessions.account.userId;
  let signed: SignedGroupState;
  let history: SignedGroupState[] | undefined;
  try {
    signed = parseSignedGroupState(content.body, content.sig);
    history = content.h?.map((s) => parseSignedGroupState(s.b, s.s));
  } catch (e) {
    if (!isParleyError(e)) throw e;
    return rejected(content.g, from, e);
  }
  const state = signed.state;
  if (toHex(state.group) !== toHex(content.g) || state.author !== from) {
    // States travel from their author only: the pairwise session vouches for who sent it.
    return rejected(
      content.g,
      from,
      new ParleyError(ErrorCode.GROUP_FORBIDDEN, 'Group state not sent by its author'),
    );
  }
  // Before any notice names the author ("alice added you"): their relay-checked handle.
  if (content.fh !== undefined && from !== own) await learnHandle(host, batch, from, content.fh);
  const record = await readGroup(batch, state.group);
  const inGroup = record !== undefined && isMember(record.chain.head.state, own);
  if (!inGroup) return joinWith(host, batch, record, signed, history ?? []);

  const known = await identities(host, batch, [
    from,
    ...record.chain.orphans.map((o) => o.state.author),
  ]);
  const outcome = await addToChain(record.chain, signed, {
    identityOf: (user) => known.get(user),
  });
  const behind =
    outcome.kind === 'pending' ||
    (outcome.kind === 'rejected' && outcome.error.code === ErrorCode.GROUP_STALE);
  if (behind && history !== undefined) {
    // We are several states behind, or on a branch that lost: the history settles it.
    const adopted = await adopt(host, batch, record, signed, history);
    if (adopted !== undefined) return adopted;
  }
  if (outcome.kind === 'rejected') {
    if (outcome.chain !== record.chain) stageGroup(batch, { ...record, chain: outcome.chain });
    return rejected(state.group, from, outcome.error);
  }
  if (outcome.kind === 'pending') {
    stageGroup(batch, { ...record, chain: outcome.chain });
    return [];
  }
  return applyGroupChange(host, batch, {
    record: { ...record, chain: outcome.chain },
    before: record.chain.head.state,
    applied: outcome.applied,
    superseded: outcome.superseded,
  });
}

/** Identities we trust for every author in a history (members' leaves may stay unknown). */
async function historyCheck(
  host: GroupHost,
  batch: Batch,
  states: readonly SignedGroupState[],
): Promise<TransitionCheck> {
  const known = await identities(
    host,
    batch,
    states.map((s) => s.state.author),
  );
  return { identityOf: (user) => known.get(user) };
}

/** A member catching up (or leaving a losing branch) through the history: undefined if refused. */
async function adopt(
  host: GroupHost,
  batch: Batch,
  record: GroupRecord,
  signed: SignedGroupState,
  history: readonly SignedGroupState[],
): Promise<InboxEffect[] | undefined> {
  const check = await historyCheck(host, batch, [...history, signed]);
  const outcome = await adoptChain(record.chain, history, signed, check);
  if (outcome.kind === 'rejected') return undefined;
  return applyGroupChange(host, batch, {
    record: { ...record, chain: outcome.chain },
    before: record.chain.head.state,
    applied: outcome.applied,
    superseded: outcome.superseded,
  });
}

/**
 * A state that adds us to a group we are not in (new, or one we left or were
 * removed from): accepted only with the history from the group's first state
 * (chain.ts adoptChain: bound to the creator, every change allowed by the
 * parent's roles and signed with the parent's keys), extending what we hold.
 */
async function joinWith(
  host: GroupHost,
  batch: Batch,
  record: GroupRecord | undefined,
  signed: SignedGroupState,
  history: readonly SignedGroupState[],
): Promise<InboxEffect[]> {
  const own = host.sessions.account.userId;
  const state = signed.state;
  if (!isMember(state, own)) return []; // not about us (we are out): nothing to do
  const check = await historyCheck(host, batch, [...history, signed]);
  const outcome = await adoptChain(record?.chain, history, signed, check);
  if (outcome.kind === 'rejected') return rejected(state.group, state.author, outcome.error);
  const adder = state.author === own ? undefined : await readContact(batch, state.author);
  return applyGroupChange(host, batch, {
    record: {
      id: state.group,
      chain: outcome.chain,
      accepted: state.author === own || adder?.status === ContactStatus.ACCEPTED,
      addedBy: state.author,
      joinedAt: host.sessions.deps.now(),
    },
    before: record?.chain.head.state,
    applied: [],
    superseded: [],
    joined: signed,
  });
}

async function gapNotice(
  host: GroupHost,
  batch: Batch,
  group: Uint8Array,
  from: string,
  gap: Gap,
): Promise<InboxEffect[]> {
  const record = await readGroup(batch, group);
  if (record === undefined) return [];
  const head = record.chain.head.state;
  const conversation = await ensureGroupConversation(
    batch,
    group,
    head.name,
    head.timer,
    host.sessions.deps.now(),
  );
  const who = await displayName(batch, from, host.sessions.account.userId);
  const n = gap.count;
  const { effect } = await stageNotice(
    { stamps: host.stamps, now: host.sessions.deps.now(), random: host.sessions.deps.random },
    batch,
    conversation,
    SystemEvent.MESSAGES_MISSING,
    from,
    `${n} message${n === 1 ? '' : 's'} from ${who} did not arrive`,
  );
  return [effect];
}

/** A member device's sender key (over our pairwise session with it). */
export async function receiveSenderKey(
  host: GroupHost,
  batch: Batch,
  from: string,
  fromDevice: number,
  content: SenderKeyContent,
): Promise<InboxEffect[]> {
  const own = host.sessions.account.userId;
  const admitted = await admission(batch, content.g, own, from);
  if (admitted === 'drop') return [];
  if (admitted === 'park') {
    const now = host.sessions.deps.now();
    const item = { kind: 'sender-key', from, fromDevice, content } as const;
    await park({ stamps: host.stamps, now }, batch, content.g, item);
    return [];
  }
  let updated: ReturnType<typeof processDistributionMessage>;
  try {
    const dist = decodeDistributionMessage(content.dist);
    if (toHex(dist.distributionId) !== toHex(content.g)) return [];
    const existing = await readMemberKey(batch, content.g, from, fromDevice);
    updated = processDistributionMessage(existing?.record, content.dist);
    const step = observeDistribution(existing?.next, content.seq);
    stageMemberKey(batch, content.g, from, fromDevice, { record: updated, next: step.next });
    await markJoined(batch, content.g, from, host.sessions.deps.now());
    return step.gap === undefined ? [] : gapNotice(host, batch, content.g, from, step.gap);
  } catch (e) {
    if (!isParleyError(e)) throw e;
    return [];
  }
}

/** A member could not decrypt our messages: it gets our key with the next one. */
export async function receiveKeyRequest(
  _host: GroupHost,
  batch: Batch,
  from: string,
  fromDevice: number,
  content: SenderKeyRequestContent,
): Promise<InboxEffect[]> {
  const record = await readGroup(batch, content.g);
  if (record === undefined || !isMember(record.chain.head.state, from)) return [];
  const sender = await readSender(batch, content.g);
  if (sender === undefined) return [];
  const tag = deviceTag(from, fromDevice);
  if (!sender.sent.includes(tag)) return [];
  await stageSender(batch, content.g, { ...sender, sent: sender.sent.filter((t) => t !== tag) });
  return [];
}

const RequestedSchema = v.object({ at: IntField });

async function requestKey(
  host: GroupHost,
  batch: Batch,
  group: Uint8Array,
  user: string,
  device: number,
): Promise<boolean> {
  const now = host.sessions.deps.now();
  const key = Keys.groupKeyRequest(groupHex(group), user, device);
  const raw = await batch.get(key);
  const last = raw === undefined ? undefined : decodeRecord(RequestedSchema, raw, 'key request').at;
  if (last !== undefined && now - last < KEY_REQUEST_INTERVAL_MS) return false;
  batch.set(key, encodeRecord({ at: now }));
  const entry = newOutboxEntry({
    id: host.sessions.deps.random(16) as OutboxEntry['id'],
    stamp: await host.stamps.next(batch),
    kind: OutboxKind.KEY_REQUEST,
    content: encodeContent({ v: 1, t: 'sender-key-request', g: group as Bytes }),
    recipients: [user],
    createdAt: now,
  });
  stageEntry(batch, entry);
  return true;
}

export interface GroupDeliveryOutcome {
  readonly effects: InboxEffect[];
  /** Something was queued in the outbox (a sender key request). */
  readonly queuedOutbox: boolean;
  /** A text was stored (delivery receipts may follow). */
  readonly stored: boolean;
  /**
   * It did not decrypt (error code): nothing was staged but a sender key
   * request; the inbox decides whether to ask for the message again.
   */
  readonly unreadable?: string;
}

const NOTHING: GroupDeliveryOutcome = { effects: [], queuedOutbox: false, stored: false };

/** Members who are not our contacts: their handle, once the relay confirms their claim. */
async function learnHandle(host: GroupHost, batch: Batch, user: string, claimed: string) {
  const contact = await readContact(batch, user);
  if (contact === undefined || contact.handle !== undefined || host.verifyHandle === undefined) {
    return;
  }
  const handle = await host.verifyHandle(user, claimed);
  if (handle !== undefined) batch.apply(contactOp({ ...contact, handle }));
}

/**
 * Shows a group text of a member of `head` (read from its Sender Keys copy, or
 * sent again over a pairwise session after a retry receipt) and stages our
 * delivery receipt: one rule for both ways a group text arrives.
 */
export async function storeGroupText(
  stamps: StampClock,
  batch: Batch,
  input: {
    readonly group: Uint8Array;
    readonly head: GroupState;
    readonly own: string;
    readonly from: string;
    readonly fromDevice: number;
    readonly content: TextContent;
    readonly now: number;
  },
): Promise<MessageRecord> {
  const { group, head, own, from, fromDevice, content, now } = input;
  const fromSelf = from === own;
  const conversation = await ensureGroupConversation(batch, group, head.name, head.timer, now);
  const message = arrivedTextRecord({
    content,
    conversation: conversation.id,
    stamp: await stamps.next(batch),
    author: from,
    authorDevice: fromDevice,
    fromSelf,
    now,
    ...(fromSelf ? { of: Math.max(0, head.members.length - 1) } : {}),
  });
  await stageNewMessage(batch, conversation, message);
  // Staged even before we accept the group: the flush holds it back until then.
  if (!fromSelf) stagePendingReceipt(batch, ReceiptKind.DELIVERED, from, content.id, now, group);
  return message;
}

/** A Sender Keys message (shared body) from (from, fromDevice). Stages everything in `batch`. */
export async function receiveGroupMessage(
  host: GroupHost,
  batch: Batch,
  frame: DeliverFrame,
): Promise<GroupDeliveryOutcome> {
  const { from, fromDevice, body } = frame;
  const own = host.sessions.account.userId;
  const now = host.sessions.deps.now();
  let group: Bytes;
  try {
    group = parseGroupMessageHeader(body).distributionId;
  } catch {
    return NOTHING;
  }
  if (group.length !== DISTRIBUTION_ID_BYTES) return NOTHING;
  const record = await admission(batch, group, own, from);
  if (record === 'drop') return NOTHING;
  if (record === 'park') {
    const item = {
      kind: 'message',
      id: frame.id,
      from,
      fromDevice,
      body,
      sentAt: frame.sentAt,
    } as const;
    await park({ stamps: host.stamps, now }, batch, group, item);
    return NOTHING;
  }
  const head = record.chain.head.state;

  const key = await readMemberKey(batch, group, from, fromDevice);
  const identity = await identityOf(host, batch, from);
  // Signed, so a duplicate is the genuine message again. Anything else may be a
  // tampered copy: no notice here (the inbox asks for the message again).
  const couldNotRead = async (code: string): Promise<GroupDeliveryOutcome> => {
    if (code === ErrorCode.DUPLICATE_MESSAGE) return NOTHING;
    const queued =
      code === ErrorCode.SENDER_KEY_MISSING &&
      (await requestKey(host, batch, group, from, fromDevice));
    return { effects: [], queuedOutbox: queued, stored: false, unreadable: code };
  };
  if (key === undefined || identity === undefined)
    return couldNotRead(ErrorCode.SENDER_KEY_MISSING);
  let decrypted: Awaited<ReturnType<typeof decryptGroupMessage>>;
  try {
    decrypted = await decryptGroupMessage(
      { now: () => now },
      key.record,
      body,
      encodeIdentity(identity),
    );
  } catch (e) {
    if (!isParleyError(e)) throw e;
    return couldNotRead(e.code);
  }
  let content: ReturnType<typeof decodeContent> | undefined;
  try {
    content = decodeContent(decrypted.plaintext);
  } catch {
    content = undefined;
  }
  if (
    content === undefined ||
    content.t !== 'text' ||
    !('g' in content.to) ||
    toHex(content.to.g) !== toHex(group) ||
    content.seq === undefined
  ) {
    // Readable but not a group text of this group: keep the chain advance, show nothing.
    stageMemberKey(batch, group, from, fromDevice, { ...key, record: decrypted.record });
    return NOTHING;
  }
  const step = observeMessage(key.next, content.seq);
  stageMemberKey(batch, group, from, fromDevice, { record: decrypted.record, next: step.next });
  if (from !== own) await markJoined(batch, group, from, now);
  const effects: InboxEffect[] = [];
  if (step.gap !== undefined)
    effects.push(...(await gapNotice(host, batch, group, from, step.gap)));
  if ((await findMessage(batch, from, content.id)) !== undefined) {
    return { effects, queuedOutbox: false, stored: false };
  }
  if (from !== own && content.fh !== undefined) await learnHandle(host, batch, from, content.fh);
  const message = await storeGroupText(host.stamps, batch, {
    group,
    head,
    own,
    from,
    fromDevice,
    content,
    now,
  });
  effects.push({ type: 'message', message });
  return { effects, queuedOutbox: false, stored: true };
}

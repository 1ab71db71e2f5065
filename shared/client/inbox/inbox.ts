/**
 * Incoming deliveries, one at a time and in relay order (the caller runs this
 * inside the client's serial queue):
 *
 *   1. dedupe by (sender user, sender device, client message id) AND a digest
 *      of the body: the same frame again is acked and dropped without touching
 *      any session. The id alone is the relay's word: a forged frame carrying a
 *      genuine id must not hide the genuine one, so a marker is written only
 *      for a frame that decrypted and authenticated (or was deliberately set
 *      aside: a blocked sender, group traffic parked for its state);
 *   2. decrypt (sessions.ts), decode the content (content.ts);
 *   3. apply it: a message record and the conversation change, receipt state
 *      changes, a contact for an unknown sender (status `request`);
 *   4. stage the dedupe marker, and commit EVERYTHING (session, message,
 *      consumed prekey, marker) in one store write;
 *   5. only then may the caller ack the relay's qid.
 *
 * A delivery that does not decrypt changes no session (decryption is
 * transactional and nothing of it is staged) and is acked and dropped; a
 * later genuine copy, and every later message, still decrypt. Then:
 *   - if the genuine frame with that id was read already, that is all (a
 *     tampered or replayed copy);
 *   - otherwise the sending device is asked to send it again (retry.ts), at
 *     most RETRY_REQUESTS_PER_WINDOW times per window; past that the timeline
 *     says a message could not be decrypted;
 *   - only where no session can work (none for a non-prekey message, a
 *     prekey message naming prekeys we do not have, a corrupt record) is the
 *     timeline told at once and a `reset` over a new session queued (at most
 *     once per device per hour, as Signal's automatic session reset); only a
 *     corrupt record is dropped. Never because one ciphertext failed its tag.
 *
 * Transient deliveries (typing indicators) have no qid: they are decrypted
 * (the session still advances and is saved) but never stored or acked.
 */
import * as v from 'valibot';
import { type Bytes, equalBytes, fromHex } from '../../bytes.ts';
import { sha256Digest } from '../../crypto/kdf.ts';
import { parseGroupMessageHeader } from '../../crypto/sender-key-message.ts';
import { ErrorCode, isParleyError } from '../../errors.ts';
import type { DeliverFrame } from '../../wire/frames.ts';
import {
  type Contact,
  ContactStatus,
  contactOp,
  newContact,
  readContact,
} from '../contacts/contacts.ts';
import {
  type Conversation,
  directConversationId,
  ensureDirectConversation,
  ensureGroupConversation,
  groupConversationId,
  MessageState,
} from '../conversations/conversations.ts';
import {
  advanceMessage,
  arrivedTextRecord,
  canAdvance,
  findMessage,
  type MessageRecord,
  SystemEvent,
  stageNewMessage,
  systemMessageRecord,
} from '../conversations/messages.ts';
import { senderListed } from '../devices/sender-check.ts';
import { applyTimer } from '../disappearing/timer.ts';
import type { InboxEffect } from '../effects.ts';
import { markJoined } from '../groups/joined.ts';
import { displayName, stageNotice } from '../groups/notices.ts';
import {
  isGroupMessageBody,
  receiveGroupMessage,
  receiveGroupUpdate,
  receiveKeyRequest,
  receiveSenderKey,
  replayParkedTraffic,
  storeGroupText,
} from '../groups/receive.ts';
import { isMember, readGroup, readMemberKey, stageMemberKey } from '../groups/store.ts';
import { newOutboxEntry, type OutboxEntry, OutboxKind, stageEntry } from '../outbox/outbox.ts';
import {
  type DecodedContent,
  decodeContent,
  encodeContent,
  type ReceiptContent,
  ReceiptKind,
  RetryReason,
  type TextContent,
  type TypingContent,
} from '../sessions/content.ts';
import {
  type Decrypted,
  decryptFrom,
  dropDeviceSession,
  type SessionContext,
} from '../sessions/sessions.ts';
import type { Batch } from '../store/batch.ts';
import { BytesField, decodeRecord, encodeRecord, IntField } from '../store/record-codec.ts';
import type { StampClock } from '../store/stamps.ts';
import { Keys } from '../store/storage-keys.ts';
import { applySync } from '../sync/apply-sync.ts';
import { releaseHeldReceipts, stagePendingReceipt } from './receipts.ts';
import { receiveRetry, requestRetry } from './retry.ts';

/** Session resets asked of one device, at most one per this interval. */
export const SESSION_RESET_INTERVAL_MS = 60 * 60 * 1000;
/** Dedupe markers are kept this long (longer than the relay keeps undelivered messages). */
export const SEEN_RETENTION_MS = 35 * 24 * 60 * 60 * 1000;

export type { InboxEffect } from '../effects.ts';

export interface InboxContext {
  readonly sessions: SessionContext;
  readonly stamps: StampClock;
  /** Confirms a handle a sender claims: resolves to it only if the relay maps it to that user. */
  readonly verifyHandle: (user: string, claimed: string) => Promise<string | undefined>;
}

export interface InboxOutcome {
  /** Ack the qid (the delivery is persisted or deliberately dropped). */
  readonly ack: boolean;
  readonly effects: InboxEffect[];
  /** Something was queued in the outbox (a session reset, a key request): it should run. */
  readonly queuedOutbox: boolean;
  /** An accepted contact came online and said hello: answer with our presence. */
  readonly helloFrom?: string;
  /** Held receipts went back into the queue (our other device accepted): flush them. */
  readonly receiptsReleased?: boolean;
}

const SeenSchema = v.object({
  at: IntField,
  /** First bytes of SHA-256 of the body that was read (absent in markers from older versions). */
  d: v.optional(BytesField),
});
const ResetSchema = v.object({ at: IntField });

/** Digest bytes kept in a dedupe marker. */
const SEEN_DIGEST_BYTES = 16;

/** Codes after which no session with the device can read anything: start a new one. */
const NO_SESSION_CODES: ReadonlySet<string> = new Set([
  ErrorCode.SESSION_NOT_FOUND,
  ErrorCode.STATE_CORRUPT,
  ErrorCode.PREKEY_MISSING,
]);

function newId(ctx: InboxContext): Uint8Array {
  return ctx.sessions.deps.random(16);
}

/** A dedupe marker; an unreadable one counts as a marker without digest (the frame is read again). */
function readSeen(raw: Uint8Array): v.InferOutput<typeof SeenSchema> {
  try {
    return decodeRecord(SeenSchema, raw, 'seen');
  } catch {
    return { at: 0 };
  }
}

/** Processes one delivery; the caller commits nothing itself: `batch` is committed here. */
export async function processDelivery(
  ctx: InboxContext,
  batch: Batch,
  frame: DeliverFrame,
): Promise<InboxOutcome> {
  const { from, fromDevice } = frame;
  const transient = frame.qid === undefined;
  const seenKey = Keys.seen(from, fromDevice, frame.id);
  const digest = sha256Digest(frame.body).subarray(0, SEEN_DIGEST_BYTES) as Bytes;
  const seenRaw = transient ? undefined : await batch.get(seenKey);
  const seen = seenRaw === undefined ? undefined : readSeen(seenRaw);
  if (seen?.d !== undefined && equalBytes(seen.d, digest)) {
    return { ack: true, effects: [], queuedOutbox: false };
  }
  /** The genuine frame with this id was read before: a failing copy of it is dropped quietly. */
  const readBefore = seen !== undefined;
  const markSeen = () => {
    if (!transient) batch.set(seenKey, encodeRecord({ at: ctx.sessions.deps.now(), d: digest }));
  };
  const own = ctx.sessions.account.userId;
  if (from !== own) {
    const known = await readContact(batch, from);
    if (known?.status === ContactStatus.BLOCKED) {
      markSeen();
      await batch.commit();
      return { ack: true, effects: [], queuedOutbox: false };
    }
  }
  // A device the sender's signed device list does not name (a relay-made one): refused unread.
  if (!(await senderListed(ctx.sessions, batch, from, fromDevice, frame.body))) {
    await batch.commit();
    if (transient) return { ack: false, effects: [], queuedOutbox: false };
    const code = ErrorCode.DEVICE_NOT_LISTED;
    return {
      ack: true,
      effects: [{ type: 'undecryptable', userId: from, deviceId: fromDevice, code }],
      queuedOutbox: false,
    };
  }

  if (isGroupMessageBody(frame.body)) {
    // One Sender Keys ciphertext the relay fanned out to every member device.
    if (transient) return { ack: false, effects: [], queuedOutbox: false };
    const outcome = await receiveGroupMessage(ctx, batch, frame);
    let queuedOutbox = outcome.queuedOutbox;
    const effects = [...outcome.effects];
    if (outcome.unreadable === undefined) {
      markSeen();
    } else if (!readBefore) {
      const failed = await groupUnreadable(ctx, batch, frame, outcome.unreadable);
      effects.push(...failed.effects);
      queuedOutbox ||= failed.queuedOutbox;
    }
    await batch.commit();
    return { ack: true, effects, queuedOutbox };
  }

  let decrypted: Decrypted;
  try {
    decrypted = await decryptFrom(ctx.sessions, batch, from, fromDevice, frame.body);
  } catch (e) {
    if (!isParleyError(e)) throw e; // storage or programming fault: do not ack, redelivery retries
    if (transient) return { ack: false, effects: [], queuedOutbox: false };
    return undecryptable(ctx, batch, frame, e.code, readBefore);
  }

  const effects: InboxEffect[] = [];
  let content: DecodedContent | undefined;
  try {
    content = decodeContent(decrypted.plaintext);
  } catch {
    content = undefined; // decrypted but not Parley content: keep the session, drop the payload
  }
  const now = ctx.sessions.deps.now();
  // An identity change is noted in the timeline by the session layer's hook (client.ts).
  if ((decrypted.identityChanged || decrypted.newSession) && from !== own) {
    effects.push({ type: 'contact', userId: from });
  }
  const applied: AppliedContent =
    content === undefined
      ? { effects: [], queuedOutbox: false, receiptsReleased: false }
      : await applyContent(ctx, batch, frame, content, now);
  effects.push(...applied.effects);
  const { queuedOutbox, helloFrom, receiptsReleased } = applied;
  markSeen();
  await batch.commit();
  return {
    ack: !transient,
    effects,
    queuedOutbox,
    ...(helloFrom === undefined ? {} : { helloFrom }),
    ...(receiptsReleased ? { receiptsReleased } : {}),
  };
}

/** Typing from an accepted contact (direct) or a member of an accepted group we are in. */
async function applyTyping(
  batch: Batch,
  own: string,
  from: string,
  content: TypingContent,
): Promise<InboxEffect[]> {
  const effect = (conversationId: string): InboxEffect[] => [
    { type: 'typing', conversationId, userId: from, typing: content.typing },
  ];
  if ('u' in content.to) {
    if (content.to.u !== own) return [];
    const contact = await readContact(batch, from);
    return contact?.status === ContactStatus.ACCEPTED ? effect(directConversationId(from)) : [];
  }
  const group = await readGroup(batch, content.to.g);
  if (group === undefined || !group.accepted) return [];
  const head = group.chain.head.state;
  if (!isMember(head, own) || !isMember(head, from)) return [];
  return effect(groupConversationId(content.to.g));
}

async function systemMessage(
  ctx: InboxContext,
  batch: Batch,
  conversation: Conversation,
  author: string,
  authorDevice: number,
  event: SystemEvent,
): Promise<InboxEffect[]> {
  const message = systemMessageRecord({
    id: newId(ctx) as MessageRecord['id'],
    conversation: conversation.id,
    stamp: await ctx.stamps.next(batch),
    about: author,
    aboutDevice: authorDevice,
    event,
    now: ctx.sessions.deps.now(),
  });
  await stageNewMessage(batch, conversation, message);
  return [{ type: 'message', message }];
}

async function ensureContact(
  ctx: InboxContext,
  batch: Batch,
  user: string,
  status: Contact['status'],
  claimedHandle: string | undefined,
): Promise<Contact> {
  const now = ctx.sessions.deps.now();
  let contact = (await readContact(batch, user)) ?? newContact(user, status, now);
  let changed = (await batch.get(Keys.contact(user))) === undefined;
  if (contact.handle === undefined && claimedHandle !== undefined) {
    const handle = await ctx.verifyHandle(user, claimedHandle);
    if (handle !== undefined) {
      contact = { ...contact, handle };
      changed = true;
    }
  }
  if (changed) batch.apply(contactOp(contact));
  return contact;
}

async function applyText(
  ctx: InboxContext,
  batch: Batch,
  frame: DeliverFrame,
  content: TextContent,
): Promise<InboxEffect[]> {
  const own = ctx.sessions.account.userId;
  const now = ctx.sessions.deps.now();
  const fromSelf = frame.from === own;
  // Group texts travel as Sender Keys messages, or pairwise when resent (retry.ts).
  if (!('u' in content.to)) return applyGroupResend(ctx, batch, frame, content, content.to.g);
  const peer = fromSelf ? content.to.u : frame.from;
  // A contact may only write to us; our own devices may write to anyone but us.
  if (fromSelf ? peer === own : content.to.u !== own) return [];
  if ((await findMessage(batch, frame.from, content.id)) !== undefined) {
    // Shown already (a resend of what did arrive): confirm it again, show nothing.
    if (!fromSelf) stagePendingReceipt(batch, ReceiptKind.DELIVERED, frame.from, content.id, now);
    return [];
  }
  const effects: InboxEffect[] = [];
  const contact = await ensureContact(
    ctx,
    batch,
    peer,
    fromSelf ? ContactStatus.ACCEPTED : ContactStatus.REQUEST,
    fromSelf ? content.th : content.fh,
  );
  if (fromSelf && contact.status === ContactStatus.REQUEST) {
    // Our other device replied: the request is accepted.
    batch.apply(contactOp({ ...contact, status: ContactStatus.ACCEPTED }));
    await releaseHeldReceipts(batch, { user: peer });
  }
  const conversation = await ensureDirectConversation(batch, peer, now);
  const message = arrivedTextRecord({
    content,
    conversation: conversation.id,
    stamp: await ctx.stamps.next(batch),
    author: frame.from,
    authorDevice: frame.fromDevice,
    fromSelf,
    now,
  });
  await stageNewMessage(batch, conversation, message);
  effects.push({ type: 'message', message });
  if (!fromSelf) {
    stagePendingReceipt(batch, ReceiptKind.DELIVERED, frame.from, content.id, now);
  }
  return effects;
}

/**
 * A group text a member sent again over our pairwise session, because we
 * could not decrypt its Sender Keys copy: the same membership rule as the
 * Sender Keys path (both of us in the current state), shown once.
 */
async function applyGroupResend(
  ctx: InboxContext,
  batch: Batch,
  frame: DeliverFrame,
  content: TextContent,
  group: Uint8Array,
): Promise<InboxEffect[]> {
  const own = ctx.sessions.account.userId;
  const now = ctx.sessions.deps.now();
  const { from, fromDevice } = frame;
  const record = await readGroup(batch, group);
  if (record === undefined) return [];
  const head = record.chain.head.state;
  if (!isMember(head, own) || !isMember(head, from) || content.seq === undefined) return [];
  if ((await findMessage(batch, from, content.id)) !== undefined) {
    if (from !== own)
      stagePendingReceipt(batch, ReceiptKind.DELIVERED, from, content.id, now, group);
    return [];
  }
  // The next number we expected from this device: later Sender Keys messages show no gap.
  const key = await readMemberKey(batch, group, from, fromDevice);
  if (key !== undefined && key.next === content.seq) {
    stageMemberKey(batch, group, from, fromDevice, { ...key, next: content.seq + 1 });
  }
  const message = await storeGroupText(ctx.stamps, batch, {
    group,
    head,
    own,
    from,
    fromDevice,
    content,
    now,
  });
  return [{ type: 'message', message }];
}

async function applyReceipt(
  ctx: InboxContext,
  batch: Batch,
  from: string,
  content: ReceiptContent,
): Promise<InboxEffect[]> {
  const own = ctx.sessions.account.userId;
  const effects: InboxEffect[] = [];
  if (from !== own) {
    // A contact reports on messages we wrote to them.
    if (content.author !== own) return [];
    const state = content.kind === ReceiptKind.READ ? MessageState.READ : MessageState.DELIVERED;
    for (const id of content.ids) {
      const found = await findMessage(batch, own, id);
      if (found === undefined) continue;
      const conv = found.message.conv;
      let updated: MessageRecord | undefined;
      if (conv === directConversationId(from)) {
        updated = await advanceMessage(batch, own, id, state);
      } else if (conv.startsWith('g:')) {
        updated = await groupReceipt(
          batch,
          found.key,
          found.message,
          from,
          state,
          ctx.sessions.deps.now(),
        );
      }
      if (updated !== undefined) effects.push({ type: 'message-state', message: updated });
    }
    return effects;
  }
  // Our other device read these messages: mark them read here too (countdowns start).
  if (content.kind !== ReceiptKind.READ) return [];
  for (const id of content.ids) {
    const updated = await advanceMessage(batch, content.author, id, MessageState.READ, {
      now: ctx.sessions.deps.now(),
    });
    if (updated !== undefined) effects.push({ type: 'message-state', message: updated });
  }
  return effects;
}

/**
 * A member's receipt for our group message: counted per member; the message
 * is `delivered` (`read`) once every member it was sent to confirmed it.
 */
async function groupReceipt(
  batch: Batch,
  key: string,
  message: MessageRecord,
  from: string,
  state: MessageState,
  now: number,
): Promise<MessageRecord | undefined> {
  const group = await readGroup(batch, fromHex(message.conv.slice(2)));
  if (group === undefined || !isMember(group.chain.head.state, from)) return undefined;
  // Receipts for a group are held until it is accepted: this member joined (groups/joined.ts).
  await markJoined(batch, group.id, from, now);
  const read = state === MessageState.READ;
  const dlv = message.dlv ?? [];
  const rd = message.rd ?? [];
  const nextDlv = dlv.includes(from) ? dlv : [...dlv, from];
  const nextRd = read && !rd.includes(from) ? [...rd, from] : rd;
  if (nextDlv === dlv && nextRd === rd) return undefined;
  const of = message.of ?? 0;
  let next: MessageRecord = { ...message, dlv: nextDlv, rd: nextRd };
  batch.set(key, encodeRecord(next));
  const target =
    nextRd.length >= of
      ? MessageState.READ
      : nextDlv.length >= of
        ? MessageState.DELIVERED
        : undefined;
  if (target !== undefined && canAdvance(message.state, target)) {
    next = (await advanceMessage(batch, message.author, message.id, target)) ?? next;
  }
  return next;
}

/**
 * A pairwise delivery that did not decrypt (nothing of it is staged). See the
 * header for what happens; the caller acks it in every case.
 */
async function undecryptable(
  ctx: InboxContext,
  batch: Batch,
  frame: DeliverFrame,
  code: string,
  readBefore: boolean,
): Promise<InboxOutcome> {
  const { from, fromDevice } = frame;
  const now = ctx.sessions.deps.now();
  const effects: InboxEffect[] = [];
  // The genuine frame was read: this is a copy (replayed, or tampered with).
  if (readBefore) return { ack: true, effects, queuedOutbox: false };
  const noSession = NO_SESSION_CODES.has(code);
  let queuedOutbox = false;
  if (noSession) {
    const resetKey = Keys.sessionReset(from, fromDevice);
    const lastRaw = await batch.get(resetKey);
    const last =
      lastRaw === undefined ? undefined : decodeRecord(ResetSchema, lastRaw, 'session reset').at;
    if (last === undefined || now - last >= SESSION_RESET_INTERVAL_MS) {
      // Only an unreadable record is dropped: anything else still holds what works.
      if (code === ErrorCode.STATE_CORRUPT)
        dropDeviceSession(ctx.sessions, batch, from, fromDevice);
      batch.set(resetKey, encodeRecord({ at: now }));
      stageEntry(
        batch,
        newOutboxEntry({
          id: newId(ctx) as OutboxEntry['id'],
          stamp: await ctx.stamps.next(batch),
          kind: OutboxKind.RESET,
          content: encodeContent({ v: 1, t: 'reset' }),
          recipients: [from],
          createdAt: now,
        }),
      );
      queuedOutbox = true;
      effects.push(...(await decryptFailedNotice(ctx, batch, frame, code)));
    }
  }
  const retry = await requestRetry(
    ctx,
    batch,
    frame,
    noSession ? RetryReason.SESSION : RetryReason.DECRYPT,
  );
  if (retry === 'ok') queuedOutbox = true;
  else if (retry === 'refused-first' && effects.length === 0) {
    effects.push(...(await decryptFailedNotice(ctx, batch, frame, code)));
  }
  await batch.commit();
  return { ack: true, effects, queuedOutbox };
}

/** "A message could not be decrypted" in the sender's chat, and the event. */
async function decryptFailedNotice(
  ctx: InboxContext,
  batch: Batch,
  frame: DeliverFrame,
  code: string,
): Promise<InboxEffect[]> {
  const { from, fromDevice } = frame;
  const effects: InboxEffect[] = [
    { type: 'undecryptable', userId: from, deviceId: fromDevice, code },
  ];
  if (from === ctx.sessions.account.userId) return effects;
  const conversation = await ensureDirectConversation(batch, from, ctx.sessions.deps.now());
  effects.push(
    ...(await systemMessage(
      ctx,
      batch,
      conversation,
      from,
      fromDevice,
      SystemEvent.DECRYPT_FAILED,
    )),
  );
  return effects;
}

/**
 * A group message that did not decrypt (nothing staged but a sender key
 * request): ask the sender for it again; past the budget, say so once.
 */
async function groupUnreadable(
  ctx: InboxContext,
  batch: Batch,
  frame: DeliverFrame,
  code: string,
): Promise<{ effects: InboxEffect[]; queuedOutbox: boolean }> {
  let group: Uint8Array | undefined;
  try {
    group = parseGroupMessageHeader(frame.body).distributionId;
  } catch {
    group = undefined;
  }
  const retry = await requestRetry(ctx, batch, frame, RetryReason.DECRYPT, group);
  if (retry === 'ok') return { effects: [], queuedOutbox: true };
  if (retry === 'refused' || group === undefined) return { effects: [], queuedOutbox: false };
  const record = await readGroup(batch, group);
  if (record === undefined) return { effects: [], queuedOutbox: false };
  const head = record.chain.head.state;
  const now = ctx.sessions.deps.now();
  const own = ctx.sessions.account.userId;
  const conversation = await ensureGroupConversation(batch, group, head.name, head.timer, now);
  const who = await displayName(batch, frame.from, own);
  const { effect } = await stageNotice(
    { stamps: ctx.stamps, now, random: ctx.sessions.deps.random },
    batch,
    conversation,
    SystemEvent.DECRYPT_FAILED,
    frame.from,
    `A message from ${who} could not be decrypted`,
  );
  return {
    effects: [
      effect,
      { type: 'undecryptable', userId: frame.from, deviceId: frame.fromDevice, code },
    ],
    queuedOutbox: false,
  };
}

/** Deletes dedupe markers older than SEEN_RETENTION_MS. */
export async function pruneSeen(batch: Batch, now: number): Promise<number> {
  let pruned = 0;
  for (const [key, raw] of await batch.records.list(Keys.seenAll)) {
    try {
      if (now - decodeRecord(SeenSchema, raw, 'seen').at >= SEEN_RETENTION_MS) {
        batch.delete(key);
        pruned++;
      }
    } catch {
      batch.delete(key);
      pruned++;
    }
  }
  return pruned;
}

/** What one decrypted content message changed: effects for the UI, and follow-up work for the caller. */
interface AppliedContent {
  effects: InboxEffect[];
  queuedOutbox: boolean;
  helloFrom?: string;
  receiptsReleased: boolean;
}

/**
 * Applies one decrypted, decoded content message by its type. Transient (unqueued)
 * frames carry only typing and presence; every other type is applied from queued ones.
 */
async function applyContent(
  ctx: InboxContext,
  batch: Batch,
  frame: DeliverFrame,
  content: DecodedContent,
  now: number,
): Promise<AppliedContent> {
  const { from, fromDevice } = frame;
  const transient = frame.qid === undefined;
  const own = ctx.sessions.account.userId;
  const effects: InboxEffect[] = [];
  let helloFrom: string | undefined;
  let queuedOutbox = false;
  let receiptsReleased = false;
  switch (content.t) {
    case 'text':
      if (!transient) effects.push(...(await applyText(ctx, batch, frame, content)));
      break;
    case 'receipt':
      if (!transient) effects.push(...(await applyReceipt(ctx, batch, from, content)));
      break;
    case 'typing':
      if (transient && from !== own)
        effects.push(...(await applyTyping(batch, own, from, content)));
      break;
    case 'group-update':
      if (!transient) {
        effects.push(...(await receiveGroupUpdate(ctx, batch, from, content)));
        const replayed = await replayParkedTraffic(ctx, batch, content.g);
        effects.push(...replayed.effects);
        queuedOutbox ||= replayed.queuedOutbox;
      }
      break;
    case 'sender-key':
      if (!transient) {
        effects.push(...(await receiveSenderKey(ctx, batch, from, fromDevice, content)));
      }
      break;
    case 'sender-key-request':
      if (!transient) {
        effects.push(...(await receiveKeyRequest(ctx, batch, from, fromDevice, content)));
      }
      break;
    case 'timer':
      if (!transient) effects.push(...(await applyTimer(ctx, batch, from, content)));
      break;
    case 'presence':
      if (transient && from !== own) {
        const contact = await readContact(batch, from);
        // Presence only between accepted contacts.
        if (contact?.status === ContactStatus.ACCEPTED) {
          batch.set(Keys.presence(from), encodeRecord({ at: now, online: content.online }));
          effects.push({ type: 'presence', userId: from });
          if (content.hello === true && content.online) helloFrom = from;
        }
      }
      break;
    case 'retry':
      if (!transient) {
        const answered = await receiveRetry(ctx, batch, from, fromDevice, content);
        effects.push(...answered.effects);
        queuedOutbox ||= answered.queuedOutbox;
      }
      break;
    case 'sync':
      // Our own other devices only: a peer's sync is dropped unread (docs/client.md, "Own-device sync").
      if (!transient && from === own) {
        const synced = await applySync(batch, content, now);
        effects.push(...synced.effects);
        receiptsReleased = synced.receiptsReleased;
      }
      break;
    case 'reset':
    case 'unsupported':
      break;
  }
  return {
    effects,
    queuedOutbox,
    ...(helloFrom === undefined ? {} : { helloFrom }),
    receiptsReleased,
  };
}

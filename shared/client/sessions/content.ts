/**
 * The application payload inside the Double Ratchet: one CBOR map (Parley's
 * deterministic profile) with a version `v` and a type `t`, validated with
 * valibot on receipt. The relay never sees any of it: receipts and typing
 * indicators are encrypted messages like text, never relay flags.
 *
 *   text     {v, t, id, to, sentAt, text, fh?, th?, att?, exp?, quote?, seq?}
 *   receipt  {v, t, kind: delivered|read, author, ids}
 *   typing   {v, t, to, typing}                (sent transient: never stored)
 *   reset    {v, t}                            (a new session after a decrypt failure)
 *   group-update  {v, t, g, body, sig, fh?, h?} (a signed group state, groups/state.ts; fh: the author's handle claim; h: history for joiners)
 *   sender-key    {v, t, g, dist, seq}         (our sender key for a group, and our next seq)
 *   sender-key-request {v, t, g}               (could not decrypt: send me your sender key)
 *   timer    {v, t, to, timer, at}             (disappearing-message timer of a direct chat)
 *   presence {v, t, online, hello?}            (sent transient to accepted contacts)
 *   retry    {v, t, u, d, id, at, why, rk?, g?} (could not decrypt frame `id` from device `d`
 *                                               of user `u`: send it again; retry.ts)
 *   sync     {v, t, k, ...}                     (our own other devices only: a change made on
 *                                               one device, mirrored; sync/ has the kinds)
 *
 * `to` names the conversation from the sender's side: `{u: user}` for a
 * direct chat (the recipient; our own other devices get the same content as
 * a sync transcript), `{g: 16 bytes}` for a group. Group texts travel inside
 * a Sender Keys message and carry the sender's sequence number `seq`; every
 * other type travels over the pairwise sessions. `exp` is the
 * disappearing-message timer (ms) the message was sent with. Unknown fields
 * are ignored (newer senders may add optional ones); unknown and reserved
 * types decode as `unsupported`, so an old client skips what it cannot show.
 */
import * as v from 'valibot';
import type { Bytes } from '../../bytes.ts';
import { ErrorCode, ParleyError } from '../../errors.ts';
import { decodeCbor, encodeCbor } from '../../wire/cbor.ts';
import {
  HandleSchema,
  MessageIdSchema,
  TimestampSchema,
  Uint32Schema,
  UserIdSchema,
} from '../../wire/fields.ts';
import {
  ATTACHMENT_MAX_BYTES,
  MESSAGE_TEXT_MAX_CHARS,
  OPAQUE_ID_BYTES,
} from '../../wire/limits.ts';
import {
  GROUP_HISTORY_MAX_STATES,
  GROUP_STATE_MAX_BYTES,
  TIMER_OPTIONS_MS,
} from '../groups/state.ts';

export const CONTENT_VERSION = 1;
/** Longer text is refused until attachments exist (docs/client.md, "Not done yet"). One limit: shared/wire/limits.ts. */
export const TEXT_MAX_CHARS = MESSAGE_TEXT_MAX_CHARS;
/** Encoded content cap: leaves room for the prekey-message header inside a 64 KiB body. */
export const CONTENT_MAX_BYTES = 60 * 1024;
export const RECEIPT_MAX_IDS = 256;
export const ATTACHMENTS_MAX = 32;

export const RESERVED_CONTENT_TYPES = ['group-text', 'contact-request'] as const;

const bytes16 = v.pipe(
  v.instance(Uint8Array),
  v.length(16),
  v.transform((b) => b as Bytes),
);

export const DestinationSchema = v.union([v.object({ u: UserIdSchema }), v.object({ g: bytes16 })]);

/** Inline preview in a pointer (a tiny image or a thumbhash): small enough for many per message. */
export const ATTACHMENT_THUMB_MAX_BYTES = 2048;
/** Media dimensions and durations beyond this are not real media. */
const MEDIA_DIMENSION_MAX = 65_535;
const MEDIA_DURATION_MAX_MS = 24 * 60 * 60 * 1000;

const optionalUint = (max: number) =>
  v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(max)));

/**
 * An encrypted file on the relay (docs/protocol.md "Attachments"): the key and
 * digest travel only inside the ratchet. `id` is the relay's blob id (the read
 * capability), `key` the file key, `digest` the blob's digest in the scheme
 * `digestScheme` names (shared/attachments/digest.ts; absent: 1, the SHA-256
 * of the whole blob; any number is accepted here so that a newer sender's
 * message still shows, and the download refuses a scheme it does not know),
 * `size` the plaintext bytes (the blob is padded). The media fields are
 * optional, so pointers written before they existed stay valid; `flags` is a
 * bit set (shared/attachments/pointer.ts `AttachmentFlag`).
 */
export const AttachmentPointerSchema = v.object({
  id: v.pipe(v.instance(Uint8Array), v.length(OPAQUE_ID_BYTES)),
  key: v.pipe(v.instance(Uint8Array), v.length(32)),
  digest: v.pipe(v.instance(Uint8Array), v.length(32)),
  digestScheme: optionalUint(0xff),
  size: v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(ATTACHMENT_MAX_BYTES)),
  mime: v.pipe(v.string(), v.maxLength(255)),
  name: v.optional(v.pipe(v.string(), v.maxLength(255))),
  width: optionalUint(MEDIA_DIMENSION_MAX),
  height: optionalUint(MEDIA_DIMENSION_MAX),
  durationMs: optionalUint(MEDIA_DURATION_MAX_MS),
  thumb: v.optional(v.pipe(v.instance(Uint8Array), v.maxLength(ATTACHMENT_THUMB_MAX_BYTES))),
  flags: optionalUint(0xffff),
});

/** A voice note recorded in Parley (shown as a player, not a file card). */
export const ATTACHMENT_FLAG_VOICE = 1;

export const TextContentSchema = v.object({
  v: v.literal(CONTENT_VERSION),
  t: v.literal('text'),
  id: MessageIdSchema,
  to: DestinationSchema,
  sentAt: TimestampSchema,
  text: v.pipe(v.string(), v.maxLength(TEXT_MAX_CHARS)),
  /** The sender's handle as the sender states it (checked against the relay before use). */
  fh: v.optional(HandleSchema),
  /** For direct chats: the recipient's handle (lets our own devices title a synced chat). */
  th: v.optional(HandleSchema),
  att: v.optional(v.pipe(v.array(AttachmentPointerSchema), v.maxLength(ATTACHMENTS_MAX))),
  /** Disappearing-message timer in ms (docs/protocol.md, "Disappearing messages"). */
  exp: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1))),
  quote: v.optional(MessageIdSchema),
  /** Group texts: the sending device's sequence number in this group. */
  seq: v.optional(Uint32Schema),
});

export const ReceiptKind = { DELIVERED: 'delivered', READ: 'read' } as const;
export type ReceiptKind = (typeof ReceiptKind)[keyof typeof ReceiptKind];

export const ReceiptContentSchema = v.object({
  v: v.literal(CONTENT_VERSION),
  t: v.literal('receipt'),
  kind: v.picklist([ReceiptKind.DELIVERED, ReceiptKind.READ]),
  /** Who wrote the messages the ids name. */
  author: UserIdSchema,
  ids: v.pipe(v.array(MessageIdSchema), v.minLength(1), v.maxLength(RECEIPT_MAX_IDS)),
});

export const TypingContentSchema = v.object({
  v: v.literal(CONTENT_VERSION),
  t: v.literal('typing'),
  to: DestinationSchema,
  typing: v.boolean(),
});

export const ResetContentSchema = v.object({
  v: v.literal(CONTENT_VERSION),
  t: v.literal('reset'),
});

const TimerSchema = v.picklist(TIMER_OPTIONS_MS);

/** A signed group state, sent by its author over the pairwise sessions. */
export const GroupUpdateContentSchema = v.object({
  v: v.literal(CONTENT_VERSION),
  t: v.literal('group-update'),
  g: bytes16,
  body: v.pipe(v.instance(Uint8Array), v.minLength(1), v.maxLength(GROUP_STATE_MAX_BYTES)),
  sig: v.pipe(v.instance(Uint8Array), v.length(64)),
  /** The author's handle as they state it; shown only after the relay's lookup confirms it. */
  fh: v.optional(HandleSchema),
  /**
   * To members this state adds: the states before it, from the group's first
   * (groups/chain.ts adoptChain); bounded by the pairwise body size.
   */
  h: v.optional(
    v.pipe(
      v.array(
        v.object({
          b: v.pipe(v.instance(Uint8Array), v.minLength(1), v.maxLength(GROUP_STATE_MAX_BYTES)),
          s: v.pipe(v.instance(Uint8Array), v.length(64)),
        }),
      ),
      v.maxLength(GROUP_HISTORY_MAX_STATES),
    ),
  ),
});

/** Our sender key (a distribution message) for group `g`, and our next sequence number. */
export const SenderKeyContentSchema = v.object({
  v: v.literal(CONTENT_VERSION),
  t: v.literal('sender-key'),
  g: bytes16,
  dist: v.pipe(v.instance(Uint8Array), v.minLength(1), v.maxLength(256)),
  seq: Uint32Schema,
});

/** "I could not decrypt your group message": the sender redistributes its key. */
export const SenderKeyRequestContentSchema = v.object({
  v: v.literal(CONTENT_VERSION),
  t: v.literal('sender-key-request'),
  g: bytes16,
});

/** The disappearing-message timer of a direct chat (groups keep theirs in the group state). */
export const TimerContentSchema = v.object({
  v: v.literal(CONTENT_VERSION),
  t: v.literal('timer'),
  to: v.object({ u: UserIdSchema }),
  timer: TimerSchema,
  /** When it was set (sender's clock): the later setting wins when both sides change it. */
  at: TimestampSchema,
});

/** Presence for accepted contacts, sent transient (never stored). */
export const PresenceContentSchema = v.object({
  v: v.literal(CONTENT_VERSION),
  t: v.literal('presence'),
  online: v.boolean(),
  /** Sent on connect: the receiver answers with its own presence once. */
  hello: v.optional(v.boolean()),
});

export const RetryReason = {
  /** No session with the sending device could work (none, or a corrupt one): a new one was started. */
  SESSION: 'session',
  /** The ciphertext did not authenticate (tampered, corrupted, or sent with a key we lack). */
  DECRYPT: 'decrypt',
} as const;
export type RetryReason = (typeof RetryReason)[keyof typeof RetryReason];

/**
 * "I could not decrypt frame `id` that device `d` of user `u` sent me at `at`
 * (the relay's timestamp)": Signal's DecryptionErrorMessage. `rk` is the
 * ratchet key the failed message named (pairwise), `g` the group (group
 * messages). The sender resends that message to the requesting device only.
 */
export const RetryContentSchema = v.object({
  v: v.literal(CONTENT_VERSION),
  t: v.literal('retry'),
  u: UserIdSchema,
  d: Uint32Schema,
  id: MessageIdSchema,
  at: TimestampSchema,
  why: v.picklist([RetryReason.SESSION, RetryReason.DECRYPT]),
  rk: v.optional(v.pipe(v.instance(Uint8Array), v.length(32))),
  g: v.optional(bytes16),
});

/** A conversation id as the client names it: `u:<user id>` or `g:<32 hex>`. */
const ConversationIdSchema = v.pipe(
  v.string(),
  v.regex(/^(u:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|g:[0-9a-f]{32})$/),
);

export const SyncContactState = {
  ACCEPTED: 'accepted',
  BLOCKED: 'blocked',
  UNBLOCKED: 'unblocked',
  VERIFIED: 'verified',
  UNVERIFIED: 'unverified',
} as const;
export type SyncContactState = (typeof SyncContactState)[keyof typeof SyncContactState];

/** Messages one sync names at most (one delete-messages content). */
export const SYNC_MAX_MESSAGES = 256;

const syncOf = <const K extends string, E extends v.ObjectEntries>(k: K, entries: E) =>
  v.object({ v: v.literal(CONTENT_VERSION), t: v.literal('sync'), k: v.literal(k), ...entries });

/**
 * A change made on one of our devices, for our other devices only
 * (docs/client.md, "Own-device sync"): refused from anyone but our own
 * account, applied idempotently and never sent on.
 */
export const SyncContentSchema = v.variant('k', [
  /** A contact's state; `id` (their identity as verified) comes with `verified`. */
  syncOf('contact', {
    u: UserIdSchema,
    s: v.picklist(Object.values(SyncContactState) as [SyncContactState, ...SyncContactState[]]),
    id: v.optional(
      v.object({
        dh: v.pipe(v.instance(Uint8Array), v.length(32)),
        sig: v.pipe(v.instance(Uint8Array), v.length(32)),
        binding: v.pipe(v.instance(Uint8Array), v.length(64)),
      }),
    ),
  }),
  /** The synced privacy settings (all of them, as set on the sending device at `at`). */
  syncOf('settings', {
    rr: v.boolean(),
    ti: v.boolean(),
    sp: v.boolean(),
    at: TimestampSchema,
  }),
  syncOf('delete-conversation', { c: ConversationIdSchema }),
  /** Messages deleted "for me": (author, id) pairs in conversation `c`. */
  syncOf('delete-messages', {
    c: ConversationIdSchema,
    m: v.pipe(
      v.array(v.object({ a: UserIdSchema, id: MessageIdSchema })),
      v.minLength(1),
      v.maxLength(SYNC_MAX_MESSAGES),
    ),
  }),
  /** A group invitation accepted on the sending device. */
  syncOf('group-accept', { g: bytes16 }),
  /** Our signed device list changed (version `ver`): fetch it now. */
  syncOf('device-list', { ver: Uint32Schema }),
]);

export type Destination = v.InferOutput<typeof DestinationSchema>;
export type AttachmentPointer = v.InferOutput<typeof AttachmentPointerSchema>;
export type TextContent = v.InferOutput<typeof TextContentSchema>;
export type ReceiptContent = v.InferOutput<typeof ReceiptContentSchema>;
export type TypingContent = v.InferOutput<typeof TypingContentSchema>;
export type ResetContent = v.InferOutput<typeof ResetContentSchema>;
export type GroupUpdateContent = v.InferOutput<typeof GroupUpdateContentSchema>;
export type SenderKeyContent = v.InferOutput<typeof SenderKeyContentSchema>;
export type SenderKeyRequestContent = v.InferOutput<typeof SenderKeyRequestContentSchema>;
export type TimerContent = v.InferOutput<typeof TimerContentSchema>;
export type PresenceContent = v.InferOutput<typeof PresenceContentSchema>;
export type RetryContent = v.InferOutput<typeof RetryContentSchema>;
export type SyncContent = v.InferOutput<typeof SyncContentSchema>;
/** A sync's kind and fields, without the content header. */
export type SyncPayload = SyncContent extends infer S
  ? S extends SyncContent
    ? Omit<S, 'v' | 't'>
    : never
  : never;

/** A type this client does not handle (reserved, or from a newer version). */
export interface UnsupportedContent {
  readonly t: 'unsupported';
  readonly type: string;
  readonly version: number;
}

export type Content =
  | TextContent
  | ReceiptContent
  | TypingContent
  | ResetContent
  | GroupUpdateContent
  | SenderKeyContent
  | SenderKeyRequestContent
  | TimerContent
  | PresenceContent
  | RetryContent
  | SyncContent;
export type DecodedContent = Content | UnsupportedContent;

const schemas = {
  text: TextContentSchema,
  receipt: ReceiptContentSchema,
  typing: TypingContentSchema,
  reset: ResetContentSchema,
  'group-update': GroupUpdateContentSchema,
  'sender-key': SenderKeyContentSchema,
  'sender-key-request': SenderKeyRequestContentSchema,
  timer: TimerContentSchema,
  presence: PresenceContentSchema,
  retry: RetryContentSchema,
  sync: SyncContentSchema,
} as const;

function invalid(reason: string): ParleyError {
  return new ParleyError(ErrorCode.CONTENT_INVALID, `Cannot read message content: ${reason}`, {
    reason,
  });
}

/** Validates, then encodes; throws CONTENT_INVALID (at the sender, before anything is encrypted). */
export function encodeContent(content: Content): Bytes {
  const type = content.t;
  const schema: v.GenericSchema = schemas[type];
  if (!v.is(schema, content)) throw invalid(`invalid ${type} content`);
  const bytes = encodeCbor(content as unknown as Record<string, unknown>);
  if (bytes.length > CONTENT_MAX_BYTES) throw invalid('too large');
  return bytes;
}

/** Decrypted bytes to content. Throws CONTENT_INVALID for anything malformed. */
export function decodeContent(bytes: Uint8Array): DecodedContent {
  if (bytes.length > CONTENT_MAX_BYTES) throw invalid('too large');
  let raw: Record<string, unknown>;
  try {
    raw = decodeCbor(bytes);
  } catch {
    throw invalid('not CBOR');
  }
  const version = raw.v;
  const type = raw.t;
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || typeof type !== 'string') {
    throw invalid('missing version or type');
  }
  if (version !== CONTENT_VERSION || !Object.hasOwn(schemas, type)) {
    return { t: 'unsupported', type: type.slice(0, 32), version };
  }
  const result = v.safeParse(schemas[type as keyof typeof schemas] as v.GenericSchema, raw);
  if (!result.success) throw invalid(`invalid ${type} content`);
  return result.output as Content;
}

/**
 * valibot schemas for every request payload in the protocol map. The worker
 * runs each payload through its schema before anything else looks at it, and
 * acts only on the schema's output (unknown fields stripped or refused, input
 * normalised). A compile-time check ties every schema's output to the type in
 * `messaging.ts`, so the two cannot drift apart.
 *
 * Runs in: the service worker (pages do not import this, to keep them small).
 */
import * as v from 'valibot';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import { HANDLE_INPUT_MAX_CHARS } from '../../shared/wire/limits.ts';
import { canonicalHandle, HANDLE_RULE } from './handles.ts';
import type { RequestOf, RequestType } from './messaging.ts';
import {
  AUTO_LOCK_CHOICES,
  GROUP_NAME_MAX_CHARS,
  MEMBERS_MAX_PER_REQUEST,
  MESSAGE_MAX_CHARS,
  PAGE_MAX_MESSAGES,
  PASSPHRASE_MAX_CHARS,
  PASSPHRASE_MIN_CHARS,
  TIMER_CHOICES_MS,
} from './protocol.ts';

const none = v.undefined();

/** 32 bytes as unpadded base64url. */
const bytes32 = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes of base64url'));

/** WebAuthn credential ids are at most 1023 bytes. */
const credentialId = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_-]{16,1364}$/, 'must be a base64url credential id'),
);

const base64url = (max: number) =>
  v.pipe(v.string(), v.maxLength(max), v.regex(/^[A-Za-z0-9_-]*$/, 'must be base64url'));

/**
 * Ids become parts of storage keys such as `msg/<conversation>/...`, so a
 * separator inside one could reach another record's namespace: no `/`.
 */
const id = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(200),
  v.regex(/^[A-Za-z0-9_.:-]+$/, 'must be an id'),
);

const handle = v.pipe(
  v.string(),
  v.maxLength(HANDLE_INPUT_MAX_CHARS),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    const canonical = canonicalHandle(dataset.value);
    if (canonical === null) {
      addIssue({ message: `must be ${HANDLE_RULE}` });
      return NEVER;
    }
    return canonical;
  }),
);

function isLoopback(hostname: string): boolean {
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

/**
 * A relay base URL: https anywhere, plain http only on this machine (the
 * local default relay). Normalised to origin + path without a trailing slash.
 */
export const relayUrl = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    let url: URL;
    try {
      url = new URL(dataset.value.trim());
    } catch {
      addIssue({ message: 'must be a URL such as https://relay.example' });
      return NEVER;
    }
    const secure = url.protocol === 'https:';
    const local = url.protocol === 'http:' && isLoopback(url.hostname);
    if (!secure && !local) {
      addIssue({ message: 'must use https (plain http only for 127.0.0.1 or localhost)' });
      return NEVER;
    }
    if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
      addIssue({ message: 'must not contain credentials, a query or a fragment' });
      return NEVER;
    }
    return url.origin + url.pathname.replace(/\/+$/, '');
  }),
);

/** A list of handles, canonical and without repeats (the first spelling wins). */
const handles = v.pipe(
  v.array(handle),
  v.minLength(1, 'must name at least one person'),
  v.maxLength(MEMBERS_MAX_PER_REQUEST, `must name at most ${MEMBERS_MAX_PER_REQUEST} people`),
  v.transform((list) => [...new Set(list)]),
);

/**
 * A group name as the client core accepts it (groups/state.ts): 1..64
 * characters without surrounding spaces (trimmed here) and without control or
 * format characters (which could hide or reorder what members see).
 */
const groupName = v.pipe(
  v.string(),
  v.maxLength(GROUP_NAME_MAX_CHARS * 4),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(GROUP_NAME_MAX_CHARS, `must be at most ${GROUP_NAME_MAX_CHARS} characters`),
  v.check((name) => !/[\p{Cc}\p{Cf}]/u.test(name), 'must not contain control characters'),
);

const passphraseForCreate = v.pipe(
  v.string(),
  v.minLength(PASSPHRASE_MIN_CHARS, `must be at least ${PASSPHRASE_MIN_CHARS} characters`),
  v.maxLength(PASSPHRASE_MAX_CHARS),
);

const passphraseForUnlock = v.pipe(v.string(), v.minLength(1), v.maxLength(PASSPHRASE_MAX_CHARS));

const messageText = v.pipe(
  v.string(),
  v.maxLength(MESSAGE_MAX_CHARS, `must be at most ${MESSAGE_MAX_CHARS} characters`),
  v.check((text) => text.trim().length > 0, 'must not be empty'),
);

/**
 * The registration response forwarded to the relay. `v.object` drops unknown
 * keys, which is what keeps a PRF output (`clientExtensionResults.prf.results`)
 * from ever leaving the worker even if a page forgot to remove it.
 */
const registrationCredential = v.object({
  id: credentialId,
  rawId: credentialId,
  type: v.literal('public-key'),
  authenticatorAttachment: v.exactOptional(v.pipe(v.string(), v.maxLength(32))),
  response: v.object({
    clientDataJSON: base64url(16_384),
    attestationObject: base64url(65_536),
    transports: v.exactOptional(
      v.pipe(v.array(v.pipe(v.string(), v.maxLength(32))), v.maxLength(8)),
    ),
    publicKey: v.exactOptional(base64url(4096)),
    publicKeyAlgorithm: v.exactOptional(v.pipe(v.number(), v.integer())),
    authenticatorData: v.exactOptional(base64url(65_536)),
  }),
  clientExtensionResults: v.object({
    prf: v.exactOptional(v.object({ enabled: v.exactOptional(v.boolean()) })),
    credProps: v.exactOptional(v.object({ rk: v.exactOptional(v.boolean()) })),
  }),
});

export const requestSchemas = {
  getStatus: none,
  touch: none,
  reconnectNow: none,
  checkRelay: v.strictObject({ relayUrl }),
  beginRegistration: v.strictObject({ relayUrl, handle }),
  createVault: v.variant('method', [
    v.strictObject({
      method: v.literal('prf'),
      credentialId,
      prfSalt: bytes32,
      prfOutput: bytes32,
    }),
    v.strictObject({ method: v.literal('passphrase'), passphrase: passphraseForCreate }),
  ]),
  finishRegistration: v.strictObject({ credential: registrationCredential }),
  resetOnboarding: none,
  getUnlockOptions: none,
  unlock: v.variant('method', [
    v.strictObject({ method: v.literal('prf'), credentialId, prfOutput: bytes32 }),
    v.strictObject({ method: v.literal('passphrase'), passphrase: passphraseForUnlock }),
  ]),
  lock: none,
  listConversations: none,
  startConversation: v.strictObject({ handle }),
  getMessages: v.strictObject({
    conversationId: id,
    before: v.exactOptional(v.pipe(v.string(), v.minLength(1), v.maxLength(400))),
    limit: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(PAGE_MAX_MESSAGES)),
  }),
  sendText: v.strictObject({ conversationId: id, text: messageText }),
  markRead: v.strictObject({ conversationId: id, upTo: id }),
  sendTyping: v.strictObject({ conversationId: id, typing: v.boolean() }),
  setTimer: v.strictObject({ conversationId: id, timerMs: v.picklist(TIMER_CHOICES_MS) }),
  deleteConversation: v.strictObject({ conversationId: id }),
  acceptRequest: v.strictObject({ conversationId: id }),
  blockContact: v.strictObject({ userId: id }),
  unblockContact: v.strictObject({ userId: id }),
  createGroup: v.strictObject({ name: groupName, members: handles }),
  getGroup: v.strictObject({ conversationId: id }),
  renameGroup: v.strictObject({ conversationId: id, name: groupName }),
  addGroupMembers: v.strictObject({ conversationId: id, handles }),
  removeGroupMember: v.strictObject({ conversationId: id, userId: id }),
  setGroupRole: v.strictObject({
    conversationId: id,
    userId: id,
    role: v.picklist(['owner', 'admin', 'member']),
  }),
  leaveGroup: v.strictObject({ conversationId: id }),
  getContact: v.strictObject({ conversationId: id }),
  setVerified: v.strictObject({ userId: id, verified: v.boolean() }),
  acknowledgeIdentityChange: v.strictObject({ userId: id }),
  getSettings: none,
  updateSettings: v.strictObject({
    autoLockMinutes: v.exactOptional(v.picklist(AUTO_LOCK_CHOICES)),
    notifications: v.exactOptional(v.boolean()),
    notificationPreview: v.exactOptional(v.boolean()),
    readReceipts: v.exactOptional(v.boolean()),
    typingIndicators: v.exactOptional(v.boolean()),
    showPresence: v.exactOptional(v.boolean()),
  }),
  setFocus: v.strictObject({ conversationId: id }),
  takeFocus: none,
} satisfies SchemaMap;

type SchemaMap = { readonly [K in RequestType]: v.GenericSchema<unknown, RequestOf<K>> };
const schemaMap: SchemaMap = requestSchemas;

/** Human-readable and secret-free: names the field and the rule, never the value. */
function describeIssue(issue: v.BaseIssue<unknown>): {
  path: string;
  reason: string;
  message: string;
} {
  const path = v.getDotPath(issue) ?? '';
  const rule =
    issue.kind === 'schema' && issue.type !== 'custom'
      ? `must be ${issue.expected ?? issue.type}`
      : '';
  const reason = issue.message.startsWith('Invalid ')
    ? rule || `failed ${issue.type}`
    : issue.message;
  return {
    path,
    reason,
    message: path === '' ? `Invalid request: ${reason}` : `Invalid ${path}: ${reason}`,
  };
}

/**
 * Validates a payload against its schema; throws BODY_INVALID naming the
 * first offending field (details: the request type, the field's `path`, and
 * the `reason`: the rule it broke). valibot's own messages quote the received value,
 * which could be a passphrase, so they are never passed on verbatim.
 */
export function parseRequest<K extends RequestType>(type: K, data: unknown): RequestOf<K> {
  const schema = schemaMap[type];
  const result = v.safeParse(schema, data);
  if (result.success) return result.output;
  const first = result.issues[0];
  const { path, reason, message } =
    first === undefined
      ? { path: '', reason: 'failed', message: 'Invalid request' }
      : describeIssue(first);
  // Pages render from `path` and `reason` (docs/errors.md), never from the message.
  throw new ParleyError(
    ErrorCode.BODY_INVALID,
    message,
    path === '' ? { type, reason } : { type, path, reason },
  );
}

/**
 * The valibot pieces request payloads are made of (the request table,
 * table.ts, puts them together per request). The worker runs each payload
 * through its schema before anything else looks at it and acts only on the
 * schema's output: unknown fields stripped or refused, input normalised.
 * Where a schema accepts less than its page-facing type says (a picklist for
 * a number), it is annotated with that type, so pages keep sending what
 * lib/protocol.ts describes.
 *
 * Runs in: the service worker (pages import only types from here).
 */
import * as v from 'valibot';
import { fromBase64Url } from '../../../../shared/bytes.ts';
import { DRAFT_MAX_CHARS } from '../../../../shared/client/conversations/drafts.ts';
import { PendingUploadSchema } from '../../../../shared/client/conversations/pending-uploads.ts';
import {
  ATTACHMENT_FLAG_VOICE,
  ATTACHMENT_THUMB_MAX_BYTES,
  ATTACHMENTS_MAX,
  type AttachmentPointer,
} from '../../../../shared/client/sessions/content.ts';
import { ATTACHMENT_MAX_BYTES, HANDLE_INPUT_MAX_CHARS } from '../../../../shared/wire/limits.ts';
import { canonicalHandle, HANDLE_RULE } from '../../../lib/handles.ts';
import {
  AUTO_LOCK_CHOICES,
  GROUP_NAME_MAX_CHARS,
  type GroupRole,
  MEMBERS_MAX_PER_REQUEST,
  MESSAGE_MAX_CHARS,
  PAGE_MAX_MESSAGES,
  PASSPHRASE_MAX_CHARS,
  PASSPHRASE_MIN_CHARS,
  type RegistrationCredentialJson,
  type Settings,
  TIMER_CHOICES_MS,
  type TimerChoice,
} from '../../../lib/protocol.ts';

/** A request without payload. */
export const none = v.undefined();

/** 32 bytes as unpadded base64url. */
export const bytes32 = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes of base64url'),
);

/** WebAuthn credential ids are at most 1023 bytes. */
export const credentialId = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_-]{16,1364}$/, 'must be a base64url credential id'),
);

const base64url = (max: number) =>
  v.pipe(v.string(), v.maxLength(max), v.regex(/^[A-Za-z0-9_-]*$/, 'must be base64url'));

/**
 * Ids become parts of storage keys such as `msg/<conversation>/...`, so a
 * separator inside one could reach another record's namespace: no `/`.
 */
export const id = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(200),
  v.regex(/^[A-Za-z0-9_.:-]+$/, 'must be an id'),
);

export const handle = v.pipe(
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
export const handles: v.GenericSchema<readonly string[], string[]> = v.pipe(
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
export const groupName = v.pipe(
  v.string(),
  v.maxLength(GROUP_NAME_MAX_CHARS * 4),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(GROUP_NAME_MAX_CHARS, `must be at most ${GROUP_NAME_MAX_CHARS} characters`),
  v.check((name) => !/[\p{Cc}\p{Cf}]/u.test(name), 'must not contain control characters'),
);

export const passphraseForCreate = v.pipe(
  v.string(),
  v.minLength(PASSPHRASE_MIN_CHARS, `must be at least ${PASSPHRASE_MIN_CHARS} characters`),
  v.maxLength(PASSPHRASE_MAX_CHARS),
);

export const passphraseForUnlock = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(PASSPHRASE_MAX_CHARS),
);

/** A composer's unsent text: anything up to the draft limit, empty included (no draft). */
export const draftText = v.pipe(
  v.string(),
  v.maxLength(DRAFT_MAX_CHARS, `must be at most ${DRAFT_MAX_CHARS} characters`),
);

export const messageText = v.pipe(
  v.string(),
  v.maxLength(MESSAGE_MAX_CHARS, `must be at most ${MESSAGE_MAX_CHARS} characters`),
  v.check((text) => text.trim().length > 0, 'must not be empty'),
);

/**
 * The registration response forwarded to the relay. `v.object` drops unknown
 * keys, which is what keeps a PRF output (`clientExtensionResults.prf.results`)
 * from ever leaving the worker even if a page forgot to remove it.
 */
export const registrationCredential: v.GenericSchema<RegistrationCredentialJson> = v.object({
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

/** 16 bytes as unpadded base64url: an attachment's id on the relay, or a pending upload's. */
export const relayId = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9_-]{22}$/, 'must be 16 bytes of base64url'),
);

/** What the page says about an upload in progress (kept sealed; pending-uploads.ts). */
export const pendingUpload = PendingUploadSchema;

const dimension = v.exactOptional(
  v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(65_535)),
);

/**
 * A file the page uploaded, as it goes into the message: ids, key and digest
 * as base64url, turned into bytes here (the content schema checks the rest).
 */
const attachment = v.pipe(
  v.strictObject({
    id: relayId,
    key: bytes32,
    digest: bytes32,
    digestScheme: v.exactOptional(
      v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(0xff)),
    ),
    size: v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(ATTACHMENT_MAX_BYTES)),
    mime: v.pipe(v.string(), v.maxLength(255)),
    name: v.exactOptional(v.pipe(v.string(), v.maxLength(255))),
    width: dimension,
    height: dimension,
    durationMs: v.exactOptional(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
    thumb: v.exactOptional(
      v.pipe(
        base64url(Math.ceil((ATTACHMENT_THUMB_MAX_BYTES * 4) / 3)),
        v.check((t) => fromBase64Url(t).length <= ATTACHMENT_THUMB_MAX_BYTES, 'must be ≤ 2 KiB'),
      ),
    ),
    voice: v.exactOptional(v.boolean()),
  }),
  v.transform(
    (a): AttachmentPointer => ({
      id: fromBase64Url(a.id),
      key: fromBase64Url(a.key),
      digest: fromBase64Url(a.digest),
      ...(a.digestScheme === undefined ? {} : { digestScheme: a.digestScheme }),
      size: a.size,
      mime: a.mime,
      ...(a.name === undefined ? {} : { name: a.name }),
      ...(a.width === undefined ? {} : { width: a.width }),
      ...(a.height === undefined ? {} : { height: a.height }),
      ...(a.durationMs === undefined ? {} : { durationMs: a.durationMs }),
      ...(a.thumb === undefined ? {} : { thumb: fromBase64Url(a.thumb) }),
      ...(a.voice === true ? { flags: ATTACHMENT_FLAG_VOICE } : {}),
    }),
  ),
);

export const attachments = v.pipe(
  v.array(attachment),
  v.minLength(1),
  v.maxLength(ATTACHMENTS_MAX, `must be at most ${ATTACHMENTS_MAX} files`),
);

/** A caption may be empty; a text without files may not (checked by the row). */
export const caption = v.pipe(
  v.string(),
  v.maxLength(MESSAGE_MAX_CHARS, `must be at most ${MESSAGE_MAX_CHARS} characters`),
);

/** A message id as pages hold it, or a paging cursor. */
export const cursor = v.pipe(v.string(), v.minLength(1), v.maxLength(400));

export const pageLimit = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(1),
  v.maxValue(PAGE_MAX_MESSAGES),
);

export const timer: v.GenericSchema<TimerChoice> = v.picklist(TIMER_CHOICES_MS);

export const role: v.GenericSchema<GroupRole> = v.picklist(['owner', 'admin', 'member']);

/** A settings change: any subset of the fields, each checked. */
export const settingsPatch: v.GenericSchema<Partial<Settings>> = v.strictObject({
  autoLockMinutes: v.exactOptional(v.picklist(AUTO_LOCK_CHOICES)),
  notifications: v.exactOptional(v.boolean()),
  notificationPreview: v.exactOptional(v.boolean()),
  readReceipts: v.exactOptional(v.boolean()),
  typingIndicators: v.exactOptional(v.boolean()),
  showPresence: v.exactOptional(v.boolean()),
});

export const vaultCreateSecret = v.variant('method', [
  v.strictObject({
    method: v.literal('prf'),
    credentialId,
    prfSalt: bytes32,
    prfOutput: bytes32,
  }),
  v.strictObject({ method: v.literal('passphrase'), passphrase: passphraseForCreate }),
]);

export const vaultUnlockSecret = v.variant('method', [
  v.strictObject({ method: v.literal('prf'), credentialId, prfOutput: bytes32 }),
  v.strictObject({ method: v.literal('passphrase'), passphrase: passphraseForUnlock }),
]);

/** Human-readable and secret-free: names the field and the rule, never the value. */
export function describeIssue(issue: v.BaseIssue<unknown>): {
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

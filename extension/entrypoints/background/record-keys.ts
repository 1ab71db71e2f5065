/**
 * What the client core's record keys become on disk (docs/extension.md, "Vault and locking").
 *
 * The core names records by paths that say a lot: `contact/<userId>`,
 * `conv/g:<groupId>`, `msg/<conversation>/<ms stamp>/<id>`,
 * `expiry/<time>/<author>/<message key>`. IndexedDB keys are not sealed, so
 * the extension stores each record under an opaque key instead: the first
 * segment (the record kind: `msg`, `contact`, …) stays readable and every
 * later segment becomes a tag,
 *
 *   tag_i = base64url(HMAC-SHA-256(indexKey, "seg1/…/seg_i")[0..12])   (16 chars)
 *
 * so `msg/u:<bob>/<stamp>/<id>` is stored as `msg/<t1>/<t2>/<t3>`. The tag
 * of a segment depends on the whole path before it, so equal segments in
 * different places do not match, and all records under one logical prefix
 * share one stored prefix (what `list` walks). Tags carry no order: the
 * store puts records back in logical order after opening their sealed
 * logical keys (idb-store.ts). A key without `/` (`account`, `clock`) names
 * nothing private and is stored as it is.
 *
 * `indexKey` is 32 random bytes kept as a vault record: without the vault
 * nobody can compute or test a tag (e.g. "is `contact/<this user id>`
 * there?").
 *
 * The expiry index is the one exception the locked worker needs: it must
 * delete what ran out while the vault is locked, with no key to open
 * anything. Its entries are stored as `expiry/<bucket end>/<tag>`, where the
 * bucket end is the expiry time rounded UP to EXPIRY_BUCKET_MS, and carry the
 * stored keys of what to delete in the clear (opaque tags). So the disk
 * shows, per disappearing message, the minute its countdown ends and, for
 * our own messages with files, the relay ids of those uploads (so the locked
 * worker can delete them on the relay: docs/extension.md "Attachments"; an
 * id fetches only ciphertext, the file key stays sealed in the message), and
 * no more; a locked sweep deletes at most one bucket late (an unlocked
 * client sweeps at the exact time).
 *
 * Runs anywhere (pure).
 */
import { fromHex, toBase64Url, utf8 } from '../../../shared/bytes.ts';
import { parseExpiryKey } from '../../../shared/client/disappearing/expiry.ts';
import { Keys, pad16 } from '../../../shared/client/store/storage-keys.ts';
import { hmacSha256 } from '../../../shared/crypto/kdf.ts';

export const INDEX_KEY_BYTES = 32;
const TAG_BYTES = 12;
/** Granularity of the expiry times on disk; also how late a locked sweep can be. */
export const EXPIRY_BUCKET_MS = 60_000;

export function keyTag(indexKey: Uint8Array, path: string): string {
  return toBase64Url(hmacSha256(indexKey, utf8(path)).subarray(0, TAG_BYTES));
}

/** The end of the expiry bucket `at` falls in (a multiple of EXPIRY_BUCKET_MS, ≥ at). */
export function expiryBucketEnd(at: number): number {
  return Math.ceil(at / EXPIRY_BUCKET_MS) * EXPIRY_BUCKET_MS;
}

function hashedPath(indexKey: Uint8Array, logical: string): string {
  const parts = logical.split('/');
  let out = parts[0] ?? '';
  for (let i = 1; i < parts.length; i++) {
    out += `/${keyTag(indexKey, parts.slice(0, i + 1).join('/'))}`;
  }
  return out;
}

/** The IndexedDB key for a logical record key. */
export function storedKeyOf(indexKey: Uint8Array, logical: string): string {
  if (!logical.includes('/')) return logical;
  if (logical.startsWith(Keys.expiries)) {
    const entry = parseExpiryKey(logical);
    if (entry !== undefined) {
      return `${Keys.expiries}${pad16(expiryBucketEnd(entry.at))}/${keyTag(indexKey, logical)}`;
    }
  }
  return hashedPath(indexKey, logical);
}

/**
 * Where in IndexedDB the records under a logical `prefix` are: every stored
 * key starting with the returned string (a superset when `prefix` does not
 * end at a `/`; the caller filters by the opened logical keys).
 */
export function storedBaseOf(indexKey: Uint8Array, prefix: string): string {
  if (prefix.startsWith(Keys.expiries)) return Keys.expiries;
  const cut = prefix.lastIndexOf('/');
  if (cut < 0) return '';
  return `${storedKeyOf(indexKey, prefix.slice(0, cut))}/`;
}

/**
 * Marks a sweep target that is not a stored key but the relay id of one of
 * our uploads the expired message carried: the locked worker deletes it on
 * the relay (device-signed; the device key lives outside the vault). No
 * stored key has a `:` before its first `/`, so the two never mix.
 */
export const UPLOAD_TARGET = 'upload:';

/**
 * For an expiry index entry: the stored keys a locked sweep deletes when its
 * bucket has ended (the entry itself, the message, its receipt index), then
 * `upload:<relay id>` for each of our own files the message carried.
 * Undefined for any other key.
 */
export function sweepTargetsOf(indexKey: Uint8Array, logical: string): string[] | undefined {
  if (!logical.startsWith(Keys.expiries)) return undefined;
  const entry = parseExpiryKey(logical);
  if (entry === undefined) return undefined;
  return [
    storedKeyOf(indexKey, logical),
    storedKeyOf(indexKey, entry.messageKey),
    storedKeyOf(indexKey, Keys.messageIndex(entry.author, fromHex(entry.id))),
    ...(entry.uploads ?? []).map((id) => `${UPLOAD_TARGET}${id}`),
  ];
}

/** The bucket end named by a stored expiry key, or undefined for anything else. */
export function bucketEndOfStored(stored: string): number | undefined {
  if (!stored.startsWith(Keys.expiries)) return undefined;
  const text = stored.slice(Keys.expiries.length, Keys.expiries.length + 16);
  const at = /^\d{16}$/.test(text) ? Number(text) : Number.NaN;
  return Number.isSafeInteger(at) ? at : undefined;
}

/**
 * How one stored record is sealed with the vault key: AES-256-GCM with a
 * random 96-bit nonce, the record's key as associated data (so a value moved
 * to another key, or swapped between keys, fails to open), and a format byte
 * in front so the layout can change later.
 *
 *   sealed = 0x01 || nonce (12) || ciphertext+tag
 *
 * Random nonces are safe here: the vault key seals far fewer than 2^32 values
 * in its lifetime (NIST SP 800-38D's bound for random 96-bit nonces).
 *
 * In IndexedDB each record is an ENTRY (docs/extension.md, "Vault and locking"): its logical key is
 * not the IndexedDB key (record-keys.ts), so the entry carries it, sealed on
 * its own so `list` can learn keys without opening values:
 *
 *   entry = 0x02 || u8 n || n × (u8 len || stored key) || u16be |sk| || sk || sv
 *   sk = seal(AAD "\0key\0" || stored key, logical key)    sv = seal(AAD logical key, value)
 *
 * The n stored keys (opaque tags) are in the clear only for expiry index
 * entries: what a locked sweep deletes (record-keys.ts).
 *
 * Runs in: the service worker and Node (tests).
 */
import { type Bytes, concat, utf8 } from '../../../shared/bytes.ts';
import {
  GCM_NONCE_BYTES,
  GCM_TAG_BYTES,
  openLarge,
  sealLarge,
} from '../../../shared/crypto/aead.ts';
import type { Random } from '../../../shared/crypto/random.ts';
import { ErrorCode, ParleyError } from '../../../shared/errors.ts';

export const RECORD_FORMAT = 0x01;
const AAD_PREFIX = utf8('Parley/v1/vault/record\0');
const HEADER_BYTES = 1 + GCM_NONCE_BYTES;

function recordAad(recordKey: string): Bytes {
  return concat(AAD_PREFIX, new Uint8Array([RECORD_FORMAT]), utf8(recordKey));
}

export async function sealRecord(
  vaultKey: CryptoKey,
  recordKey: string,
  value: Uint8Array,
  random: Random,
): Promise<Bytes> {
  const nonce = random(GCM_NONCE_BYTES);
  const ciphertext = await sealLarge(vaultKey, nonce, value, recordAad(recordKey));
  return concat(new Uint8Array([RECORD_FORMAT]), nonce, ciphertext);
}

export async function openRecord(
  vaultKey: CryptoKey,
  recordKey: string,
  sealed: Uint8Array,
): Promise<Bytes> {
  if (sealed.length < HEADER_BYTES + GCM_TAG_BYTES || sealed[0] !== RECORD_FORMAT) {
    throw new ParleyError(ErrorCode.STATE_CORRUPT, 'Cannot open stored record: unknown format', {
      key: recordKey,
    });
  }
  const nonce = sealed.subarray(1, HEADER_BYTES);
  return openLarge(vaultKey, nonce, sealed.subarray(HEADER_BYTES), recordAad(recordKey));
}

export const ENTRY_FORMAT = 0x02;

export interface DecodedEntry {
  readonly targets: readonly string[];
  readonly sealedKey: Uint8Array;
  readonly sealedValue: Uint8Array;
}

function corrupt(stored: string): ParleyError {
  return new ParleyError(ErrorCode.STATE_CORRUPT, 'Cannot open stored record: damaged entry', {
    key: stored,
  });
}

function keyAadOf(stored: string): string {
  return `\u0000key\u0000${stored}`;
}

export function encodeEntry(
  targets: readonly string[],
  sealedKey: Uint8Array,
  sealedValue: Uint8Array,
): Bytes {
  const parts: Uint8Array[] = [new Uint8Array([ENTRY_FORMAT, targets.length])];
  for (const t of targets) {
    const bytes = utf8(t);
    parts.push(new Uint8Array([bytes.length]), bytes);
  }
  parts.push(
    new Uint8Array([sealedKey.length >> 8, sealedKey.length & 0xff]),
    sealedKey,
    sealedValue,
  );
  return concat(...parts);
}

export function decodeEntry(stored: string, entry: Uint8Array): DecodedEntry {
  if (entry.length < 2 || entry[0] !== ENTRY_FORMAT) throw corrupt(stored);
  const count = entry[1] as number;
  let at = 2;
  const targets: string[] = [];
  for (let i = 0; i < count; i++) {
    const len = entry[at];
    if (len === undefined || at + 1 + len > entry.length) throw corrupt(stored);
    targets.push(new TextDecoder().decode(entry.subarray(at + 1, at + 1 + len)));
    at += 1 + len;
  }
  if (at + 2 > entry.length) throw corrupt(stored);
  const keyLength = ((entry[at] as number) << 8) | (entry[at + 1] as number);
  at += 2;
  if (at + keyLength > entry.length) throw corrupt(stored);
  return {
    targets,
    sealedKey: entry.subarray(at, at + keyLength),
    sealedValue: entry.subarray(at + keyLength),
  };
}

/** Seals one record as an entry under `stored`; `targets` only for expiry index entries. */
export async function sealEntry(
  vaultKey: CryptoKey,
  stored: string,
  logical: string,
  value: Uint8Array,
  targets: readonly string[],
  random: Random,
): Promise<Bytes> {
  const [sealedKey, sealedValue] = await Promise.all([
    sealRecord(vaultKey, keyAadOf(stored), utf8(logical), random),
    sealRecord(vaultKey, logical, value, random),
  ]);
  return encodeEntry(targets, sealedKey, sealedValue);
}

/** The logical key an entry stored under `stored` carries (fails if moved to another stored key). */
export async function openEntryKey(
  vaultKey: CryptoKey,
  stored: string,
  entry: Uint8Array,
): Promise<string> {
  const { sealedKey } = decodeEntry(stored, entry);
  return new TextDecoder().decode(await openRecord(vaultKey, keyAadOf(stored), sealedKey));
}

/** The value of an entry whose logical key is `logical` (fails for any other key). */
export function openEntryValue(
  vaultKey: CryptoKey,
  stored: string,
  logical: string,
  entry: Uint8Array,
): Promise<Bytes> {
  return openRecord(vaultKey, logical, decodeEntry(stored, entry).sealedValue);
}

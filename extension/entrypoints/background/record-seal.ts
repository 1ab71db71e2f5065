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

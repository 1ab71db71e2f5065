/**
 * The recovery key (docs/protocol.md, "Backups"): 32 random bytes the user
 * writes down once, shown as 56 characters of Crockford's base32 in 14 groups
 * of 4. Pure: no I/O, no clock; randomness comes in as a parameter.
 *
 *   52 characters: the 256 key bits, most significant first, 4 zero pad bits
 *    3 characters: the first 15 bits of SHA-256(key)
 *    1 character:  a check symbol over GF(32) of the 55 before it
 *
 * The check symbol makes the 56 characters a codeword (Horner's evaluation
 * at α is zero), so every single substituted character and every swap of two
 * different neighbours is caught with certainty, not only with the 2^-20
 * chance a hash alone would give; the hash characters catch wider damage.
 * Either way a typo fails here, offline, before anything is derived or sent.
 *
 * The key is uniformly random, so no slow KDF is needed on it (the HKDF
 * hierarchy in keys.ts is enough), as with Signal's account entropy pool.
 */
import { type Bytes, equalBytes } from '../bytes.ts';
import { sha256Digest } from '../crypto/kdf.ts';
import type { Random } from '../crypto/random.ts';
import { ErrorCode, fail } from '../errors.ts';

export const RECOVERY_KEY_BYTES = 32;
/** Crockford's base32: no I, L, O (read as 1, 1, 0) and no U. */
export const RECOVERY_KEY_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const KEY_CHARS = 52; // ceil(256 / 5)
const HASH_CHARS = 3; // 15 bits of SHA-256
export const RECOVERY_KEY_CHARS = KEY_CHARS + HASH_CHARS + 1;
export const RECOVERY_KEY_GROUP = 4;

/** Look-alikes read as the character they are mistaken for (Crockford's decoding rules). */
const LOOK_ALIKES: Readonly<Record<string, string>> = { I: '1', L: '1', O: '0' };

export type RecoveryKeyProblem = 'length' | 'character' | 'checksum';

function invalid(reason: RecoveryKeyProblem): never {
  // Never the typed text in the message or details: it is the secret.
  fail(ErrorCode.RECOVERY_KEY_INVALID, `Recovery key: ${reason} check failed`, { reason });
}

export function newRecoveryKey(random: Random): Bytes {
  return random(RECOVERY_KEY_BYTES);
}

/** Multiplication in GF(2^5) modulo x^5 + x^2 + 1 (primitive: α = x has order 31). */
function gf32Mul(a: number, b: number): number {
  let product = 0;
  let x = a;
  for (let y = b; y !== 0; y >>= 1) {
    if (y & 1) product ^= x;
    x <<= 1;
    if (x & 0x20) x ^= 0x25;
  }
  return product;
}

const ALPHA = 2;

/** Σ v_i·α^(n-1-i) by Horner's rule. */
function evaluate(values: readonly number[]): number {
  let acc = 0;
  for (const v of values) acc = gf32Mul(acc, ALPHA) ^ v;
  return acc;
}

/** Big-endian 5-bit groups of `bytes`, zero-padded at the end. */
function toFiveBit(bytes: Uint8Array, count: number): number[] {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < count) {
      bits -= 5;
      out.push((buffer >> bits) & 31);
    }
  }
  while (out.length < count) {
    out.push((buffer << (5 - bits)) & 31);
    bits = 0;
    buffer = 0;
  }
  return out;
}

function checkValues(key: Uint8Array): number[] {
  const values = toFiveBit(key, KEY_CHARS);
  const hash = toFiveBit(sha256Digest(key).subarray(0, 2), HASH_CHARS);
  values.push(...hash);
  // The symbol that makes Horner's evaluation of all 56 values zero.
  values.push(gf32Mul(evaluate(values), ALPHA));
  return values;
}

/** The 56 characters without grouping. */
export function encodeRecoveryKey(key: Uint8Array): string {
  if (key.length !== RECOVERY_KEY_BYTES)
    throw new RangeError(`Recovery key: expected ${RECOVERY_KEY_BYTES} bytes, got ${key.length}`);
  return checkValues(key)
    .map((v) => RECOVERY_KEY_ALPHABET[v])
    .join('');
}

/** The 14 groups of 4 characters, as shown to the user. */
export function recoveryKeyGroups(key: Uint8Array): string[] {
  const text = encodeRecoveryKey(key);
  const groups: string[] = [];
  for (let i = 0; i < text.length; i += RECOVERY_KEY_GROUP)
    groups.push(text.slice(i, i + RECOVERY_KEY_GROUP));
  return groups;
}

/** `ABCD EFGH …`: the groups joined by spaces. */
export function formatRecoveryKey(key: Uint8Array): string {
  return recoveryKeyGroups(key).join(' ');
}

/** Upper case, no spaces or dashes, look-alikes replaced. */
export function normalizeRecoveryKey(text: string): string {
  return text
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/[ILO]/g, (c) => LOOK_ALIKES[c] ?? c);
}

function fromFiveBit(values: readonly number[]): Bytes {
  const out = new Uint8Array(RECOVERY_KEY_BYTES);
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const v of values) {
    buffer = ((buffer << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8 && index < out.length) {
      bits -= 8;
      out[index++] = (buffer >> bits) & 0xff;
    }
  }
  // What is left are the pad bits: they must be zero (one spelling per key).
  if ((buffer & ((1 << bits) - 1)) !== 0) invalid('checksum');
  return out;
}

/**
 * Reads a typed key, forgiving case, spaces, dashes and I/L/O; throws
 * RECOVERY_KEY_INVALID (`length`, `character` or `checksum`) on anything else.
 */
export function parseRecoveryKey(text: string): Bytes {
  const compact = normalizeRecoveryKey(text);
  if (compact.length !== RECOVERY_KEY_CHARS) invalid('length');
  const values = [...compact].map((c) => RECOVERY_KEY_ALPHABET.indexOf(c));
  if (values.some((v) => v < 0)) invalid('character');
  if (evaluate(values) !== 0) invalid('checksum');
  const key = fromFiveBit(values.slice(0, KEY_CHARS));
  const expected = checkValues(key);
  if (!equalBytes(Uint8Array.from(expected), Uint8Array.from(values))) invalid('checksum');
  return key;
}

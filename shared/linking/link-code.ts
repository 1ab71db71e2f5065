/**
 * Path A of linking (docs/protocol.md, "Linking a device"): the typed code
 * `LLLL-SSSS-SSSS` and the password-wrapped ephemeral keys of the EKE.
 *
 * L is the rendezvous locator (the relay sees it); S is a 40-bit secret the
 * relay never sees, in whatsmeow's alphabet. Each side sends its X25519
 * ephemeral public key as `salt32 ‖ iv16 ‖ AES-256-CTR(PBKDF2-SHA256(S, salt,
 * 131072, 32), pub)`, exactly as WhatsApp's pairing code does (all WebCrypto).
 * A relay in the middle that does not know S can only test one guess per
 * online attempt: a wrong guess makes the key confirmation fail.
 */
import { type Bytes, concat, utf8, wipe } from '../bytes.ts';
import type { Random } from '../crypto/random.ts';
import { X25519_KEY_BYTES } from '../crypto/x25519.ts';
import { ErrorCode, fail } from '../errors.ts';
import { LINK_CODE_ALPHABET, LINK_LOCATOR_CHARS } from '../wire/limits.ts';

/** Characters of the secret part: 8 × 5 bits = 40 bits. */
export const LINK_SECRET_CHARS = 8;
/** PBKDF2-SHA256 iterations over the secret (whatsmeow's 2 << 16). */
export const LINK_PBKDF2_ITERATIONS = 131_072;
const SALT_BYTES = 32;
const IV_BYTES = 16;
/** salt32 ‖ iv16 ‖ encrypted key32. */
export const WRAPPED_KEY_BYTES = SALT_BYTES + IV_BYTES + X25519_KEY_BYTES;

export interface LinkCode {
  /** The 4-character rendezvous locator (what the relay sees). */
  readonly locator: string;
  /** The 8-character secret (what the relay must never see). */
  readonly secret: string;
}

/** 40 random bits as 8 characters of the alphabet. */
export function newLinkSecret(random: Random): string {
  const bytes = random(5);
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  wipe(bytes);
  let out = '';
  for (let i = LINK_SECRET_CHARS - 1; i >= 0; i--)
    out += LINK_CODE_ALPHABET[Number((bits >> BigInt(i * 5)) & 31n)];
  return out;
}

/** `LLLL-SSSS-SSSS`, as shown on the new device. */
export function formatLinkCode(code: LinkCode): string {
  return `${code.locator}-${code.secret.slice(0, 4)}-${code.secret.slice(4)}`;
}

/**
 * Reads a typed code: case, spaces and dashes do not matter; anything else
 * outside the alphabet (0, O, I, U) is a typo, refused before any network call.
 */
export function parseLinkCode(text: string): LinkCode {
  const compact = text.toUpperCase().replace(/[\s-]/g, '');
  const length = LINK_LOCATOR_CHARS + LINK_SECRET_CHARS;
  const valid =
    compact.length === length && [...compact].every((c) => LINK_CODE_ALPHABET.includes(c));
  if (!valid)
    fail(
      ErrorCode.LINK_CODE_INVALID,
      `A linking code is ${length} characters of the code alphabet`,
      {
        reason: 'format',
      },
    );
  return {
    locator: compact.slice(0, LINK_LOCATOR_CHARS),
    secret: compact.slice(LINK_LOCATOR_CHARS),
  };
}

async function ctrKey(secret: string, salt: Bytes): Promise<CryptoKey> {
  const password = utf8(secret);
  const base = await crypto.subtle.importKey('raw', password, 'PBKDF2', false, ['deriveBits']);
  wipe(password);
  const bits = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: LINK_PBKDF2_ITERATIONS },
      base,
      256,
    ),
  );
  const key = await crypto.subtle.importKey('raw', bits, 'AES-CTR', false, ['encrypt']);
  wipe(bits);
  return key;
}

async function ctr(key: CryptoKey, iv: Bytes, data: Uint8Array): Promise<Bytes> {
  return new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-CTR', counter: iv, length: 64 }, key, data as Bytes),
  );
}

/**
 * Wraps an X25519 public key under the secret. Bit 255 (which X25519 ignores)
 * is set at random first: with it always clear, a relay could rule out every
 * guess whose decryption sets it (a partition attack on EKE).
 */
export async function wrapLinkKey(
  secret: string,
  publicKey: Uint8Array,
  random: Random,
): Promise<Bytes> {
  if (publicKey.length !== X25519_KEY_BYTES) throw new RangeError('X25519 public key: 32 bytes');
  const salt = random(SALT_BYTES);
  const iv = random(IV_BYTES);
  const key = Uint8Array.from(publicKey);
  key[31] = ((key[31] as number) & 0x7f) | ((random(1)[0] as number) & 0x80);
  return concat(salt, iv, await ctr(await ctrKey(secret, salt), iv, key));
}

/**
 * Unwraps the peer's key. A wrong secret yields another 32-byte string, not an
 * error: only the key confirmation tells (so a relay learns nothing offline).
 * Bit 255 is cleared so both sides put the same bytes in the transcript.
 */
export async function unwrapLinkKey(secret: string, wrapped: Uint8Array): Promise<Bytes> {
  if (wrapped.length !== WRAPPED_KEY_BYTES)
    fail(ErrorCode.LINK_FAILED, 'Wrapped linking key: wrong length', { reason: 'protocol' });
  const salt = wrapped.slice(0, SALT_BYTES);
  const iv = wrapped.slice(SALT_BYTES, SALT_BYTES + IV_BYTES);
  const key = await ctr(await ctrKey(secret, salt), iv, wrapped.subarray(SALT_BYTES + IV_BYTES));
  key[31] = (key[31] as number) & 0x7f;
  return key;
}

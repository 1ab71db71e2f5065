/**
 * JSON field schemas for REST bodies. Bytes travel as unpadded base64url
 * text; each schema checks the exact encoded length first (so nothing large
 * is ever decoded), then the alphabet, then that the text is the canonical
 * encoding (unused trailing bits zero: one spelling per byte string), and
 * outputs the decoded Uint8Array. Parsing a body therefore yields the "byte
 * shape" directly; rest-codec.ts converts back for sending.
 */
import * as v from 'valibot';
import { type Bytes, fromBase64Url, toBase64Url } from '../bytes.ts';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES } from '../crypto/ed25519.ts';
import { MLKEM768_PUBLIC_KEY_BYTES } from '../crypto/mlkem.ts';
import { X25519_KEY_BYTES } from '../crypto/x25519.ts';
import { ErrorCodeSchema, ErrorMessageSchema, PrekeyIdSchema } from './fields.ts';
import { OPAQUE_ID_BYTES } from './limits.ts';

export const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;

/** Characters of unpadded base64url for `bytes` bytes. */
export function base64UrlLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

const decodeCanonical = v.rawTransform<string, Bytes>(({ dataset, addIssue, NEVER }) => {
  let bytes: Bytes;
  try {
    bytes = fromBase64Url(dataset.value);
  } catch {
    addIssue({ message: 'not base64url', expected: 'base64url' });
    return NEVER;
  }
  if (toBase64Url(bytes) !== dataset.value) {
    addIssue({ message: 'not canonical base64url', expected: 'base64url' });
    return NEVER;
  }
  return bytes;
});

/** Base64url text decoding to exactly `bytes` bytes. */
export function b64Bytes(bytes: number) {
  return v.pipe(
    v.string(),
    v.length(base64UrlLength(bytes)),
    v.regex(BASE64URL_PATTERN),
    decodeCanonical,
  );
}

/** Base64url text decoding to `min`..`max` bytes. */
export function b64BytesRange(min: number, max: number) {
  return v.pipe(
    v.string(),
    v.minLength(base64UrlLength(min)),
    v.maxLength(base64UrlLength(max)),
    v.regex(BASE64URL_PATTERN),
    decodeCanonical,
  );
}

/** Base64url text kept as text (WebAuthn fields @simplewebauthn/server decodes itself). */
export function b64Text(maxChars: number) {
  return v.pipe(v.string(), v.minLength(1), v.maxLength(maxChars), v.regex(BASE64URL_PATTERN));
}

/** Relay-issued opaque ids (attachments): 16 random bytes as base64url text. */
export const OpaqueIdSchema = v.pipe(
  v.string(),
  v.length(base64UrlLength(OPAQUE_ID_BYTES)),
  v.regex(BASE64URL_PATTERN),
);

export const X25519KeySchema = b64Bytes(X25519_KEY_BYTES);
export const Ed25519KeySchema = b64Bytes(ED25519_PUBLIC_KEY_BYTES);
export const SignatureSchema = b64Bytes(ED25519_SIGNATURE_BYTES);
export const KemKeySchema = b64Bytes(MLKEM768_PUBLIC_KEY_BYTES);
export const Sha256Schema = b64Bytes(32);

/** The account identity: X25519 key, Ed25519 key, and the Ed25519 signature binding them. */
export const IdentityKeySchema = v.strictObject({
  dh: X25519KeySchema,
  sig: Ed25519KeySchema,
  binding: SignatureSchema,
});

export const SignedPreKeySchema = v.strictObject({
  id: PrekeyIdSchema,
  publicKey: X25519KeySchema,
  signature: SignatureSchema,
});

export const KemPreKeySchema = v.strictObject({
  id: PrekeyIdSchema,
  publicKey: KemKeySchema,
  signature: SignatureSchema,
});

/**
 * The ML-KEM prekey of a bundle: the last-resort one, or (with `oneTime`) a
 * one-time one, whose signature is made under its own context. Relays before
 * one-time ML-KEM prekeys never send `oneTime`.
 */
export const BundleKemPreKeySchema = v.strictObject({
  id: PrekeyIdSchema,
  publicKey: KemKeySchema,
  signature: SignatureSchema,
  oneTime: v.exactOptional(v.literal(true)),
});

export const OneTimePreKeySchema = v.strictObject({
  id: PrekeyIdSchema,
  publicKey: X25519KeySchema,
});

/** Bodies of POSTs that carry no data. */
export const EmptyBodySchema = v.strictObject({});

/** Every non-2xx JSON response: `{"error": {"code", "message", "details"?}}`. */
export const ErrorResponseSchema = v.strictObject({
  error: v.strictObject({
    code: ErrorCodeSchema,
    message: ErrorMessageSchema,
    details: v.exactOptional(
      v.pipe(
        v.record(
          v.pipe(v.string(), v.maxLength(32)),
          v.union([
            v.pipe(v.string(), v.maxLength(256)),
            v.number(),
            v.boolean(),
            v.pipe(
              v.array(v.union([v.pipe(v.string(), v.maxLength(64)), v.number()])),
              v.maxLength(64),
            ),
          ]),
        ),
        v.check((record) => Object.keys(record).length <= 16),
      ),
    ),
  }),
});

export type IdentityKey = v.InferOutput<typeof IdentityKeySchema>;
export type SignedPreKey = v.InferOutput<typeof SignedPreKeySchema>;
export type KemPreKey = v.InferOutput<typeof KemPreKeySchema>;
export type BundleKemPreKey = v.InferOutput<typeof BundleKemPreKeySchema>;
export type OneTimePreKey = v.InferOutput<typeof OneTimePreKeySchema>;
export type ErrorResponse = v.InferOutput<typeof ErrorResponseSchema>;

/**
 * What every signed REST request shares (docs/wire.md, "Authentication" and
 * "Backups"): an Authorization header
 *
 *   Authorization: <scheme> <name>=<value>, ..., ts=<ms>, sig=<base64url>
 *
 * whose `sig` is an Ed25519 signature over
 *   signedPayload(context, METHOD, path-and-query, ...signer fields, u64be(ts), SHA-256(body))
 * so a signature covers exactly one method, target and body, by one signer, at
 * one time. A scheme is data (RequestScheme): its name, signature context and
 * header parameters. device-request.ts holds the device and management schemes,
 * backup-request.ts the backup scheme; each decides which fields name its signer.
 */
import { type Bytes, fromBase64Url, toBase64Url, u64be, utf8 } from '../bytes.ts';
import { signedPayload, verify } from '../crypto/ed25519.ts';
import { sha256Digest } from '../crypto/kdf.ts';
import { ErrorCode, fail, ParleyError } from '../errors.ts';
import { AUTH_HEADER_MAX_CHARS, TIMESTAMP_MAX } from './limits.ts';

/** The parts of an HTTP request the signature covers. */
export interface SignedRequest {
  readonly method: string;
  /** Pathname plus query string exactly as sent, e.g. "/v1/users/<id>/bundles". */
  readonly path: string;
  /** Raw body bytes (empty for GET/DELETE). */
  readonly body: Uint8Array;
}

/** One signed-request scheme. */
export interface RequestScheme {
  /** The Authorization scheme, e.g. "Parley-Device" (matched case-insensitively, as HTTP says). */
  readonly name: string;
  /** The signature context (crypto/labels.ts). */
  readonly context: string;
  /** What error messages call such a request, e.g. "Device request". */
  readonly label: string;
  /** The header's parameters in the order they are written; each must appear exactly once. */
  readonly params: readonly string[];
}

const METHOD = /^[A-Z]{1,10}$/;
const PATH = /^\/[\x21-\x7e]{0,2047}$/;
const DECIMAL = /^(?:0|[1-9][0-9]{0,15})$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The bytes a request's signature covers. Checks the method and path, then
 * calls `signer` (which checks and encodes the fields naming the signer,
 * failing with BAD_ARGUMENT), then checks `ts`.
 */
export function signedRequestPayload(
  scheme: RequestScheme,
  request: SignedRequest,
  signer: () => readonly Bytes[],
  ts: number,
): Bytes {
  if (!METHOD.test(request.method))
    fail(ErrorCode.BAD_ARGUMENT, `${scheme.label}: method must be an uppercase token`);
  if (!PATH.test(request.path))
    fail(
      ErrorCode.BAD_ARGUMENT,
      `${scheme.label}: path must start with "/" and be printable ASCII`,
    );
  const signerFields = signer();
  if (!Number.isSafeInteger(ts) || ts < 0 || ts > TIMESTAMP_MAX)
    fail(ErrorCode.BAD_ARGUMENT, `${scheme.label}: ts must be a timestamp`);
  return signedPayload(
    scheme.context,
    utf8(request.method),
    utf8(request.path),
    ...signerFields,
    u64be(ts),
    sha256Digest(request.body),
  );
}

/** The header value: the scheme, then each of its parameters from `values`. */
export function formatAuthorization(
  scheme: RequestScheme,
  values: Readonly<Record<string, string | number>>,
): string {
  return `${scheme.name} ${scheme.params.map((p) => `${p}=${values[p]}`).join(', ')}`;
}

/** True if `header` is written in `scheme` (by its first word, case-insensitively). */
export function hasScheme(header: string, scheme: RequestScheme): boolean {
  const space = header.indexOf(' ');
  return space >= 0 && header.slice(0, space).toLowerCase() === scheme.name.toLowerCase();
}

/** AUTH_HEADER_INVALID with a stable reason; nothing from the header is echoed. */
export function invalidAuthHeader(reason: string): ParleyError {
  return new ParleyError(ErrorCode.AUTH_HEADER_INVALID, `Invalid Authorization header: ${reason}`, {
    reason,
  });
}

/**
 * The header's parameters by name, parsed strictly: present and not too long,
 * the scheme, then only the scheme's parameters, each at most once, in any
 * order, separated by commas. Whether all are present is the caller's check.
 * Throws AUTH_HEADER_INVALID.
 */
export function authParams(
  header: string | null | undefined,
  scheme: RequestScheme,
): Map<string, string> {
  if (typeof header !== 'string' || header.length === 0) throw invalidAuthHeader('missing');
  if (header.length > AUTH_HEADER_MAX_CHARS) throw invalidAuthHeader('too long');
  if (!hasScheme(header, scheme)) throw invalidAuthHeader('scheme');
  const params = new Map<string, string>();
  for (const part of header.slice(header.indexOf(' ') + 1).split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    if (eq <= 0) throw invalidAuthHeader('syntax');
    const name = item.slice(0, eq);
    if (!scheme.params.includes(name)) throw invalidAuthHeader('unknown parameter');
    if (params.has(name)) throw invalidAuthHeader('duplicate parameter');
    params.set(name, item.slice(eq + 1));
  }
  return params;
}

/** A canonical decimal integer in min..max, or AUTH_HEADER_INVALID with `reason`. */
export function decimalParam(
  text: string | undefined,
  min: number,
  max: number,
  reason: string,
): number {
  if (text === undefined || !DECIMAL.test(text)) throw invalidAuthHeader(reason);
  const n = Number(text);
  if (n < min || n > max) throw invalidAuthHeader(reason);
  return n;
}

/** Exactly `bytes` bytes in canonical unpadded base64url, or AUTH_HEADER_INVALID with `reason`. */
export function base64UrlParam(text: string | undefined, bytes: number, reason: string): Bytes {
  if (text === undefined || text.length !== Math.ceil((bytes * 4) / 3) || !BASE64URL.test(text))
    throw invalidAuthHeader(reason);
  const decoded = fromBase64Url(text);
  if (toBase64Url(decoded) !== text) throw invalidAuthHeader(reason);
  return decoded;
}

/**
 * Relay side: true only if `signature` is `publicKey`'s over `payload()`;
 * false, not an error, when the request cannot be signed at all.
 */
export async function verifySignedRequest(
  publicKey: Uint8Array,
  signature: Uint8Array,
  payload: () => Bytes,
): Promise<boolean> {
  let bytes: Bytes;
  try {
    bytes = payload();
  } catch {
    return false;
  }
  return verify(publicKey, signature, bytes);
}

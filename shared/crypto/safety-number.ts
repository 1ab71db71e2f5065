/**
 * Safety numbers: Signal's numeric fingerprint (libsignal `Fingerprint`,
 * version 2 scannable form), byte for byte.
 *
 * Per side: h = SHA-512(0x0000 || key || stableId || key), then 5199 more
 * rounds h = SHA-512(h || key). The first 30 bytes give six 5-digit groups
 * (30 digits); the two sides are sorted and joined into 60 digits, so both
 * phones show the same number. The scannable form (for QR codes) carries the
 * first 32 bytes of each side's hash and is the protobuf libsignal emits
 * (`CombinedFingerprints`), which for 32-byte halves is a fixed 74-byte layout.
 *
 * Parley passes Encode(identity) (65 bytes) as the key and the user id as the
 * stable id. hash-wasm is used because 10,400 small SHA-512 calls are ~4x
 * faster in WebAssembly than in pure JS; its hasher is created once (async)
 * and reused, which keeps a safety number well under 20 ms once warm.
 */
import { createSHA512, type IHasher } from 'hash-wasm';
import { type Bytes, equalBytes } from '../bytes.ts';
import { ErrorCode, fail, ParleyError } from '../errors.ts';

export const SAFETY_NUMBER_ITERATIONS = 5200;
/** libsignal's current scannable fingerprint version (`Fingerprint.new(_, 2, ...)`). */
export const SCANNABLE_VERSION = 2;
export const FINGERPRINT_HALF_BYTES = 32;
export const SAFETY_NUMBER_DIGITS = 60;
export const SCANNABLE_BYTES = 74;

/** One party: raw identity key bytes and a stable identifier (both opaque bytes). */
export interface SafetyNumberParty {
  readonly key: Uint8Array;
  readonly id: Uint8Array;
}

export interface SafetyNumber {
  /** 60 decimal digits, identical on both sides. */
  readonly digits: string;
  /** QR payload from our point of view: version, our half, their half. */
  readonly scannable: Bytes;
}

export type ScanResult = 'match' | 'mismatch' | 'version-mismatch';

const SHA512_BYTES = 64;
const DISPLAY_HASH_BYTES = 30;
// Signal's fingerprint format version, hashed first; not the scannable version.
const HASH_VERSION_PREFIX = new Uint8Array([0x00, 0x00]);

let hasherPromise: Promise<IHasher> | undefined;

// One WebAssembly instance for the whole process: creating it costs ~30 ms,
// and the hashing below is synchronous, so concurrent callers cannot interleave.
function sharedHasher(): Promise<IHasher> {
  if (hasherPromise === undefined) {
    hasherPromise = createSHA512().catch((e: unknown) => {
      hasherPromise = undefined;
      throw e;
    });
  }
  return hasherPromise;
}

/** The parties come from our own records: a wrong type here is a bug (TypeError / RangeError). */
function checkParty(party: SafetyNumberParty, side: string): void {
  if (!(party?.key instanceof Uint8Array))
    throw new TypeError(`Safety number: ${side} key must be bytes`);
  if (party.key.length === 0) throw new RangeError(`Safety number: ${side} key must not be empty`);
  if (!(party.id instanceof Uint8Array))
    throw new TypeError(`Safety number: ${side} id must be bytes`);
}

/** The 64-byte iterated hash of one side. */
function iteratedHash(hasher: IHasher, party: SafetyNumberParty, iterations: number): Uint8Array {
  const { key, id } = party;
  hasher.init();
  hasher.update(HASH_VERSION_PREFIX);
  hasher.update(key);
  hasher.update(id);
  hasher.update(key);
  let hash: Uint8Array = hasher.digest('binary');
  // One buffer for every later round: the previous hash, then the key.
  const input = new Uint8Array(SHA512_BYTES + key.length);
  input.set(key, SHA512_BYTES);
  for (let i = 1; i < iterations; i++) {
    input.set(hash, 0);
    hasher.init();
    hasher.update(input);
    hash = hasher.digest('binary');
  }
  return hash;
}

/** Six 5-byte big-endian integers mod 100000, each zero-padded to 5 digits. */
function displayDigits(hash: Uint8Array): string {
  let out = '';
  for (let offset = 0; offset < DISPLAY_HASH_BYTES; offset += 5) {
    const high = hash[offset] as number;
    const low =
      (((hash[offset + 1] as number) << 24) |
        ((hash[offset + 2] as number) << 16) |
        ((hash[offset + 3] as number) << 8) |
        (hash[offset + 4] as number)) >>>
      0;
    const value = (high * 0x1_0000_0000 + low) % 100000;
    out += value.toString().padStart(5, '0');
  }
  return out;
}

/**
 * Computes the safety number of a conversation as seen by `local`. Swapping
 * local and remote gives the same digits and the mirrored scannable form.
 */
export async function computeSafetyNumber(
  local: SafetyNumberParty,
  remote: SafetyNumberParty,
): Promise<SafetyNumber> {
  checkParty(local, 'local');
  checkParty(remote, 'remote');
  const hasher = await sharedHasher();
  const localHash = iteratedHash(hasher, local, SAFETY_NUMBER_ITERATIONS);
  const remoteHash = iteratedHash(hasher, remote, SAFETY_NUMBER_ITERATIONS);
  const localDigits = displayDigits(localHash);
  const remoteDigits = displayDigits(remoteHash);
  const digits =
    localDigits <= remoteDigits ? localDigits + remoteDigits : remoteDigits + localDigits;
  return {
    digits,
    scannable: encodeScannable(
      SCANNABLE_VERSION,
      localHash.subarray(0, FINGERPRINT_HALF_BYTES),
      remoteHash.subarray(0, FINGERPRINT_HALF_BYTES),
    ),
  };
}

/** 60 digits as 12 groups of 5, the way Signal shows them. */
export function safetyNumberGroups(digits: string): string[] {
  if (!/^[0-9]{60}$/.test(digits)) {
    fail(ErrorCode.BAD_ARGUMENT, 'Safety number: expected 60 digits');
  }
  return digits.match(/[0-9]{5}/g) ?? [];
}

// protobuf CombinedFingerprints { uint32 version = 1; LogicalFingerprint local = 2;
// LogicalFingerprint remote = 3 } with LogicalFingerprint { bytes content = 1 }.
const TAG_VERSION = 0x08;
const TAG_LOCAL = 0x12;
const TAG_REMOTE = 0x1a;
const TAG_CONTENT = 0x0a;
const LOGICAL_LENGTH = 2 + FINGERPRINT_HALF_BYTES;
const LOCAL_OFFSET = 2 + 2 + 2;
const REMOTE_OFFSET = LOCAL_OFFSET + FINGERPRINT_HALF_BYTES + 2 + 2;

export function encodeScannable(version: number, local: Uint8Array, remote: Uint8Array): Bytes {
  if (!Number.isInteger(version) || version < 0 || version > 0x7f) {
    fail(ErrorCode.BAD_ARGUMENT, `Scannable fingerprint: unsupported version (${version})`);
  }
  if (local.length !== FINGERPRINT_HALF_BYTES || remote.length !== FINGERPRINT_HALF_BYTES) {
    fail(
      ErrorCode.BAD_ARGUMENT,
      `Scannable fingerprint: halves must be ${FINGERPRINT_HALF_BYTES} bytes`,
    );
  }
  const out = new Uint8Array(SCANNABLE_BYTES);
  out.set(
    [TAG_VERSION, version, TAG_LOCAL, LOGICAL_LENGTH, TAG_CONTENT, FINGERPRINT_HALF_BYTES],
    0,
  );
  out.set(local, LOCAL_OFFSET);
  out.set(
    [TAG_REMOTE, LOGICAL_LENGTH, TAG_CONTENT, FINGERPRINT_HALF_BYTES],
    LOCAL_OFFSET + FINGERPRINT_HALF_BYTES,
  );
  out.set(remote, REMOTE_OFFSET);
  return out;
}

export interface ScannableFingerprint {
  readonly version: number;
  readonly local: Bytes;
  readonly remote: Bytes;
}

function malformed(): ParleyError {
  return new ParleyError(
    ErrorCode.FINGERPRINT_MALFORMED,
    'Cannot read scanned code: not a safety number',
  );
}

/** Reads only the version field, so a code from a newer format is still recognised as such. */
function readVersion(bytes: Uint8Array): number {
  if (bytes.length < 2 || bytes[0] !== TAG_VERSION) throw malformed();
  let version = 0;
  for (let i = 1, shift = 0; i < bytes.length && i <= 5; i++, shift += 7) {
    const b = bytes[i] as number;
    version += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return version;
  }
  throw malformed();
}

export function decodeScannable(bytes: Uint8Array): ScannableFingerprint {
  if (!(bytes instanceof Uint8Array)) throw malformed();
  const version = readVersion(bytes);
  const header = [
    TAG_VERSION,
    version,
    TAG_LOCAL,
    LOGICAL_LENGTH,
    TAG_CONTENT,
    FINGERPRINT_HALF_BYTES,
  ];
  const middle = [TAG_REMOTE, LOGICAL_LENGTH, TAG_CONTENT, FINGERPRINT_HALF_BYTES];
  if (bytes.length !== SCANNABLE_BYTES || version > 0x7f) throw malformed();
  for (let i = 0; i < header.length; i++) if (bytes[i] !== header[i]) throw malformed();
  const middleAt = LOCAL_OFFSET + FINGERPRINT_HALF_BYTES;
  for (let i = 0; i < middle.length; i++) if (bytes[middleAt + i] !== middle[i]) throw malformed();
  return {
    version,
    local: bytes.slice(LOCAL_OFFSET, LOCAL_OFFSET + FINGERPRINT_HALF_BYTES),
    remote: bytes.slice(REMOTE_OFFSET, REMOTE_OFFSET + FINGERPRINT_HALF_BYTES),
  };
}

/**
 * Compares the code scanned from the other phone with ours. The other phone
 * encodes its own half first, so its local half must equal our remote half
 * and the reverse. Both halves are always compared, in constant time.
 * A code that is not a safety number at all throws FINGERPRINT_MALFORMED.
 */
export function compareScannable(ours: Uint8Array, scanned: Uint8Array): ScanResult {
  const mine = decodeScannable(ours);
  const theirVersion = readVersion(scanned);
  if (theirVersion !== mine.version) return 'version-mismatch';
  const theirs = decodeScannable(scanned);
  const sameRemote = equalBytes(mine.remote, theirs.local);
  const sameLocal = equalBytes(mine.local, theirs.remote);
  return sameRemote && sameLocal ? 'match' : 'mismatch';
}

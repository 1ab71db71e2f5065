/**
 * The account's signed device list (docs/protocol.md, "Device list"): which
 * devices belong to the account, signed by the account identity key, versioned
 * and hash-chained so that peers never trust the relay's word about an
 * account's devices. A relay can neither add a device (it cannot sign), nor
 * roll the list back (versions only go forward, each chaining to the one
 * before), nor show two peers different lists without leaving a fork that
 * either of them detects when it sees the other.
 *
 * Encoding, fixed layout (big-endian), the whole value being `body ‖ signature`:
 *   u8 format (1) ‖ u8 len ‖ userId (UTF-8) ‖ identity signing key (32)
 *   ‖ u64 version ‖ prevHash (32) ‖ u64 issuedAt ‖ u8 count
 *   ‖ count × (u32 deviceId ‖ device key (32) ‖ u64 addedAt ‖ u32 addedBy ‖ binding (64))
 *   ‖ signature (64) = sign(IK.signing, DEVICE_LIST, body)
 * Devices are sorted by id, ids are unique: one list has exactly one encoding.
 * prevHash is SHA-256 of the previous list's full encoding; all zero in version 1.
 * binding = sign(device key, DEVICE_BINDING, userId, IK.signing, u32 deviceId).
 */
import { type Bytes, equalBytes, u32be, u64be, utf8 } from '../bytes.ts';
import { ErrorCode, ParleyError } from '../errors.ts';
import { DEVICE_LIST_MAX_DEVICES } from '../wire/limits.ts';
import { ByteReader, ByteWriter } from './byte-codec.ts';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SIGNATURE_BYTES, signWithContext } from './ed25519.ts';
import { checkEd25519, checkSignatures, type SignatureCheck } from './field-checks.ts';
import { sha256Digest } from './kdf.ts';
import { SignatureContext } from './labels.ts';

export const DEVICE_LIST_FORMAT = 1;
export const DEVICE_LIST_HASH_BYTES = 32;
const USER_ID_MAX_BYTES = 64;
const DEVICE_ID_MAX = 0x7fff_ffff;

export interface DeviceListEntry {
  readonly deviceId: number;
  /** The device's Ed25519 key (the one its certificate vouches for). */
  readonly deviceKey: Bytes;
  /** Milliseconds since the Unix epoch. */
  readonly addedAt: number;
  /** The device that signed the version that added this one (itself for a first or self-added device). */
  readonly addedBy: number;
  /** sign(device key, DEVICE_BINDING, userId, IK.signing, u32 deviceId) */
  readonly binding: Bytes;
}

export interface DeviceListBody {
  readonly userId: string;
  /** The account identity's signing key (the key that signs the list). */
  readonly identityKey: Bytes;
  readonly version: number;
  readonly prevHash: Bytes;
  readonly issuedAt: number;
  readonly devices: readonly DeviceListEntry[];
}

/** A list whose signatures and rules were checked, with its exact encoding and hash. */
export interface SignedDeviceList extends DeviceListBody {
  readonly encoded: Bytes;
  /** SHA-256 of `encoded`: the next version's prevHash. */
  readonly hash: Bytes;
}

function invalid(reason: string): never {
  throw new ParleyError(ErrorCode.DEVICE_LIST_INVALID, `Invalid device list: ${reason}`, {
    reason,
  });
}

function readU64(r: ByteReader): number {
  const high = r.u32();
  const low = r.u32();
  if (high > 0x1f_ffff) r.fail('integer above 2^53');
  return high * 2 ** 32 + low;
}

/** The fields a device's binding signs. */
export function bindingFields(userId: string, identityKey: Uint8Array, deviceId: number): Bytes[] {
  return [utf8(userId), Uint8Array.from(identityKey), u32be(deviceId)];
}

/** The device's own signature binding it to the account (made on that device, with its key). */
export function signDeviceBinding(
  deviceSigningKey: CryptoKey,
  userId: string,
  identityKey: Uint8Array,
  deviceId: number,
): Promise<Bytes> {
  return signWithContext(
    deviceSigningKey,
    SignatureContext.DEVICE_BINDING,
    ...bindingFields(userId, identityKey, deviceId),
  );
}

function checkBody(body: DeviceListBody): void {
  const userBytes = utf8(body.userId);
  if (userBytes.length === 0 || userBytes.length > USER_ID_MAX_BYTES) invalid('user id length');
  if (body.identityKey.length !== ED25519_PUBLIC_KEY_BYTES) invalid('identity key length');
  if (!Number.isSafeInteger(body.version) || body.version < 1) invalid('version must be >= 1');
  if (body.prevHash.length !== DEVICE_LIST_HASH_BYTES) invalid('prevHash length');
  if (body.version === 1 && body.prevHash.some((b) => b !== 0))
    invalid('version 1 must have an all-zero prevHash');
  if (!Number.isSafeInteger(body.issuedAt) || body.issuedAt < 0) invalid('issuedAt');
  const n = body.devices.length;
  if (n < 1 || n > DEVICE_LIST_MAX_DEVICES)
    invalid(`between 1 and ${DEVICE_LIST_MAX_DEVICES} devices`);
  let previous = 0;
  for (const d of body.devices) {
    if (!Number.isInteger(d.deviceId) || d.deviceId < 1 || d.deviceId > DEVICE_ID_MAX)
      invalid('device id');
    if (d.deviceId <= previous) invalid('device ids must be unique and ascending');
    previous = d.deviceId;
    if (!Number.isInteger(d.addedBy) || d.addedBy < 1 || d.addedBy > DEVICE_ID_MAX)
      invalid('addedBy');
    if (!Number.isSafeInteger(d.addedAt) || d.addedAt < 0) invalid('addedAt');
    if (d.deviceKey.length !== ED25519_PUBLIC_KEY_BYTES) invalid('device key length');
    if (d.binding.length !== ED25519_SIGNATURE_BYTES) invalid('binding length');
  }
}

/** The bytes the identity key signs (everything but the signature). */
export function encodeDeviceListBody(body: DeviceListBody): Bytes {
  checkBody(body);
  const userBytes = utf8(body.userId);
  const w = new ByteWriter(128 + body.devices.length * 112);
  w.u8(DEVICE_LIST_FORMAT).u8(userBytes.length).bytes(userBytes).bytes(body.identityKey);
  w.bytes(u64be(body.version)).bytes(body.prevHash).bytes(u64be(body.issuedAt));
  w.u8(body.devices.length);
  for (const d of body.devices) {
    w.u32(d.deviceId).bytes(d.deviceKey).bytes(u64be(d.addedAt)).u32(d.addedBy).bytes(d.binding);
  }
  return w.finish();
}

function withEncoding(body: DeviceListBody, encoded: Bytes): SignedDeviceList {
  return { ...body, encoded, hash: sha256Digest(encoded) };
}

/** Sorts the devices by id (the canonical order) and signs with the identity key. */
export async function signDeviceList(
  identitySigningKey: CryptoKey,
  body: DeviceListBody,
): Promise<SignedDeviceList> {
  const sorted = { ...body, devices: [...body.devices].sort((a, b) => a.deviceId - b.deviceId) };
  const encodedBody = encodeDeviceListBody(sorted);
  const signature = await signWithContext(
    identitySigningKey,
    SignatureContext.DEVICE_LIST,
    encodedBody,
  );
  const encoded = new Uint8Array(encodedBody.length + signature.length);
  encoded.set(encodedBody);
  encoded.set(signature, encodedBody.length);
  return withEncoding(sorted, encoded);
}

function decodeBody(r: ByteReader): DeviceListBody {
  const format = r.u8();
  if (format !== DEVICE_LIST_FORMAT) r.fail(`unknown format ${format}`);
  const userLength = r.u8();
  let userId: string;
  try {
    userId = new TextDecoder('utf-8', { fatal: true }).decode(r.view(userLength));
  } catch (e) {
    if (e instanceof ParleyError) throw e;
    r.fail('user id is not UTF-8');
  }
  const identityKey = r.bytes(ED25519_PUBLIC_KEY_BYTES);
  const version = readU64(r);
  const prevHash = r.bytes(DEVICE_LIST_HASH_BYTES);
  const issuedAt = readU64(r);
  const count = r.u8();
  if (count > DEVICE_LIST_MAX_DEVICES) r.fail('too many devices');
  const devices: DeviceListEntry[] = [];
  for (let i = 0; i < count; i++) {
    const deviceId = r.u32();
    const deviceKey = r.bytes(ED25519_PUBLIC_KEY_BYTES);
    const addedAt = readU64(r);
    const addedBy = r.u32();
    const binding = r.bytes(ED25519_SIGNATURE_BYTES);
    devices.push({ deviceId, deviceKey, addedAt, addedBy, binding });
  }
  return { userId, identityKey, version, prevHash, issuedAt, devices };
}

/** Parses without checking signatures (the relay's first step; peers use verifyDeviceList). */
export function decodeDeviceList(encoded: Uint8Array): {
  body: DeviceListBody;
  signature: Bytes;
  list: SignedDeviceList;
} {
  const r = new ByteReader(encoded, ErrorCode.DEVICE_LIST_INVALID, 'device list');
  const body = decodeBody(r);
  const signature = r.bytes(ED25519_SIGNATURE_BYTES);
  r.end();
  checkBody(body);
  const copy = Uint8Array.from(encoded);
  return { body, signature, list: withEncoding(body, copy) };
}

export interface DeviceListExpectation {
  readonly userId: string;
  /** The account identity signing key the verifier pinned (or the relay stored). */
  readonly identityKey: Uint8Array;
}

/**
 * Decodes and verifies a list: it names the expected account and identity,
 * the identity key signs it, and every device signs its own binding.
 * DEVICE_LIST_INVALID otherwise (details.reason says which rule).
 */
export async function verifyDeviceList(
  encoded: Uint8Array,
  expected: DeviceListExpectation,
): Promise<SignedDeviceList> {
  const { body, signature, list } = decodeDeviceList(encoded);
  if (body.userId !== expected.userId) invalid('names another account');
  if (!equalBytes(body.identityKey, expected.identityKey)) invalid('names another identity key');
  const bodyBytes = encoded.subarray(0, encoded.length - ED25519_SIGNATURE_BYTES);
  const checks: SignatureCheck[] = [
    {
      field: 'deviceList.signature',
      signer: checkKey(body.identityKey, 'identity key'),
      signature,
      context: SignatureContext.DEVICE_LIST,
      fields: [Uint8Array.from(bodyBytes)],
    },
    ...body.devices.map((d) => ({
      field: `deviceList.devices.${d.deviceId}.binding`,
      signer: checkKey(d.deviceKey, 'device key'),
      signature: d.binding,
      context: SignatureContext.DEVICE_BINDING,
      fields: bindingFields(body.userId, body.identityKey, d.deviceId),
    })),
  ];
  try {
    await checkSignatures(checks);
  } catch (e) {
    if (e instanceof ParleyError)
      invalid(`signature: ${String(e.details?.field ?? 'does not verify')}`);
    throw e;
  }
  return list;
}

function checkKey(key: Uint8Array, what: string): Bytes {
  try {
    return checkEd25519(key, what);
  } catch (e) {
    if (e instanceof ParleyError) invalid(`${what} is not a valid Ed25519 key`);
    throw e;
  }
}

export type AcceptOutcome =
  /** The candidate is the next version (or a verified chain of them): hold it now. */
  | { readonly kind: 'accepted'; readonly list: SignedDeviceList }
  /** The very list already held. */
  | { readonly kind: 'same' }
  /** An older version: ignore it, keep the held one. */
  | { readonly kind: 'rollback'; readonly held: number; readonly offered: number }
  /** The same version as held with other content: a fork, sending stops. */
  | { readonly kind: 'fork'; readonly version: number }
  /** Newer, but its hash chain does not reach the held list. */
  | { readonly kind: 'broken-chain'; readonly held: number; readonly offered: number };

/**
 * Decides what to hold after seeing `candidate` (already verified) when
 * `held` is held: only a version that chains forward from it is accepted.
 * `between` are verified lists the relay served between the two (any order);
 * a jump of more than one version needs all of them.
 */
export function acceptNext(
  held: SignedDeviceList | undefined,
  candidate: SignedDeviceList,
  between: readonly SignedDeviceList[] = [],
): AcceptOutcome {
  if (held === undefined) return { kind: 'accepted', list: candidate };
  if (candidate.version < held.version)
    return { kind: 'rollback', held: held.version, offered: candidate.version };
  if (candidate.version === held.version) {
    return equalBytes(candidate.hash, held.hash)
      ? { kind: 'same' }
      : { kind: 'fork', version: held.version };
  }
  let previous = held;
  for (let v = held.version + 1; v < candidate.version; v++) {
    const step = between.find((l) => l.version === v && equalBytes(l.prevHash, previous.hash));
    if (step === undefined)
      return { kind: 'broken-chain', held: held.version, offered: candidate.version };
    previous = step;
  }
  if (!equalBytes(candidate.prevHash, previous.hash))
    return { kind: 'broken-chain', held: held.version, offered: candidate.version };
  return { kind: 'accepted', list: candidate };
}

/** The typed error for an outcome that was not accepted (for callers that throw). */
export function outcomeError(outcome: AcceptOutcome): ParleyError | undefined {
  switch (outcome.kind) {
    case 'accepted':
    case 'same':
      return undefined;
    case 'rollback':
      return new ParleyError(ErrorCode.DEVICE_LIST_ROLLBACK, 'Device list is not newer', {
        held: outcome.held,
        offered: outcome.offered,
      });
    case 'fork':
      return new ParleyError(ErrorCode.DEVICE_LIST_FORK, 'Two device lists with one version', {
        version: outcome.version,
      });
    case 'broken-chain':
      return new ParleyError(
        ErrorCode.DEVICE_LIST_CHAIN_BROKEN,
        'Device list does not chain to the held one',
        { held: outcome.held, offered: outcome.offered },
      );
  }
}

/** Is `deviceId` a member of `list`, with this device key? */
export function listedDevice(list: DeviceListBody, deviceId: number): DeviceListEntry | undefined {
  return list.devices.find((d) => d.deviceId === deviceId);
}

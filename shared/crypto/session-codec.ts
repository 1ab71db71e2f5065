/**
 * Session state <-> versioned bytes (fixed binary layout, big-endian), so a
 * session can be stored after any call and continue exactly where it was,
 * skipped message keys included. Layout of version 1:
 *
 *   u8 format version (1)      u8 role (1 initiator, 2 responder)
 *   u8 agreement (1 X3DH, 2 PQXDH)   u8 presence flags (0x01 receiving chain, 0x02 pending prekey)
 *   our identity (32 X25519, 32 Ed25519)   their identity (32, 32)   base key (32)
 *   root key (32)   our ratchet key: public (32), private (32)
 *   sending chain key (32), u32 Ns, u32 PN
 *   [receiving chain: their ratchet key (32), chain key (32), u32 Nr]
 *   u8 retired chain count, each: ratchet key (32), u32 length
 *   u16 skipped key count, each: ratchet key (32), u32 index, message key (32), f64 storedAt
 *   [pending prekey fields, as in a prekey message (message-format.ts)]
 *
 * The bytes hold private keys: store them only inside the encrypted vault.
 * Unknown versions fail with STATE_VERSION, anything malformed with STATE_CORRUPT.
 */
import { type Bytes, equalBytes } from '../bytes.ts';
import { ErrorCode, fail, isParleyError, ParleyError } from '../errors.ts';
import { ByteReader, ByteWriter } from './byte-codec.ts';
import { ED25519_PUBLIC_KEY_BYTES } from './ed25519.ts';
import { MAX_RETIRED_CHAINS, MAX_STORED_SKIPPED_KEYS } from './limits.ts';
import { encodePreKeyFields, readPreKeyFields } from './message-format.ts';
import { type RatchetState, type RetiredChain, ratchetState } from './ratchet.ts';
import { makeSession, type Session, type SessionRole } from './session-state.ts';
import { type SkippedKey, SkippedKeys } from './skipped-keys.ts';
import { KeyAgreement } from './x3dh.ts';
import { exportDhPrivateRaw, importDhKeyPair, X25519_KEY_BYTES } from './x25519.ts';

export const SESSION_STATE_VERSION = 1;

const ROLE_CODES: Readonly<Record<SessionRole, number>> = { initiator: 1, responder: 2 };
const AGREEMENT_CODES: Readonly<Record<KeyAgreement, number>> = {
  [KeyAgreement.X3DH]: 1,
  [KeyAgreement.PQXDH]: 2,
};
const HAS_RECEIVING = 0x01;
const HAS_PENDING = 0x02;
const KEY = 32;

export async function serializeSession(session: Session): Promise<Bytes> {
  const r = session.ratchet;
  if (r.sending === undefined)
    fail(ErrorCode.BAD_ARGUMENT, 'Cannot serialise a session that has no sending chain yet');
  const privateKey = await exportDhPrivateRaw(r.ourRatchetKey.privateKey);
  const w = new ByteWriter(512 + r.skipped.size * 76);
  w.u8(SESSION_STATE_VERSION)
    .u8(ROLE_CODES[session.role])
    .u8(AGREEMENT_CODES[session.agreement])
    .u8(
      (r.receiving === undefined ? 0 : HAS_RECEIVING) |
        (session.pendingPreKey === undefined ? 0 : HAS_PENDING),
    )
    .bytes(session.ourIdentity.dh)
    .bytes(session.ourIdentity.signing)
    .bytes(session.theirIdentity.dh)
    .bytes(session.theirIdentity.signing)
    .bytes(session.baseKey)
    .bytes(r.rootKey)
    .bytes(r.ourRatchetKey.publicKey)
    .bytes(privateKey)
    .bytes(r.sending.chainKey)
    .u32(r.sending.index)
    .u32(r.previousSendingLength);
  privateKey.fill(0);
  if (r.receiving !== undefined)
    w.bytes(r.receiving.publicKey).bytes(r.receiving.chainKey).u32(r.receiving.index);
  w.u8(r.retired.length);
  for (const c of r.retired) w.bytes(c.publicKey).u32(c.length);
  w.u16(r.skipped.size);
  for (const k of r.skipped.values())
    w.bytes(k.ratchetKey).u32(k.index).bytes(k.messageKey).f64(k.storedAt);
  if (session.pendingPreKey !== undefined) w.bytes(encodePreKeyFields(session.pendingPreKey));
  return w.finish();
}

function codeOf<T extends string>(
  codes: Readonly<Record<T, number>>,
  value: number,
  reader: ByteReader,
  what: string,
): T {
  for (const [name, code] of Object.entries(codes) as [T, number][])
    if (code === value) return name;
  return reader.fail(`unknown ${what} ${value}`);
}

export async function deserializeSession(bytes: Uint8Array): Promise<Session> {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0)
    fail(ErrorCode.STATE_CORRUPT, 'Cannot decode session state: empty');
  const version = bytes[0] as number;
  if (version !== SESSION_STATE_VERSION) {
    fail(ErrorCode.STATE_VERSION, `Cannot decode session state: unsupported version (${version})`, {
      version,
    });
  }
  const reader = new ByteReader(bytes, ErrorCode.STATE_CORRUPT, 'session state');
  reader.u8();
  const role = codeOf(ROLE_CODES, reader.u8(), reader, 'role');
  const agreement = codeOf(AGREEMENT_CODES, reader.u8(), reader, 'key agreement');
  const flags = reader.u8();
  if ((flags & ~(HAS_RECEIVING | HAS_PENDING)) !== 0)
    reader.fail(`unknown flags 0x${flags.toString(16)}`);
  if (flags & HAS_PENDING && role !== 'initiator')
    reader.fail('pending prekey on a responder session');
  const ourIdentity = {
    dh: reader.bytes(X25519_KEY_BYTES),
    signing: reader.bytes(ED25519_PUBLIC_KEY_BYTES),
  };
  const theirIdentity = {
    dh: reader.bytes(X25519_KEY_BYTES),
    signing: reader.bytes(ED25519_PUBLIC_KEY_BYTES),
  };
  const baseKey = reader.bytes(KEY);
  const rootKey = reader.bytes(KEY);
  const ratchetPublic = reader.bytes(KEY);
  const ratchetPrivate = reader.bytes(KEY);
  const sending = { chainKey: reader.bytes(KEY), index: reader.u32() };
  const previousSendingLength = reader.u32();
  const receiving =
    flags & HAS_RECEIVING
      ? { publicKey: reader.bytes(KEY), chainKey: reader.bytes(KEY), index: reader.u32() }
      : undefined;
  const retiredCount = reader.u8();
  if (retiredCount > MAX_RETIRED_CHAINS)
    reader.fail(`${retiredCount} retired chains (max ${MAX_RETIRED_CHAINS})`);
  const retired: RetiredChain[] = [];
  for (let i = 0; i < retiredCount; i++)
    retired.push({ publicKey: reader.bytes(KEY), length: reader.u32() });
  const skippedCount = reader.u16();
  if (skippedCount > MAX_STORED_SKIPPED_KEYS)
    reader.fail(`${skippedCount} skipped keys (max ${MAX_STORED_SKIPPED_KEYS})`);
  const skipped: SkippedKey[] = [];
  for (let i = 0; i < skippedCount; i++) {
    const key: SkippedKey = {
      ratchetKey: reader.bytes(KEY),
      index: reader.u32(),
      messageKey: reader.bytes(KEY),
      storedAt: reader.f64(),
    };
    if (!Number.isFinite(key.storedAt)) reader.fail('skipped key timestamp is not finite');
    skipped.push(key);
  }
  const pendingPreKey = flags & HAS_PENDING ? readPreKeyFields(reader) : undefined;
  reader.end();
  if (pendingPreKey !== undefined && !equalBytes(pendingPreKey.baseKey, baseKey))
    reader.fail('pending prekey base key differs');
  const store = SkippedKeys.of(skipped);
  if (store.size !== skippedCount) reader.fail('duplicate skipped keys');

  let ourRatchetKey: RatchetState['ourRatchetKey'];
  try {
    ourRatchetKey = await importDhKeyPair(ratchetPrivate, ratchetPublic, true);
  } catch (e) {
    throw isParleyError(e)
      ? new ParleyError(
          ErrorCode.STATE_CORRUPT,
          'Cannot decode session state: ratchet key pair rejected',
        )
      : e;
  } finally {
    ratchetPrivate.fill(0);
  }
  const ratchet = ratchetState({
    rootKey,
    ourRatchetKey,
    sending,
    previousSendingLength,
    receiving,
    retired,
    skipped: store,
  });
  return makeSession({
    role,
    agreement,
    ourIdentity,
    theirIdentity,
    baseKey,
    ratchet,
    pendingPreKey,
  });
}

/**
 * This device's prekeys: private halves as records (sealed by the vault in the
 * extension), looked up by (kind, id) for incoming key agreements, and the
 * maintenance that keeps the relay stocked:
 *
 *   - one-time prekeys: refilled to ONE_TIME_PREKEYS_TARGET (100) when the
 *     relay holds fewer than ONE_TIME_PREKEYS_REFILL_BELOW (20); a consumed one
 *     is deleted in the same write as the session it created;
 *   - one-time ML-KEM prekeys: the same, with ONE_TIME_KEM_PREKEYS_TARGET (30)
 *     and ONE_TIME_KEM_PREKEYS_REFILL_BELOW (10); the last-resort ML-KEM
 *     prekey is never deleted on use, only after rotation and grace;
 *   - signed and ML-KEM prekeys: rotated every SIGNED_PREKEY_ROTATION_MS (7 days).
 *     The previous ones are kept for PREKEY_GRACE_MS (30 days, the relay's
 *     retention of undelivered messages), because a first message built from
 *     a bundle fetched before the rotation may still be queued; after that they
 *     are deleted, which bounds what a stolen device state can decrypt later
 *     (key-compromise impersonation needs the signed prekey's private key).
 *
 * New private keys are written before they are uploaded: a crash in between
 * leaves unused keys behind, never a published key we cannot open.
 */
import * as v from 'valibot';
import type { IdentityKeyPair } from '../../crypto/identity.ts';
import type { PreKeyLookup } from '../../crypto/prekey-lookup.ts';
import {
  generateKemPreKey,
  generateOneTimeKemPreKeys,
  generateOneTimePreKeys,
  generateSignedPreKey,
  type KemPreKeyPair,
  PreKeyKind as Kind,
  type OneTimeKemPreKeyPair,
  type OneTimePreKeyPair,
  type PreKeyKind,
  type PreKeyPair,
  type SignedPreKeyPair,
} from '../../crypto/prekeys.ts';
import type { Random } from '../../crypto/random.ts';
import { exportDhPrivateRaw, generateDhKeyPair, importDhKeyPair } from '../../crypto/x25519.ts';
import {
  MESSAGE_RETENTION_MS,
  ONE_TIME_KEM_PREKEYS_MAX_UPLOAD,
  ONE_TIME_KEM_PREKEYS_REFILL_BELOW,
  ONE_TIME_KEM_PREKEYS_TARGET,
  ONE_TIME_PREKEYS_MAX_UPLOAD,
  ONE_TIME_PREKEYS_REFILL_BELOW,
  ONE_TIME_PREKEYS_TARGET,
  SIGNED_PREKEY_ROTATION_MS,
} from '../../wire/limits.ts';
import {
  BytesField,
  bytesOf,
  decodeRecord,
  encodeRecord,
  IntField,
} from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import type { RecordStore, StoreOperation } from '../store/store.ts';

/** How long a rotated signed/KEM prekey stays usable for late first messages. */
export const PREKEY_GRACE_MS = MESSAGE_RETENTION_MS;

/** Prekey private keys are exported into (sealed) records, so they are generated extractable. */
const generateExtractable = () => generateDhKeyPair(true);

const SignedRecordSchema = v.object({
  id: IntField,
  pub: bytesOf(32),
  priv: bytesOf(32),
  sig: bytesOf(64),
  createdAt: IntField,
  retiredAt: v.optional(IntField),
});

const KemRecordSchema = v.object({
  id: IntField,
  pub: BytesField,
  secret: BytesField,
  sig: bytesOf(64),
  createdAt: IntField,
  retiredAt: v.optional(IntField),
});

const OneTimeRecordSchema = v.object({ id: IntField, pub: bytesOf(32), priv: bytesOf(32) });

const OneTimeKemRecordSchema = v.object({
  id: IntField,
  pub: BytesField,
  secret: BytesField,
  sig: bytesOf(64),
  /** When maintenance first saw the relay no longer holding it (handed out, maybe never used). */
  retiredAt: v.optional(IntField),
});

type SignedRecord = v.InferOutput<typeof SignedRecordSchema>;
type KemRecord = v.InferOutput<typeof KemRecordSchema>;

async function signedOps(pair: SignedPreKeyPair, retiredAt?: number): Promise<StoreOperation> {
  const value = encodeRecord({
    id: pair.id,
    pub: pair.keyPair.publicKey,
    priv: await exportDhPrivateRaw(pair.keyPair.privateKey),
    sig: pair.signature,
    createdAt: pair.createdAt,
    retiredAt,
  });
  return { op: 'set', key: Keys.signedPreKey(pair.id), value };
}

function kemOp(pair: KemPreKeyPair): StoreOperation {
  const value = encodeRecord({
    id: pair.id,
    pub: pair.keyPair.publicKey,
    secret: pair.keyPair.secretKey,
    sig: pair.signature,
    createdAt: pair.createdAt,
  });
  return { op: 'set', key: Keys.kemPreKey(pair.id), value };
}

async function oneTimeOp(pair: OneTimePreKeyPair): Promise<StoreOperation> {
  const value = encodeRecord({
    id: pair.id,
    pub: pair.keyPair.publicKey,
    priv: await exportDhPrivateRaw(pair.keyPair.privateKey),
  });
  return { op: 'set', key: Keys.oneTimePreKey(pair.id), value };
}

function oneTimeKemOp(pair: OneTimeKemPreKeyPair): StoreOperation {
  const value = encodeRecord({
    id: pair.id,
    pub: pair.keyPair.publicKey,
    secret: pair.keyPair.secretKey,
    sig: pair.signature,
  });
  return { op: 'set', key: Keys.oneTimeKemPreKey(pair.id), value };
}

/** Fresh prekeys with their records and the public halves to upload. */
export async function newSignedPreKey(
  identity: IdentityKeyPair,
  id: number,
  now: number,
): Promise<{ pair: SignedPreKeyPair; op: StoreOperation }> {
  const pair = await generateSignedPreKey(identity, id, now, generateExtractable);
  return { pair, op: await signedOps(pair) };
}

export async function newKemPreKey(
  identity: IdentityKeyPair,
  id: number,
  now: number,
  random: Random,
): Promise<{ pair: KemPreKeyPair; op: StoreOperation }> {
  const pair = await generateKemPreKey(identity, id, now, random);
  return { pair, op: kemOp(pair) };
}

export async function newOneTimePreKeys(
  firstId: number,
  count: number,
): Promise<{ pairs: OneTimePreKeyPair[]; ops: StoreOperation[] }> {
  const pairs = await generateOneTimePreKeys(firstId, count, generateExtractable);
  return { pairs, ops: await Promise.all(pairs.map(oneTimeOp)) };
}

export async function newOneTimeKemPreKeys(
  identity: IdentityKeyPair,
  firstId: number,
  count: number,
  random: Random,
): Promise<{ pairs: OneTimeKemPreKeyPair[]; ops: StoreOperation[] }> {
  const pairs = await generateOneTimeKemPreKeys(identity, firstId, count, random);
  return { pairs, ops: pairs.map(oneTimeKemOp) };
}

export function signedPreKeyUpload(pair: SignedPreKeyPair) {
  return { id: pair.id, publicKey: pair.keyPair.publicKey, signature: pair.signature };
}

export function kemPreKeyUpload(pair: KemPreKeyPair) {
  return { id: pair.id, publicKey: pair.keyPair.publicKey, signature: pair.signature };
}

/** The same wire shape as the last-resort key; the relay keeps the two apart by where they arrive. */
export function oneTimeKemPreKeyUpload(pair: OneTimeKemPreKeyPair) {
  return { id: pair.id, publicKey: pair.keyPair.publicKey, signature: pair.signature };
}

export function oneTimePreKeyUpload(pair: OneTimePreKeyPair) {
  return { id: pair.id, publicKey: pair.keyPair.publicKey };
}

/** Our private prekeys, for acceptIncomingSession. */
export function recordPreKeyLookup(records: RecordStore): PreKeyLookup {
  return {
    async getPreKey(kind: PreKeyKind, id: number): Promise<PreKeyPair | undefined> {
      switch (kind) {
        case Kind.SIGNED: {
          const raw = await records.get(Keys.signedPreKey(id));
          if (raw === undefined) return undefined;
          const r = decodeRecord(SignedRecordSchema, raw, 'signed prekey');
          return {
            kind: Kind.SIGNED,
            id: r.id,
            keyPair: await importDhKeyPair(r.priv, r.pub, false),
            signature: r.sig,
            createdAt: r.createdAt,
          };
        }
        case Kind.ONE_TIME: {
          const raw = await records.get(Keys.oneTimePreKey(id));
          if (raw === undefined) return undefined;
          const r = decodeRecord(OneTimeRecordSchema, raw, 'one-time prekey');
          return {
            kind: Kind.ONE_TIME,
            id: r.id,
            keyPair: await importDhKeyPair(r.priv, r.pub, false),
          };
        }
        case Kind.KEM: {
          const raw = await records.get(Keys.kemPreKey(id));
          if (raw === undefined) return undefined;
          const r = decodeRecord(KemRecordSchema, raw, 'KEM prekey');
          return {
            kind: Kind.KEM,
            id: r.id,
            keyPair: { publicKey: r.pub, secretKey: r.secret },
            signature: r.sig,
            createdAt: r.createdAt,
          };
        }
        case Kind.ONE_TIME_KEM: {
          const raw = await records.get(Keys.oneTimeKemPreKey(id));
          if (raw === undefined) return undefined;
          const r = decodeRecord(OneTimeKemRecordSchema, raw, 'one-time KEM prekey');
          return {
            kind: Kind.ONE_TIME_KEM,
            id: r.id,
            keyPair: { publicKey: r.pub, secretKey: r.secret },
            signature: r.sig,
          };
        }
        default:
          return undefined;
      }
    },
  };
}

export function deleteOneTimePreKeyOp(id: number): StoreOperation {
  return { op: 'delete', key: Keys.oneTimePreKey(id) };
}

export function deleteOneTimeKemPreKeyOp(id: number): StoreOperation {
  return { op: 'delete', key: Keys.oneTimeKemPreKey(id) };
}

// ---------------------------------------------------------------------------
// Maintenance: a pure plan from (relay status, our records, now), then I/O.

export interface PrekeyInventory {
  /** Signed and KEM prekeys we hold, current (no retiredAt) and retired. */
  readonly signed: readonly { id: number; createdAt: number; retiredAt?: number | undefined }[];
  readonly kem: readonly { id: number; createdAt: number; retiredAt?: number | undefined }[];
}

export interface MaintenancePlan {
  /** One-time prekeys to generate and upload (0 = none). */
  readonly refill: number;
  /** One-time ML-KEM prekeys to generate and upload (0 = none). */
  readonly refillKem: number;
  readonly rotateSigned: boolean;
  readonly rotateKem: boolean;
  /** Retired signed/KEM prekey ids past the grace period: delete. */
  readonly purgeSigned: readonly number[];
  readonly purgeKem: readonly number[];
}

/** What the relay says it holds (GET /v1/prekeys). */
export interface RelayPrekeyCounts {
  readonly oneTimePreKeys: number;
  /** Absent from a relay that does not store one-time ML-KEM prekeys: none are uploaded. */
  readonly oneTimeKemPreKeys?: number | undefined;
}

function refillCount(held: number, below: number, target: number, maxUpload: number): number {
  return held < below ? Math.min(maxUpload, target - held) : 0;
}

export function planPrekeyMaintenance(
  relay: RelayPrekeyCounts,
  inventory: PrekeyInventory,
  now: number,
): MaintenancePlan {
  const refill = refillCount(
    relay.oneTimePreKeys,
    ONE_TIME_PREKEYS_REFILL_BELOW,
    ONE_TIME_PREKEYS_TARGET,
    ONE_TIME_PREKEYS_MAX_UPLOAD,
  );
  const refillKem =
    relay.oneTimeKemPreKeys === undefined
      ? 0
      : refillCount(
          relay.oneTimeKemPreKeys,
          ONE_TIME_KEM_PREKEYS_REFILL_BELOW,
          ONE_TIME_KEM_PREKEYS_TARGET,
          ONE_TIME_KEM_PREKEYS_MAX_UPLOAD,
        );
  const current = (list: PrekeyInventory['signed']) =>
    list.filter((k) => k.retiredAt === undefined).sort((a, b) => b.createdAt - a.createdAt)[0];
  const due = (k: { createdAt: number } | undefined) =>
    k === undefined || now - k.createdAt >= SIGNED_PREKEY_ROTATION_MS;
  const purge = (list: PrekeyInventory['signed']) =>
    list
      .filter((k) => k.retiredAt !== undefined && now - k.retiredAt >= PREKEY_GRACE_MS)
      .map((k) => k.id);
  return {
    refill,
    refillKem,
    rotateSigned: due(current(inventory.signed)),
    rotateKem: due(current(inventory.kem)),
    purgeSigned: purge(inventory.signed),
    purgeKem: purge(inventory.kem),
  };
}

export async function readInventory(records: RecordStore): Promise<PrekeyInventory> {
  const signed = (await records.list(Keys.signedPreKeys)).map(([, raw]) => {
    const r: SignedRecord = decodeRecord(SignedRecordSchema, raw, 'signed prekey');
    return { id: r.id, createdAt: r.createdAt, retiredAt: r.retiredAt };
  });
  const kem = (await records.list(Keys.kemPreKeys)).map(([, raw]) => {
    const r: KemRecord = decodeRecord(KemRecordSchema, raw, 'KEM prekey');
    return { id: r.id, createdAt: r.createdAt, retiredAt: r.retiredAt };
  });
  return { signed, kem };
}

/** Marks the current signed/KEM prekeys retired (start of their grace period). */
export async function retireOps(
  records: RecordStore,
  kind: 'signed' | 'kem',
  keepId: number,
  now: number,
): Promise<StoreOperation[]> {
  const prefix = kind === 'signed' ? Keys.signedPreKeys : Keys.kemPreKeys;
  const ops: StoreOperation[] = [];
  for (const [key, raw] of await records.list(prefix)) {
    if (kind === 'signed') {
      const r = decodeRecord(SignedRecordSchema, raw, 'signed prekey');
      if (r.id !== keepId && r.retiredAt === undefined)
        ops.push({ op: 'set', key, value: encodeRecord({ ...r, retiredAt: now }) });
    } else {
      const r = decodeRecord(KemRecordSchema, raw, 'KEM prekey');
      if (r.id !== keepId && r.retiredAt === undefined)
        ops.push({ op: 'set', key, value: encodeRecord({ ...r, retiredAt: now }) });
    }
  }
  return ops;
}

/**
 * One-time ML-KEM prekeys the relay handed out but no session used (a drained
 * stock, or a fetch that never became a message) would pile up here, 3.6 KB
 * each. The relay hands them out lowest id first and ours only grow, so it
 * still holds our `relayHeld` highest ids; the others are marked retired now
 * and deleted after PREKEY_GRACE_MS, as late first messages may still come.
 */
export async function handedOutKemOps(
  records: RecordStore,
  relayHeld: number,
  now: number,
): Promise<{ ops: StoreOperation[]; purged: number }> {
  const held = (await records.list(Keys.oneTimeKemPreKeys))
    .map(([key, raw]) => ({
      key,
      r: decodeRecord(OneTimeKemRecordSchema, raw, 'one-time KEM prekey'),
    }))
    .sort((a, b) => a.r.id - b.r.id);
  const ops: StoreOperation[] = [];
  let purged = 0;
  for (const { key, r } of held.slice(0, Math.max(0, held.length - relayHeld))) {
    if (r.retiredAt === undefined) {
      ops.push({ op: 'set', key, value: encodeRecord({ ...r, retiredAt: now }) });
    } else if (now - r.retiredAt >= PREKEY_GRACE_MS) {
      ops.push({ op: 'delete', key });
      purged++;
    }
  }
  return { ops, purged };
}

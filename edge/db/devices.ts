/** The device directory: devices, their signed prekeys, one-time prekeys and one-time ML-KEM prekeys. */
import { and, asc, eq, gt, ne, sql } from 'drizzle-orm';
import { equalBytes } from '../../shared/bytes.ts';
import { isUniqueViolation } from './accounts.ts';
import type { Db } from './open.ts';
import {
  accounts,
  devices,
  oneTimeKemPrekeys,
  oneTimePrekeys,
  queue,
  removedDevices,
} from './schema.ts';

export type DeviceRow = typeof devices.$inferSelect;

export interface IdentityKeys {
  readonly dh: Uint8Array;
  readonly signing: Uint8Array;
  readonly binding: Uint8Array;
}

export interface SignedKey {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}

export interface OneTimeKey {
  readonly id: number;
  readonly publicKey: Uint8Array;
}

export interface NewDevice {
  readonly deviceId: number;
  readonly deviceKey: Uint8Array;
  readonly certificate: Uint8Array;
  readonly certificateCreatedAt: number;
  readonly signedPrekey: SignedKey;
  readonly kemPrekey: SignedKey;
  readonly oneTimePrekeys: readonly OneTimeKey[];
  readonly name?: string | undefined;
}

export type RegisterOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason:
        | 'identity-mismatch'
        | 'device-exists'
        | 'device-removed'
        | 'too-many-devices'
        | 'device-key-taken'
        | 'no-account';
    };

function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  return a !== null && equalBytes(a, b);
}

/**
 * Registers a device. The first device fixes the account's identity key; a
 * later device must present the same one.
 *
 * No interactive transaction: the client has one connection, and a query
 * arriving while a transaction holds it fails (a second connection would
 * deadlock the event loop on SQLite's lock instead, since the driver is
 * synchronous). So the writes are one atomic batch whose statements re-check
 * every condition in SQL — identity, device count, removed ids — and the
 * outcome is read back afterwards. That also holds across processes sharing
 * the database.
 */
export async function registerDevice(
  db: Db,
  accountId: string,
  identity: IdentityKeys,
  device: NewDevice,
  maxDevices: number,
  now: number,
): Promise<RegisterOutcome> {
  const account = await db.query.accounts.findFirst({ where: eq(accounts.id, accountId) });
  if (account === undefined) return { ok: false, reason: 'no-account' };
  const precheck = await explain(
    db,
    accountId,
    account.identityDh,
    account.identitySig,
    identity,
    device,
    maxDevices,
  );
  if (precheck !== undefined) return { ok: false, reason: precheck };

  const { deviceId } = device;
  const guard = sql`
    EXISTS (SELECT 1 FROM accounts
            WHERE id = ${accountId} AND identity_dh = ${identity.dh} AND identity_sig = ${identity.signing})
    AND (SELECT COUNT(*) FROM devices WHERE account_id = ${accountId}) < ${maxDevices}
    AND NOT EXISTS (SELECT 1 FROM removed_devices WHERE account_id = ${accountId} AND device_id = ${deviceId})
    AND NOT EXISTS (SELECT 1 FROM devices WHERE device_key = ${device.deviceKey})`;
  const statements = [
    db.run(sql`
      UPDATE accounts SET identity_dh = ${identity.dh}, identity_sig = ${identity.signing}, identity_binding = ${identity.binding}
      WHERE id = ${accountId} AND identity_dh IS NULL`),
    db.run(sql`
      INSERT INTO devices (account_id, device_id, device_key, certificate, certificate_created_at,
                           signed_prekey_id, signed_prekey, signed_prekey_sig,
                           kem_prekey_id, kem_prekey, kem_prekey_sig, name, created_at)
      SELECT ${accountId}, ${deviceId}, ${device.deviceKey}, ${device.certificate}, ${device.certificateCreatedAt},
             ${device.signedPrekey.id}, ${device.signedPrekey.publicKey}, ${device.signedPrekey.signature},
             ${device.kemPrekey.id}, ${device.kemPrekey.publicKey}, ${device.kemPrekey.signature},
             ${device.name ?? null}, ${now}
      WHERE ${guard}`),
  ];
  // One-time prekeys only if this very device row (same key) made it in.
  for (const key of device.oneTimePrekeys) {
    statements.push(
      db.run(sql`
        INSERT INTO one_time_prekeys (account_id, device_id, key_id, public_key)
        SELECT ${accountId}, ${deviceId}, ${key.id}, ${key.publicKey}
        WHERE EXISTS (SELECT 1 FROM devices
                      WHERE account_id = ${accountId} AND device_id = ${deviceId} AND device_key = ${device.deviceKey})`),
    );
  }
  try {
    await db.batch(statements as [(typeof statements)[number], ...(typeof statements)[number][]]);
  } catch (error) {
    // A concurrent registration of the same device id won the primary key.
    if (!isUniqueViolation(error)) throw error;
  }
  const stored = await db.query.devices.findFirst({
    where: and(eq(devices.accountId, accountId), eq(devices.deviceId, deviceId)),
  });
  if (stored !== undefined && sameBytes(stored.deviceKey, device.deviceKey)) return { ok: true };
  const fresh = await db.query.accounts.findFirst({ where: eq(accounts.id, accountId) });
  const reason = await explain(
    db,
    accountId,
    fresh?.identityDh ?? null,
    fresh?.identitySig ?? null,
    identity,
    device,
    maxDevices,
  );
  return { ok: false, reason: reason ?? 'device-exists' };
}

/** Why a registration cannot (or did not) go in, from the current state; undefined if nothing is wrong. */
async function explain(
  db: Db,
  accountId: string,
  identityDh: Uint8Array | null,
  identitySig: Uint8Array | null,
  identity: IdentityKeys,
  device: NewDevice,
  maxDevices: number,
): Promise<Exclude<RegisterOutcome, { ok: true }>['reason'] | undefined> {
  if (
    identityDh !== null &&
    (!sameBytes(identityDh, identity.dh) || !sameBytes(identitySig, identity.signing))
  ) {
    return 'identity-mismatch';
  }
  const existing = await listDeviceIds(db, accountId);
  if (existing.includes(device.deviceId)) return 'device-exists';
  if (existing.length >= maxDevices) return 'too-many-devices';
  const removed = await db.query.removedDevices.findFirst({
    where: and(
      eq(removedDevices.accountId, accountId),
      eq(removedDevices.deviceId, device.deviceId),
    ),
  });
  if (removed !== undefined) return 'device-removed';
  const keyTaken = await db.query.devices.findFirst({
    where: eq(devices.deviceKey, device.deviceKey),
  });
  if (keyTaken !== undefined) return 'device-key-taken';
  return undefined;
}

export async function listDevices(db: Db, accountId: string): Promise<DeviceRow[]> {
  return db
    .select()
    .from(devices)
    .where(eq(devices.accountId, accountId))
    .orderBy(asc(devices.deviceId));
}

export async function findDevice(
  db: Db,
  accountId: string,
  deviceId: number,
): Promise<DeviceRow | undefined> {
  return db.query.devices.findFirst({
    where: and(eq(devices.accountId, accountId), eq(devices.deviceId, deviceId)),
  });
}

export async function listRemovedDeviceIds(db: Db, accountId: string): Promise<number[]> {
  const rows = await db
    .select({ deviceId: removedDevices.deviceId })
    .from(removedDevices)
    .where(eq(removedDevices.accountId, accountId));
  return rows.map((r) => r.deviceId);
}

/**
 * Removes a device with everything the relay holds for it (prekeys, queued
 * ciphertext) and remembers its id as removed. Returns false if it did not exist.
 */
export async function removeDevice(
  db: Db,
  accountId: string,
  deviceId: number,
  now: number,
): Promise<boolean> {
  const where = and(eq(devices.accountId, accountId), eq(devices.deviceId, deviceId));
  // The removal record is permanent (the id is never accepted again), so it is
  // written only for a device that exists, and before the row it checks is gone.
  const [, deleted] = await db.batch([
    db
      .insert(removedDevices)
      .select(
        db
          .select({
            accountId: devices.accountId,
            deviceId: devices.deviceId,
            removedAt: sql<number>`${now}`.as('removed_at'),
          })
          .from(devices)
          .where(where),
      )
      .onConflictDoNothing(),
    db.delete(devices).where(where).returning({ deviceId: devices.deviceId }),
    db
      .delete(oneTimePrekeys)
      .where(and(eq(oneTimePrekeys.accountId, accountId), eq(oneTimePrekeys.deviceId, deviceId))),
    db
      .delete(oneTimeKemPrekeys)
      .where(
        and(eq(oneTimeKemPrekeys.accountId, accountId), eq(oneTimeKemPrekeys.deviceId, deviceId)),
      ),
    db
      .delete(queue)
      .where(and(eq(queue.recipientAccount, accountId), eq(queue.recipientDevice, deviceId))),
  ]);
  return deleted.length === 1;
}

/**
 * Hands out one one-time prekey and deletes it in the same statement, so no
 * two fetches — in this process or another on the same database — can ever
 * receive the same key. Undefined when the device has none left.
 */
export async function takeOneTimePrekey(
  db: Db,
  accountId: string,
  deviceId: number,
): Promise<OneTimeKey | undefined> {
  const rows = await db.all<{ key_id: number; public_key: ArrayBuffer | Uint8Array }>(sql`
    DELETE FROM one_time_prekeys
    WHERE rowid = (
      SELECT rowid FROM one_time_prekeys
      WHERE account_id = ${accountId} AND device_id = ${deviceId}
      ORDER BY key_id LIMIT 1
    )
    RETURNING key_id, public_key`);
  const row = rows[0];
  if (row === undefined) return undefined;
  return { id: row.key_id, publicKey: new Uint8Array(row.public_key) };
}

export async function countOneTimePrekeys(
  db: Db,
  accountId: string,
  deviceId: number,
): Promise<number> {
  const rows = await db.all<{ n: number }>(sql`
    SELECT COUNT(*) AS n FROM one_time_prekeys WHERE account_id = ${accountId} AND device_id = ${deviceId}`);
  return rows[0]?.n ?? 0;
}

/** Adds one-time prekeys; ids already present are left untouched. Returns how many were added. */
export async function addOneTimePrekeys(
  db: Db,
  accountId: string,
  deviceId: number,
  keys: readonly OneTimeKey[],
): Promise<number> {
  if (keys.length === 0) return 0;
  const rows = await db
    .insert(oneTimePrekeys)
    .values(keys.map((k) => ({ accountId, deviceId, keyId: k.id, publicKey: k.publicKey })))
    .onConflictDoNothing()
    .returning({ keyId: oneTimePrekeys.keyId });
  return rows.length;
}

/**
 * Hands out one one-time ML-KEM prekey and deletes it in the same statement
 * (as takeOneTimePrekey). Undefined when none is left: the caller serves the
 * last-resort one.
 */
export async function takeOneTimeKemPrekey(
  db: Db,
  accountId: string,
  deviceId: number,
): Promise<SignedKey | undefined> {
  const rows = await db.all<{
    key_id: number;
    public_key: ArrayBuffer | Uint8Array;
    signature: ArrayBuffer | Uint8Array;
  }>(sql`
    DELETE FROM one_time_kem_prekeys
    WHERE rowid = (
      SELECT rowid FROM one_time_kem_prekeys
      WHERE account_id = ${accountId} AND device_id = ${deviceId}
      ORDER BY key_id LIMIT 1
    )
    RETURNING key_id, public_key, signature`);
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    id: row.key_id,
    publicKey: new Uint8Array(row.public_key),
    signature: new Uint8Array(row.signature),
  };
}

export async function countOneTimeKemPrekeys(
  db: Db,
  accountId: string,
  deviceId: number,
): Promise<number> {
  const rows = await db.all<{ n: number }>(sql`
    SELECT COUNT(*) AS n FROM one_time_kem_prekeys WHERE account_id = ${accountId} AND device_id = ${deviceId}`);
  return rows[0]?.n ?? 0;
}

/** Adds one-time ML-KEM prekeys; ids already present are left untouched. Returns how many were added. */
export async function addOneTimeKemPrekeys(
  db: Db,
  accountId: string,
  deviceId: number,
  keys: readonly SignedKey[],
): Promise<number> {
  if (keys.length === 0) return 0;
  const rows = await db
    .insert(oneTimeKemPrekeys)
    .values(
      keys.map((k) => ({
        accountId,
        deviceId,
        keyId: k.id,
        publicKey: k.publicKey,
        signature: k.signature,
      })),
    )
    .onConflictDoNothing()
    .returning({ keyId: oneTimeKemPrekeys.keyId });
  return rows.length;
}

export async function replaceSignedPrekey(
  db: Db,
  accountId: string,
  deviceId: number,
  signed: SignedKey | undefined,
  kem: SignedKey | undefined,
): Promise<boolean> {
  const set: Partial<typeof devices.$inferInsert> = {};
  if (signed !== undefined) {
    set.signedPrekeyId = signed.id;
    set.signedPrekey = signed.publicKey;
    set.signedPrekeySig = signed.signature;
  }
  if (kem !== undefined) {
    set.kemPrekeyId = kem.id;
    set.kemPrekey = kem.publicKey;
    set.kemPrekeySig = kem.signature;
  }
  if (Object.keys(set).length === 0) return true;
  const rows = await db
    .update(devices)
    .set(set)
    .where(and(eq(devices.accountId, accountId), eq(devices.deviceId, deviceId)))
    .returning({ deviceId: devices.deviceId });
  return rows.length === 1;
}

/** Sets a device's name (shown to its own account only); false when it does not exist. */
export async function renameDevice(
  db: Db,
  accountId: string,
  deviceId: number,
  name: string,
): Promise<boolean> {
  const result = await db
    .update(devices)
    .set({ name })
    .where(and(eq(devices.accountId, accountId), eq(devices.deviceId, deviceId)));
  return result.rowsAffected > 0;
}

export async function touchDevice(
  db: Db,
  accountId: string,
  deviceId: number,
  now: number,
): Promise<boolean> {
  const result = await db
    .update(devices)
    .set({ lastSeenAt: now })
    .where(and(eq(devices.accountId, accountId), eq(devices.deviceId, deviceId)));
  return result.rowsAffected > 0;
}

/** Active device ids of an account (the hot path of every send: ids only, no key blobs). */
export async function listDeviceIds(db: Db, accountId: string): Promise<number[]> {
  const result = await db.$client.execute({
    sql: 'SELECT device_id FROM devices WHERE account_id = ?',
    args: [accountId],
  });
  return result.rows.map((row) => Number(row.device_id));
}

/** True if the account has a device other than `exceptDevice` registered after `since`. */
export async function hasDeviceAddedSince(
  db: Db,
  accountId: string,
  since: number,
  exceptDevice: number,
): Promise<boolean> {
  const rows = await db
    .select({ id: devices.deviceId })
    .from(devices)
    .where(
      and(
        eq(devices.accountId, accountId),
        ne(devices.deviceId, exceptDevice),
        gt(devices.createdAt, since),
      ),
    )
    .limit(1);
  return rows.length > 0;
}

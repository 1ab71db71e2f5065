/** The device directory: devices, their signed prekeys and one-time prekeys. */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from './open.ts';
import { accounts, devices, oneTimePrekeys, queue, removedDevices } from './schema.ts';

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
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Registers a device. The first device fixes the account's identity key; a
 * later device must present the same one. All checks and writes run in one
 * IMMEDIATE transaction, so concurrent registrations cannot interleave.
 */
export async function registerDevice(
  db: Db,
  accountId: string,
  identity: IdentityKeys,
  device: NewDevice,
  maxDevices: number,
  now: number,
): Promise<RegisterOutcome> {
  return db.transaction(
    async (tx): Promise<RegisterOutcome> => {
      const account = await tx.query.accounts.findFirst({ where: eq(accounts.id, accountId) });
      if (account === undefined) return { ok: false, reason: 'no-account' };
      if (account.identityDh === null) {
        await tx
          .update(accounts)
          .set({
            identityDh: identity.dh,
            identitySig: identity.signing,
            identityBinding: identity.binding,
          })
          .where(eq(accounts.id, accountId));
      } else if (
        !sameBytes(account.identityDh, identity.dh) ||
        !sameBytes(account.identitySig, identity.signing)
      ) {
        return { ok: false, reason: 'identity-mismatch' };
      }
      const existing = await tx
        .select({ deviceId: devices.deviceId })
        .from(devices)
        .where(eq(devices.accountId, accountId));
      if (existing.some((d) => d.deviceId === device.deviceId))
        return { ok: false, reason: 'device-exists' };
      if (existing.length >= maxDevices) return { ok: false, reason: 'too-many-devices' };
      const removed = await tx.query.removedDevices.findFirst({
        where: and(
          eq(removedDevices.accountId, accountId),
          eq(removedDevices.deviceId, device.deviceId),
        ),
      });
      if (removed !== undefined) return { ok: false, reason: 'device-removed' };
      const keyTaken = await tx.query.devices.findFirst({
        where: eq(devices.deviceKey, device.deviceKey),
      });
      if (keyTaken !== undefined) return { ok: false, reason: 'device-key-taken' };
      await tx.insert(devices).values({
        accountId,
        deviceId: device.deviceId,
        deviceKey: device.deviceKey,
        certificate: device.certificate,
        certificateCreatedAt: device.certificateCreatedAt,
        signedPrekeyId: device.signedPrekey.id,
        signedPrekey: device.signedPrekey.publicKey,
        signedPrekeySig: device.signedPrekey.signature,
        kemPrekeyId: device.kemPrekey.id,
        kemPrekey: device.kemPrekey.publicKey,
        kemPrekeySig: device.kemPrekey.signature,
        name: device.name ?? null,
        createdAt: now,
      });
      if (device.oneTimePrekeys.length > 0) {
        await tx.insert(oneTimePrekeys).values(
          device.oneTimePrekeys.map((k) => ({
            accountId,
            deviceId: device.deviceId,
            keyId: k.id,
            publicKey: k.publicKey,
          })),
        );
      }
      return { ok: true };
    },
    { behavior: 'immediate' },
  );
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
  const [deleted] = await db.batch([
    db.delete(devices).where(where).returning({ deviceId: devices.deviceId }),
    db
      .delete(oneTimePrekeys)
      .where(and(eq(oneTimePrekeys.accountId, accountId), eq(oneTimePrekeys.deviceId, deviceId))),
    db
      .delete(queue)
      .where(and(eq(queue.recipientAccount, accountId), eq(queue.recipientDevice, deviceId))),
    db.insert(removedDevices).values({ accountId, deviceId, removedAt: now }).onConflictDoNothing(),
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

export async function touchDevice(
  db: Db,
  accountId: string,
  deviceId: number,
  now: number,
): Promise<void> {
  await db
    .update(devices)
    .set({ lastSeenAt: now })
    .where(and(eq(devices.accountId, accountId), eq(devices.deviceId, deviceId)));
}

/** Active device ids of an account (the hot path of every send: ids only, no key blobs). */
export async function listDeviceIds(db: Db, accountId: string): Promise<number[]> {
  const rows = await db
    .select({ deviceId: devices.deviceId })
    .from(devices)
    .where(eq(devices.accountId, accountId));
  return rows.map((r) => r.deviceId);
}

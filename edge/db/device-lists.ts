/**
 * Signed device lists as the relay keeps them (docs/relay.md, "Device
 * lists"): the newest versions per account, appended only as the version
 * right after the newest, in one statement, so two devices publishing at
 * once cannot both win.
 */
import { and, asc, desc, eq, lte, sql } from 'drizzle-orm';
import { listDeviceIds } from './devices.ts';
import type { Db } from './open.ts';
import { accounts, deviceLists } from './schema.ts';

export interface StoredDeviceList {
  readonly version: number;
  readonly list: Uint8Array;
  readonly hash: Uint8Array;
  readonly deviceIds: readonly number[];
}

function parseIds(text: string): number[] {
  return text === '' ? [] : text.split(',').map(Number);
}

function toStored(row: typeof deviceLists.$inferSelect): StoredDeviceList {
  return {
    version: row.version,
    list: Uint8Array.from(row.list),
    hash: Uint8Array.from(row.hash),
    deviceIds: parseIds(row.deviceIds),
  };
}

export async function latestDeviceList(
  db: Db,
  accountId: string,
): Promise<StoredDeviceList | undefined> {
  const rows = await db
    .select()
    .from(deviceLists)
    .where(eq(deviceLists.accountId, accountId))
    .orderBy(desc(deviceLists.version))
    .limit(1);
  const row = rows[0];
  return row === undefined ? undefined : toStored(row);
}

/** The kept versions, oldest first. */
export async function deviceListChain(db: Db, accountId: string): Promise<StoredDeviceList[]> {
  const rows = await db
    .select()
    .from(deviceLists)
    .where(eq(deviceLists.accountId, accountId))
    .orderBy(asc(deviceLists.version));
  return rows.map(toStored);
}

/**
 * Stores `version` only if it follows the newest stored one (or is 1 on an
 * account with none), then drops versions older than `keep`. False when
 * another version got there first.
 */
export async function appendDeviceList(
  db: Db,
  accountId: string,
  entry: StoredDeviceList,
  keep: number,
  now: number,
): Promise<boolean> {
  const ids = [...entry.deviceIds].join(',');
  const [inserted] = await db.batch([
    db.run(sql`
      INSERT INTO device_lists (account_id, version, list, hash, device_ids, created_at)
      SELECT ${accountId}, ${entry.version}, ${entry.list}, ${entry.hash}, ${ids}, ${now}
      WHERE (SELECT COALESCE(MAX(version), 0) FROM device_lists WHERE account_id = ${accountId})
            = ${entry.version - 1}
      ON CONFLICT DO NOTHING`),
    db
      .delete(deviceLists)
      .where(
        and(eq(deviceLists.accountId, accountId), lte(deviceLists.version, entry.version - keep)),
      ),
  ]);
  return inserted.rowsAffected === 1;
}

/**
 * The devices the send path routes to: the registered ones, narrowed to the
 * newest signed list when the account has one (a registered device that is
 * not listed receives nothing from peers, who would refuse to address it).
 */
export function routedDeviceIds(
  registered: readonly number[],
  latest: StoredDeviceList | undefined,
): number[] {
  if (latest === undefined) return [...registered];
  return registered.filter((id) => latest.deviceIds.includes(id));
}

/** routedDeviceIds from the database: what the send path checks a `send` against. */
export async function listRoutedDeviceIds(db: Db, accountId: string): Promise<number[]> {
  const [registered, latest] = await Promise.all([
    listDeviceIds(db, accountId),
    latestDeviceList(db, accountId),
  ]);
  return routedDeviceIds(registered, latest);
}

/**
 * Identity reset (DeviceService.resetIdentity): forgets the account's
 * identity key and its device list chain in one batch, so the next
 * registration fixes the new identity and the next list starts at version 1.
 * Call only once every device of the account is removed.
 */
export async function forgetIdentityAndLists(db: Db, accountId: string): Promise<void> {
  await db.batch([
    db
      .update(accounts)
      .set({ identityDh: null, identitySig: null, identityBinding: null })
      .where(eq(accounts.id, accountId)),
    db.delete(deviceLists).where(eq(deviceLists.accountId, accountId)),
  ]);
}

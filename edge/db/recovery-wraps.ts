/** Recovery keys wrapped by a passkey's PRF: one opaque row per account and credential. */
import { and, eq } from 'drizzle-orm';
import type { Bytes } from '../../shared/bytes.ts';
import type { Db } from './open.ts';
import { passkeys, recoveryWraps } from './schema.ts';

function asBytes(value: unknown): Bytes {
  return new Uint8Array(value instanceof Uint8Array ? value : (value as ArrayBuffer));
}

/** True when `credentialId` is one of the account's passkeys. */
export async function isAccountPasskey(
  db: Db,
  accountId: string,
  credentialId: string,
): Promise<boolean> {
  const row = await db.query.passkeys.findFirst({
    columns: { id: true },
    where: and(eq(passkeys.id, credentialId), eq(passkeys.accountId, accountId)),
  });
  return row !== undefined;
}

export async function putRecoveryWrap(
  db: Db,
  row: { accountId: string; credentialId: string; wrapped: Uint8Array; now: number },
): Promise<void> {
  await db
    .insert(recoveryWraps)
    .values({
      accountId: row.accountId,
      credentialId: row.credentialId,
      wrapped: row.wrapped,
      updatedAt: row.now,
    })
    .onConflictDoUpdate({
      target: [recoveryWraps.accountId, recoveryWraps.credentialId],
      set: { wrapped: row.wrapped, updatedAt: row.now },
    });
}

export async function getRecoveryWrap(
  db: Db,
  accountId: string,
  credentialId: string,
): Promise<Bytes | undefined> {
  const row = await db.query.recoveryWraps.findFirst({
    where: and(
      eq(recoveryWraps.accountId, accountId),
      eq(recoveryWraps.credentialId, credentialId),
    ),
  });
  return row === undefined ? undefined : asBytes(row.wrapped);
}

/** One credential's wrap, or with `credentialId` undefined every wrap of the account. */
export async function deleteRecoveryWraps(
  db: Db,
  accountId: string,
  credentialId?: string,
): Promise<void> {
  await db
    .delete(recoveryWraps)
    .where(
      credentialId === undefined
        ? eq(recoveryWraps.accountId, accountId)
        : and(eq(recoveryWraps.accountId, accountId), eq(recoveryWraps.credentialId, credentialId)),
    );
}

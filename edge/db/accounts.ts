/** Accounts, their passkeys and WebAuthn challenges. */
import { and, eq, lte, sql } from 'drizzle-orm';
import type { Db } from './open.ts';
import { accounts, challenges, passkeys } from './schema.ts';

export type AccountRow = typeof accounts.$inferSelect;
export type PasskeyRow = typeof passkeys.$inferSelect;
export type ChallengeRow = typeof challenges.$inferSelect;

export interface NewPasskey {
  readonly id: string;
  readonly publicKey: Uint8Array;
  readonly counter: number;
  readonly transports: readonly string[];
  readonly backedUp: boolean;
}

export async function findAccountByHandle(db: Db, handle: string): Promise<AccountRow | undefined> {
  return db.query.accounts.findFirst({ where: eq(accounts.handle, handle) });
}

export async function findAccountById(db: Db, id: string): Promise<AccountRow | undefined> {
  return db.query.accounts.findFirst({ where: eq(accounts.id, id) });
}

/**
 * Creates the account and its first passkey in one transaction. Returns false
 * when the handle was taken meanwhile (the unique index decides races).
 */
export async function createAccountWithPasskey(
  db: Db,
  account: { id: string; handle: string; webauthnUserId: string; createdAt: number },
  passkey: NewPasskey,
): Promise<boolean> {
  try {
    await db.batch([
      db.insert(accounts).values(account),
      db.insert(passkeys).values({
        ...passkey,
        transports: JSON.stringify(passkey.transports),
        accountId: account.id,
        createdAt: account.createdAt,
      }),
    ]);
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

/** Adds a passkey to an existing account; false if the credential id already exists. */
export async function addPasskey(
  db: Db,
  accountId: string,
  passkey: NewPasskey,
  now: number,
): Promise<boolean> {
  try {
    await db.insert(passkeys).values({
      ...passkey,
      transports: JSON.stringify(passkey.transports),
      accountId,
      createdAt: now,
    });
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

export async function listPasskeys(db: Db, accountId: string): Promise<PasskeyRow[]> {
  return db.select().from(passkeys).where(eq(passkeys.accountId, accountId));
}

export async function findPasskey(db: Db, id: string): Promise<PasskeyRow | undefined> {
  return db.query.passkeys.findFirst({ where: eq(passkeys.id, id) });
}

/**
 * Records a successful assertion. The update only applies if the stored
 * counter is still the one verified against, so two concurrent logins with the
 * same counter cannot both succeed (a cloned authenticator would need that).
 */
export async function advancePasskeyCounter(
  db: Db,
  id: string,
  expectedCounter: number,
  newCounter: number,
  now: number,
): Promise<boolean> {
  const rows = await db
    .update(passkeys)
    .set({ counter: newCounter, lastUsedAt: now })
    .where(and(eq(passkeys.id, id), eq(passkeys.counter, expectedCounter)))
    .returning({ id: passkeys.id });
  return rows.length === 1;
}

export async function insertChallenge(db: Db, row: ChallengeRow): Promise<void> {
  await db.insert(challenges).values(row);
}

/**
 * Single use: the challenge row is deleted by the same statement that reads
 * it, so a replayed response finds nothing. Expired challenges are not returned.
 */
export async function consumeChallenge(
  db: Db,
  challenge: string,
  now: number,
): Promise<ChallengeRow | undefined> {
  const rows = await db.delete(challenges).where(eq(challenges.challenge, challenge)).returning();
  const row = rows[0];
  return row !== undefined && row.expiresAt > now ? row : undefined;
}

export async function purgeExpiredChallenges(db: Db, now: number): Promise<number> {
  const rows = await db
    .delete(challenges)
    .where(lte(challenges.expiresAt, now))
    .returning({ c: challenges.challenge });
  return rows.length;
}

/**
 * Deletes up to `limit` accounts created at or before `createdBefore` that
 * never registered a device (no identity key was ever set, none is
 * registered), with their passkeys (cascade): a handle claimed and left
 * unused is free again. Accounts whose devices were all removed later keep
 * their identity and are not touched.
 */
export async function deleteUnclaimedAccounts(
  db: Db,
  createdBefore: number,
  limit: number,
): Promise<number> {
  const rows = await db.all<{ id: string }>(sql`
    DELETE FROM accounts WHERE id IN (
      SELECT a.id FROM accounts a
      WHERE a.identity_dh IS NULL AND a.created_at <= ${createdBefore}
        AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.account_id = a.id)
      LIMIT ${limit}
    )
    RETURNING id`);
  return rows.length;
}

export function isUniqueViolation(error: unknown): boolean {
  const text = errorText(error);
  return /UNIQUE constraint failed|SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)/i.test(text);
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return `${error.message} ${(error as { code?: string }).code ?? ''} ${cause === undefined ? '' : errorText(cause)}`;
}

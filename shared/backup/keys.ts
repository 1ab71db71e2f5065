/**
 * The backup key hierarchy (docs/protocol.md, "Backups"), HKDF-SHA-256 with
 * the default salt and Parley's labels:
 *
 *   BK        = HKDF(RK, "PARLEY-v1:backup-key")                       32 bytes
 *   backupId  = HKDF(BK, "PARLEY-v1:backup-id" ‖ utf8(account id))     16 bytes
 *   auth seed = HKDF(BK, "PARLEY-v1:backup-auth")                      32 bytes
 *
 * BK is the archive root: the archive format derives its own key-check value
 * and per-snapshot key from it (shared/archive). The backup id addresses the
 * backups on the relay; without BK it cannot be linked to the account. The
 * auth seed is an Ed25519 private key whose public half the relay pins at the
 * first upload and which signs every later request (shared/wire/backup-request.ts).
 */
import { type Bytes, concat, utf8 } from '../bytes.ts';
import { type SigningKeyPair, signingKeyPairFromPrivate } from '../crypto/ed25519.ts';
import { hkdf } from '../crypto/kdf.ts';
import { Label } from '../crypto/labels.ts';
import { RECOVERY_KEY_BYTES } from './recovery-key.ts';

export const BACKUP_KEY_BYTES = 32;
export const BACKUP_ID_BYTES = 16;
const AUTH_SEED_BYTES = 32;

function checkLength(what: string, key: Uint8Array, bytes: number): void {
  if (key.length !== bytes)
    throw new RangeError(`${what}: expected ${bytes} bytes, got ${key.length}`);
}

export function deriveBackupKey(recoveryKey: Uint8Array): Bytes {
  checkLength('Recovery key', recoveryKey, RECOVERY_KEY_BYTES);
  return hkdf(recoveryKey, undefined, Label.BACKUP_KEY, BACKUP_KEY_BYTES);
}

export function deriveBackupId(backupKey: Uint8Array, accountId: string): Bytes {
  checkLength('Backup key', backupKey, BACKUP_KEY_BYTES);
  const info = concat(utf8(Label.BACKUP_ID), utf8(accountId));
  return hkdf(backupKey, undefined, info, BACKUP_ID_BYTES);
}

/** The 32-byte Ed25519 private key (seed) that authorizes this backup id on the relay. */
export function deriveBackupAuthSeed(backupKey: Uint8Array): Bytes {
  checkLength('Backup key', backupKey, BACKUP_KEY_BYTES);
  return hkdf(backupKey, undefined, Label.BACKUP_AUTH, AUTH_SEED_BYTES);
}

export interface BackupKeys {
  /** BK: the archive root of every snapshot. */
  readonly backupKey: Bytes;
  readonly backupId: Bytes;
  /** Signs the relay requests; its private half is a non-extractable CryptoKey. */
  readonly auth: SigningKeyPair;
}

/** Everything a backup or restore needs from the recovery key and the account id. */
export async function deriveBackupKeys(
  recoveryKey: Uint8Array,
  accountId: string,
): Promise<BackupKeys> {
  const backupKey = deriveBackupKey(recoveryKey);
  const seed = deriveBackupAuthSeed(backupKey);
  try {
    const auth = await signingKeyPairFromPrivate(seed, false);
    return { backupKey, backupId: deriveBackupId(backupKey, accountId), auth };
  } finally {
    seed.fill(0);
  }
}

/**
 * Encrypted backups of this account, run in the worker (docs/extension.md,
 * "Backups"; the flows are shared/client/backup). Turning backups on makes
 * the recovery key, hands it to the page once, and keeps it as a VAULT
 * record (sealed like every client record, readable only while unlocked):
 * it is what every later snapshot is derived from, and what "show my
 * recovery key again" shows after a fresh passkey verification. Nothing of
 * it goes to plain storage; the status (last snapshot's seq and time, last
 * error code) sits in the same sealed record.
 *
 * Snapshots go to the relay (it keeps the last 2 per backup id: edge/db/backups.ts)
 * on "Back up now" and once a day from the backup alarm; a backup file is
 * the same sealed snapshot, handed to the page as bytes.
 *
 * Runs in: the service worker and Node (tests).
 */
import * as v from 'valibot';
import { deriveBackupKeys } from '../../../shared/backup/keys.ts';
import {
  formatRecoveryKey,
  newRecoveryKey,
  parseRecoveryKey,
} from '../../../shared/backup/recovery-key.ts';
import { concat, wipe } from '../../../shared/bytes.ts';
import type { FetchLike } from '../../../shared/client/backup/backup-relay.ts';
import { BackupRelay } from '../../../shared/client/backup/backup-relay.ts';
import { type BackupArchiveAccess, createBackups } from '../../../shared/client/backup/backups.ts';
import { decodeRecord, encodeRecord } from '../../../shared/client/store/record-codec.ts';
import type { RecordStore } from '../../../shared/client/store/store.ts';
import type { Random } from '../../../shared/crypto/random.ts';
import { ErrorCode, ParleyError } from '../../../shared/errors.ts';
import { ExtErrorCode, errorCode, extError } from '../../lib/errors.ts';
import type { BackupStatus } from '../../lib/protocol.ts';

/** The vault record (no `/`: stored under this name, sealed). Not part of any archive. */
export const BACKUP_RECORD = 'ext-backup';
/** How often the automatic backup runs (docs/extension.md, "Backups"). */
export const BACKUP_INTERVAL_MS = 24 * 60 * 60_000;
/** After a failed automatic backup, the next try waits this long (the alarm fires hourly). */
export const BACKUP_RETRY_MS = 60 * 60_000;

const BackupRecordSchema = v.object({
  v: v.literal(1),
  /** The recovery key as shown (grouped characters). */
  recoveryKey: v.string(),
  enabledAt: v.number(),
  lastSeq: v.optional(v.number()),
  lastAt: v.optional(v.number()),
  lastAttemptAt: v.optional(v.number()),
  lastError: v.optional(v.string()),
});
type BackupRecord = v.InferOutput<typeof BackupRecordSchema>;

export interface BackupAccount {
  readonly userId: string;
  readonly relayUrl: string;
}

export interface BackupServiceDeps {
  /** The vault's sealed records (throw VAULT_LOCKED while locked). */
  readonly records: RecordStore;
  readonly account: () => BackupAccount | undefined;
  /** The archive layer for this account (client.archive and the identity's public key). */
  readonly archive: () => Promise<BackupArchiveAccess>;
  readonly fetch: FetchLike;
  readonly now: () => number;
  readonly random: Random;
  /** The status changed: tell pages. */
  readonly changed: () => void;
}

function noAccount(): ParleyError<string> {
  return extError(ExtErrorCode.VAULT_NOT_FOUND, 'No account here');
}

function backupsOff(): ParleyError<string> {
  return new ParleyError(ErrorCode.NOT_FOUND, 'Backups are off', { what: 'backup' });
}

/**
 * Request timestamps that never repeat across this service's relay requests
 * (each flow builds its own client; the relay refuses a repeated signature).
 */
function monotonic(now: () => number): () => number {
  let last = 0;
  return () => {
    last = Math.max(now(), last + 1);
    return last;
  };
}

export class BackupService {
  readonly #d: BackupServiceDeps;
  readonly #requestClock: () => number;
  #running: Promise<BackupStatus> | undefined;

  constructor(deps: BackupServiceDeps) {
    this.#d = deps;
    this.#requestClock = monotonic(deps.now);
  }

  async #read(): Promise<BackupRecord | undefined> {
    const raw = await this.#d.records.get(BACKUP_RECORD);
    return raw === undefined ? undefined : decodeRecord(BackupRecordSchema, raw, 'backup');
  }

  async #write(record: BackupRecord | undefined): Promise<void> {
    await this.#d.records.write([
      record === undefined
        ? { op: 'delete', key: BACKUP_RECORD }
        : { op: 'set', key: BACKUP_RECORD, value: encodeRecord(record) },
    ]);
    this.#d.changed();
  }

  #account(): BackupAccount {
    const account = this.#d.account();
    if (account === undefined) throw noAccount();
    return account;
  }

  async status(): Promise<BackupStatus> {
    const record = await this.#read();
    if (record === undefined) return { on: false, running: false };
    return {
      on: true,
      running: this.#running !== undefined,
      ...(record.lastSeq === undefined ? {} : { lastSeq: record.lastSeq }),
      ...(record.lastAt === undefined ? {} : { lastAt: record.lastAt }),
      ...(record.lastError === undefined ? {} : { lastError: record.lastError }),
    };
  }

  /**
   * Turns backups on: a new recovery key, kept in the vault. Returns it for
   * the page to show once. Already on: refused (the key shown earlier stays).
   */
  async enable(): Promise<string> {
    this.#account();
    if ((await this.#read()) !== undefined)
      throw new ParleyError(ErrorCode.BAD_ARGUMENT, 'Backups are already on');
    const key = newRecoveryKey(this.#d.random);
    const recoveryKey = formatRecoveryKey(key);
    wipe(key);
    await this.#write({ v: 1, recoveryKey, enabledAt: this.#d.now() });
    return recoveryKey;
  }

  /** Turns backups off: the key leaves the vault, and the relay's snapshots are deleted (best effort). */
  async disable(): Promise<void> {
    const record = await this.#read();
    if (record === undefined) return;
    await this.#write(undefined);
    const account = this.#d.account();
    if (account === undefined) return;
    try {
      await (await this.#relay(record.recoveryKey, account)).deleteAll();
    } catch {
      // Unreachable relay: the snapshots stay sealed under a key nobody keeps any more.
    }
  }

  async #relay(recoveryKey: string, account: BackupAccount): Promise<BackupRelay> {
    const rk = parseRecoveryKey(recoveryKey);
    const keys = await deriveBackupKeys(rk, account.userId);
    wipe(rk, keys.backupKey);
    return new BackupRelay({
      relayUrl: account.relayUrl,
      fetch: this.#d.fetch,
      backupId: keys.backupId,
      auth: keys.auth,
      now: this.#requestClock,
    });
  }

  /** The recovery key as shown; the request that calls this demands a fresh passkey verification. */
  async recoveryKey(): Promise<string> {
    const record = await this.#read();
    if (record === undefined) throw backupsOff();
    return record.recoveryKey;
  }

  /** A snapshot to the relay now; one at a time (a second call joins the running one). */
  backupNow(): Promise<BackupStatus> {
    this.#running ??= this.#backup().finally(() => {
      this.#running = undefined;
      this.#d.changed();
    });
    return this.#running;
  }

  async #backup(): Promise<BackupStatus> {
    const record = await this.#read();
    if (record === undefined) throw backupsOff();
    const account = this.#account();
    this.#d.changed();
    const attemptAt = this.#d.now();
    try {
      const backups = createBackups({
        accountId: account.userId,
        relayUrl: account.relayUrl,
        fetch: this.#d.fetch,
        now: this.#requestClock,
        archive: await this.#d.archive(),
      });
      const info = await backups.createBackup({ recoveryKey: record.recoveryKey });
      const { lastError: _, ...rest } = record;
      await this.#write({
        ...rest,
        lastSeq: info.seq,
        lastAt: attemptAt,
        lastAttemptAt: attemptAt,
      });
    } catch (error) {
      // Only the stable code is kept: it names no secret and no content.
      await this.#write({ ...record, lastAttemptAt: attemptAt, lastError: errorCode(error) });
      throw error;
    }
    return { ...(await this.status()), running: false };
  }

  /**
   * The backup alarm: a snapshot when backups are on and the last one is a
   * day old (a failed try waits BACKUP_RETRY_MS). The caller checks that the
   * vault is open; true when a backup ran.
   */
  async runIfDue(): Promise<boolean> {
    const record = await this.#read();
    if (record === undefined || this.#d.account() === undefined) return false;
    const now = this.#d.now();
    const since = record.lastAt ?? record.enabledAt - BACKUP_INTERVAL_MS;
    if (now - since < BACKUP_INTERVAL_MS) return false;
    if (record.lastAttemptAt !== undefined && now - record.lastAttemptAt < BACKUP_RETRY_MS)
      return false;
    await this.backupNow().catch(() => undefined);
    return true;
  }

  /**
   * A `.parleybackup` file: the same sealed, signed snapshot the relay gets,
   * under the same recovery key (so a restore needs the key either way). Its
   * seq is the last relay snapshot's (0 before the first).
   */
  async file(): Promise<Uint8Array> {
    const record = await this.#read();
    if (record === undefined) throw backupsOff();
    const account = this.#account();
    const rk = parseRecoveryKey(record.recoveryKey);
    const keys = await deriveBackupKeys(rk, account.userId);
    wipe(rk);
    try {
      const chunks: Uint8Array[] = [];
      const archive = await this.#d.archive();
      for await (const chunk of archive.exportBackup({
        root: keys.backupKey,
        seq: record.lastSeq ?? 0,
        backupId: keys.backupId,
      }))
        chunks.push(chunk);
      return concat(...chunks);
    } finally {
      wipe(keys.backupKey);
    }
  }
}

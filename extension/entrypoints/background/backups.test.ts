/**
 * The worker's backup service against the in-process relay: the recovery
 * key made once and kept in the vault record, snapshots with increasing seq
 * (the relay keeps the last 2), the daily schedule, the last error's code,
 * the backup file (opens with the key, ARCHIVE_WRONG_KEY without it), and
 * turning backups off (the relay's snapshots go).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type InProcessRelay, startInProcess } from '../../../edge/testing/in-process.ts';
import { deriveBackupKeys } from '../../../shared/backup/keys.ts';
import {
  formatRecoveryKey,
  parseRecoveryKey,
  RECOVERY_KEY_CHARS,
} from '../../../shared/backup/recovery-key.ts';
import { createArchiveApi } from '../../../shared/client/archive/archive-api.ts';
import { BackupRelay } from '../../../shared/client/backup/backup-relay.ts';
import { clientArchiveAccess } from '../../../shared/client/backup/client-archive-access.ts';
import { newContact } from '../../../shared/client/contacts/contacts.ts';
import { encodeRecord } from '../../../shared/client/store/record-codec.ts';
import { SerialQueue } from '../../../shared/client/store/serial.ts';
import { Keys } from '../../../shared/client/store/storage-keys.ts';
import { createMemoryStorage, type RecordStore } from '../../../shared/client/store/store.ts';
import {
  localAccount,
  offlineSessionContext,
} from '../../../shared/client/testing/local-account.ts';
import { systemRandom } from '../../../shared/crypto/random.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { errorOf } from '../../../shared/testing/errors.ts';
import { BACKUP_INTERVAL_MS, BACKUP_RECORD, BACKUP_RETRY_MS, BackupService } from './backups.ts';

const USER = '6f1c2b7e-3a0d-4c55-9e21-8b4f0d9a7c13';
const PEER = '11111111-2222-4333-8444-555555555555';
const RELAY = 'http://relay.test';

describe('BackupService', () => {
  let t: InProcessRelay;
  let records: RecordStore;
  let service: BackupService;
  let changes: number;
  let relayDown: boolean;
  const fetch = (input: string, init?: RequestInit) =>
    relayDown
      ? Promise.reject(new TypeError('offline'))
      : Promise.resolve(t.relay.app.request(input, init));
  let access: () => ReturnType<typeof clientArchiveAccess>;

  beforeEach(async () => {
    t = await startInProcess();
    relayDown = false;
    changes = 0;
    records = createMemoryStorage().records;
    const { account } = await localAccount(records, USER, 1);
    await records.write([
      {
        op: 'set',
        key: Keys.contact(PEER),
        value: encodeRecord({ ...newContact(PEER, 'accepted', t.now()), verified: true }),
      },
    ]);
    const archive = createArchiveApi({
      records,
      queue: new SerialQueue(),
      now: () => t.now(),
      requireSessions: () => offlineSessionContext(account),
    });
    access = () => clientArchiveAccess(archive, account.identity.signing.publicKey);
    service = new BackupService({
      records,
      account: () => ({ userId: USER, relayUrl: RELAY }),
      archive: async () => access(),
      fetch,
      now: () => t.now(),
      random: systemRandom,
      changed: () => {
        changes++;
      },
    });
  });
  afterEach(async () => {
    await t.close();
  });

  async function relayFor(recoveryKey: string): Promise<BackupRelay> {
    // Later than the service's requests: the relay refuses a repeated signature.
    t.setNow(t.now() + 10_000);
    const keys = await deriveBackupKeys(parseRecoveryKey(recoveryKey), USER);
    return new BackupRelay({
      relayUrl: RELAY,
      fetch,
      backupId: keys.backupId,
      auth: keys.auth,
      now: () => t.now(),
    });
  }

  it('turns on once: a valid recovery key kept in the vault record, never in the status', async () => {
    expect(await service.status()).toEqual({ on: false, running: false });
    const key = await service.enable();
    expect(key.replace(/ /g, '')).toHaveLength(RECOVERY_KEY_CHARS);
    expect(() => parseRecoveryKey(key)).not.toThrow();
    expect(await service.recoveryKey()).toBe(key);
    const status = await service.status();
    expect(status).toEqual({ on: true, running: false });
    expect(JSON.stringify(status)).not.toContain(key.slice(0, 4));
    expect(await records.get(BACKUP_RECORD)).toBeDefined();
    expect((await errorOf(() => service.enable())).code).toBe(ErrorCode.BAD_ARGUMENT);
    expect(changes).toBeGreaterThan(0);
  });

  it('backs up with increasing seq; the relay keeps the last 2', async () => {
    const key = await service.enable();
    for (const seq of [1, 2, 3]) {
      t.setNow(t.now() + 1000);
      expect(await service.backupNow()).toMatchObject({ on: true, lastSeq: seq, lastAt: t.now() });
    }
    const listed = await (await relayFor(key)).list();
    expect(listed.map((s) => s.seq)).toEqual([3, 2]);
  });

  it('keeps the code of a failed backup, and clears it after the next success', async () => {
    await service.enable();
    relayDown = true;
    expect((await errorOf(() => service.backupNow())).code).toBe(ErrorCode.RELAY_UNREACHABLE);
    expect(await service.status()).toEqual({
      on: true,
      running: false,
      lastError: ErrorCode.RELAY_UNREACHABLE,
    });
    relayDown = false;
    expect(await service.backupNow()).toEqual({
      on: true,
      running: false,
      lastSeq: 1,
      lastAt: t.now(),
    });
  });

  it('runs daily: due at once after turning on, then after a day; a failure waits an hour', async () => {
    expect(await service.runIfDue()).toBe(false); // off
    await service.enable();
    expect(await service.runIfDue()).toBe(true);
    expect((await service.status()).lastSeq).toBe(1);
    t.setNow(t.now() + BACKUP_INTERVAL_MS - 1);
    expect(await service.runIfDue()).toBe(false);
    t.setNow(t.now() + 1);
    relayDown = true;
    expect(await service.runIfDue()).toBe(true); // tried, failed
    expect((await service.status()).lastError).toBe(ErrorCode.RELAY_UNREACHABLE);
    relayDown = false;
    t.setNow(t.now() + BACKUP_RETRY_MS - 1);
    expect(await service.runIfDue()).toBe(false);
    t.setNow(t.now() + 1);
    expect(await service.runIfDue()).toBe(true);
    expect(await service.status()).toMatchObject({ lastSeq: 2 });
  });

  it('makes a backup file that opens with the recovery key and not with another', async () => {
    const key = await service.enable();
    await service.backupNow();
    const file = await service.file();
    expect(Buffer.from(file).toString('latin1')).not.toContain(PEER);
    const keys = await deriveBackupKeys(parseRecoveryKey(key), USER);
    const one = async function* () {
      yield file;
    };
    expect(await access().readHeader(one(), keys.backupKey, keys.backupId)).toMatchObject({
      seq: 1,
    });
    const other = await deriveBackupKeys(
      parseRecoveryKey(formatRecoveryKey(new Uint8Array(32).fill(7))),
      USER,
    );
    const wrong = await errorOf(() => access().readHeader(one(), other.backupKey, keys.backupId));
    expect(wrong.code).toBe(ErrorCode.ARCHIVE_WRONG_KEY);
  });

  it('turns off: the key leaves the vault and the relay deletes the snapshots', async () => {
    const key = await service.enable();
    await service.backupNow();
    await service.disable();
    expect(await records.get(BACKUP_RECORD)).toBeUndefined();
    expect(await service.status()).toEqual({ on: false, running: false });
    expect(await (await relayFor(key)).list()).toEqual([]);
    expect((await errorOf(() => service.recoveryKey())).code).toBe(ErrorCode.NOT_FOUND);
  });
});

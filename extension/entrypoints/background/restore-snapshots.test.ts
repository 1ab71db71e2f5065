/**
 * The snapshots a restore offers, against the in-process relay: newest
 * first with the relay's seq and date, only those under this key and
 * account, none for another key, and a typo refused before any request.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type InProcessRelay, startInProcess } from '../../../edge/testing/in-process.ts';
import { deriveBackupKeys } from '../../../shared/backup/keys.ts';
import { formatRecoveryKey, parseRecoveryKey } from '../../../shared/backup/recovery-key.ts';
import { BackupRelay } from '../../../shared/client/backup/backup-relay.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { errorOf } from '../../../shared/testing/errors.ts';
import { listRestoreSnapshots } from './restore-snapshots.ts';

const USER = '6f1c2b7e-3a0d-4c55-9e21-8b4f0d9a7c13';
const OTHER_USER = '11111111-2222-4333-8444-555555555555';
const RELAY = 'http://relay.test';

async function* bytes(n: number): AsyncGenerator<Uint8Array> {
  yield new Uint8Array(n).fill(7);
}

describe('listRestoreSnapshots', () => {
  let t: InProcessRelay;
  let requests: number;
  const fetch = (input: string, init?: RequestInit) => {
    requests++;
    return Promise.resolve(t.relay.app.request(input, init));
  };
  const deps = { fetch, now: () => t.now() };
  const key = formatRecoveryKey(crypto.getRandomValues(new Uint8Array(32)));

  beforeEach(async () => {
    t = await startInProcess();
    requests = 0;
  });
  afterEach(async () => {
    await t.close();
  });

  async function upload(seqs: readonly number[]): Promise<number[]> {
    const keys = await deriveBackupKeys(parseRecoveryKey(key), USER);
    const relay = new BackupRelay({
      relayUrl: RELAY,
      fetch,
      backupId: keys.backupId,
      auth: keys.auth,
      now: () => t.now(),
    });
    const stored: number[] = [];
    for (const seq of seqs) {
      t.setNow(t.now() + 60_000);
      stored.push((await relay.upload(seq, bytes(100))).storedAt);
    }
    t.setNow(t.now() + 60_000);
    return stored;
  }

  it('lists the kept snapshots newest first with their seq and the relay’s date', async () => {
    const stored = await upload([1, 2, 3]);
    expect(
      await listRestoreSnapshots(deps, { relayUrl: RELAY, recoveryKey: key, user: USER }),
    ).toEqual([
      { seq: 3, storedAt: stored[2] },
      { seq: 2, storedAt: stored[1] },
    ]);
  });

  it('is empty for another key or another account', async () => {
    await upload([1]);
    const other = formatRecoveryKey(crypto.getRandomValues(new Uint8Array(32)));
    expect(
      await listRestoreSnapshots(deps, { relayUrl: RELAY, recoveryKey: other, user: USER }),
    ).toEqual([]);
    expect(
      await listRestoreSnapshots(deps, { relayUrl: RELAY, recoveryKey: key, user: OTHER_USER }),
    ).toEqual([]);
  });

  it('refuses a typo before any request', async () => {
    const typo = `${key.slice(0, -1)}${key.at(-1) === 'A' ? 'B' : 'A'}`;
    const error = await errorOf(() =>
      listRestoreSnapshots(deps, { relayUrl: RELAY, recoveryKey: typo, user: USER }),
    );
    expect(error.code).toBe(ErrorCode.RECOVERY_KEY_INVALID);
    expect(requests).toBe(0);
  });
});

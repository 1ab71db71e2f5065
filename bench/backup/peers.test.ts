/**
 * The backup bench compares like with like only if both peers carry the same
 * records: a bench profile backed up and restored by the plain peer and by
 * Parley gives, in both fresh stores, exactly the allowlisted records of the
 * source, byte for byte (bench/backup.ts; in-process relay, no timing).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type InProcessRelay, startInProcess } from '../../edge/testing/in-process.ts';
import { deriveBackupKeys } from '../../shared/backup/keys.ts';
import { formatRecoveryKey } from '../../shared/backup/recovery-key.ts';
import { toHex } from '../../shared/bytes.ts';
import { BackupRelay, type FetchLike } from '../../shared/client/backup/backup-relay.ts';
import { decodeMessage } from '../../shared/client/conversations/messages.ts';
import { createMemoryStorage, type RecordStore } from '../../shared/client/store/store.ts';
import { localAccount } from '../../shared/client/testing/local-account.ts';
import { parleyBackups } from './parley-peer.ts';
import { plainBackup, plainRestore, walkSnapshotRecords } from './plain-peer.ts';
import { populateProfile } from './profile.ts';

const USER = '6f1c2b7e-3a0d-4c55-9e21-8b4f0d9a7c13';
const SHAPE = { contacts: 7, messages: 300 };

async function snapshotRecords(records: RecordStore): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const [key, value] of walkSnapshotRecords(records)) out[key] = toHex(value);
  return out;
}

describe('backup bench peers', () => {
  let t: InProcessRelay;
  beforeEach(async () => {
    t = await startInProcess();
  });
  afterEach(async () => {
    await t.close();
  });

  it('the plain peer and Parley both restore exactly the records of the profile', async () => {
    const fetch: FetchLike = (input, init) => Promise.resolve(t.relay.app.request(input, init));
    let last = 0;
    const now = () => {
      last = Math.max(t.now(), last + 1);
      return last;
    };
    const deps = { relayUrl: 'http://relay.test', fetch, now };
    const source = createMemoryStorage().records;
    const { account } = await localAccount(source, USER, 1);
    const facts = await populateProfile(source, USER, SHAPE, t.now());
    const expected = await snapshotRecords(source);
    expect(Object.keys(expected)).toHaveLength(facts.records);
    const messages = Object.keys(expected).filter((k) => k.startsWith('msg/'));
    expect(messages).toHaveLength(SHAPE.messages);
    const texts = await Promise.all(
      messages.map(async (k) => decodeMessage((await source.get(k)) as Uint8Array).text),
    );
    expect(new Set(texts).size).toBeGreaterThan(SHAPE.messages * 0.9);

    const keys = await deriveBackupKeys(new Uint8Array(32).fill(0x52), USER);
    const relay = new BackupRelay({ ...deps, backupId: keys.backupId, auth: keys.auth });
    const plain = await plainBackup(source, relay);
    expect(plain.storedBytes).toBeLessThan(plain.jsonBytes);
    const plainTarget = createMemoryStorage().records;
    expect(await plainRestore(plainTarget, relay, plain.seq)).toBe(facts.records);
    expect(await snapshotRecords(plainTarget)).toEqual(expected);

    const rk = formatRecoveryKey(new Uint8Array(32).fill(0x51));
    const info = await parleyBackups(source, account, deps).createBackup({ recoveryKey: rk });
    const parleyTarget = createMemoryStorage().records;
    await parleyBackups(parleyTarget, account, deps).restoreBackup(rk, info.seq);
    expect(await snapshotRecords(parleyTarget)).toEqual(expected);
  });
});

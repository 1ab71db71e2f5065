/**
 * Backup and restore through the client core's archive API (client.archive)
 * and the relay store: one device of an account backs up its contacts,
 * conversation and messages; another store of the same account restores them,
 * and exporting both gives the same snapshot (the libsignal "comparable
 * backup" pattern, docs/protocol.md "Backups").
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type InProcessRelay, startInProcess } from '../../../edge/testing/in-process.ts';
import { formatRecoveryKey } from '../../backup/recovery-key.ts';
import { toHex } from '../../bytes.ts';
import { createArchiveApi } from '../archive/archive-api.ts';
import { exportSnapshot } from '../archive/export-snapshot.ts';
import { newContact } from '../contacts/contacts.ts';
import type { Conversation } from '../conversations/conversations.ts';
import { arrivedTextRecord, messageKeyOf } from '../conversations/messages.ts';
import { encodeRecord } from '../store/record-codec.ts';
import { SerialQueue } from '../store/serial.ts';
import { Keys } from '../store/storage-keys.ts';
import { createMemoryStorage, type RecordStore } from '../store/store.ts';
import { localAccount, offlineSessionContext } from '../testing/local-account.ts';
import { createBackups } from './backups.ts';
import { clientArchiveAccess } from './client-archive-access.ts';

const USER = '6f1c2b7e-3a0d-4c55-9e21-8b4f0d9a7c13';
const PEER = '11111111-2222-4333-8444-555555555555';
const CONV = `u:${PEER}`;
const RK = formatRecoveryKey(new Uint8Array(32).fill(0x21));

async function fill(records: RecordStore, now: number, count: number): Promise<void> {
  const conversation: Conversation = {
    v: 1,
    id: CONV,
    kind: 'direct',
    peer: PEER,
    unread: 0,
    createdAt: now - 5000,
    updatedAt: now,
  };
  const messages = Array.from({ length: count }, (_, n) =>
    arrivedTextRecord({
      content: {
        id: Uint8Array.from({ length: 16 }, (_, i) =>
          i < 12 ? 0xa5 : (n >>> (8 * (15 - i))) & 0xff,
        ),
        text: `canary message ${n}`,
        sentAt: now - 100_000 + n,
      },
      conversation: CONV,
      stamp: now - 100_000 + n,
      author: PEER,
      authorDevice: 1,
      fromSelf: false,
      now: now - 100_000 + n,
    }),
  );
  await records.write([
    {
      op: 'set',
      key: Keys.contact(PEER),
      value: encodeRecord({ ...newContact(PEER, 'accepted', now), verified: true }),
    },
    { op: 'set', key: Keys.conversation(CONV), value: encodeRecord(conversation) },
    ...messages.map((m) => ({ op: 'set' as const, key: messageKeyOf(m), value: encodeRecord(m) })),
  ]);
}

async function snapshotOf(records: RecordStore, now: number): Promise<string[]> {
  const out: string[] = [];
  for await (const frame of exportSnapshot(records, { history: true, now })) out.push(toHex(frame));
  return out;
}

describe('backup through client.archive', () => {
  let t: InProcessRelay;
  beforeEach(async () => {
    t = await startInProcess();
  });
  afterEach(async () => {
    await t.close();
  });

  it('restores contacts, the conversation and 1,000 messages into another store of the account', async () => {
    const source = createMemoryStorage().records;
    const { account } = await localAccount(source, USER, 1);
    const now = t.now();
    await fill(source, now, 1000);
    const backupsOf = (records: RecordStore) => {
      const archive = createArchiveApi({
        records,
        queue: new SerialQueue(),
        now: () => t.now(),
        requireSessions: () => offlineSessionContext(account),
      });
      return createBackups({
        accountId: USER,
        relayUrl: 'http://relay.test',
        fetch: (input, init) => Promise.resolve(t.relay.app.request(input, init)),
        now: () => t.now(),
        archive: clientArchiveAccess(archive, account.identity.signing.publicKey),
      });
    };
    const info = await backupsOf(source).createBackup({ recoveryKey: RK });
    expect(info.seq).toBe(1);

    // Another browser, later (its first requests must not repeat the first one's signatures).
    t.setNow(now + 60_000);
    const target = createMemoryStorage().records;
    const restoring = backupsOf(target);
    const [listed] = await restoring.listBackups(RK);
    expect(listed).toMatchObject({ seq: 1, createdAt: now, latest: true });
    expect(await restoring.restoreBackup(RK, 1)).toEqual({ seq: 1, createdAt: now });
    const restored = await snapshotOf(target, now);
    expect(restored.length).toBeGreaterThan(1000);
    expect(restored).toEqual(await snapshotOf(source, now));
    // Never carried: the account record (identity and device keys) and sessions.
    expect(await target.get(Keys.account)).toBeUndefined();
  });
});

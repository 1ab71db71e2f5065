/**
 * Exercises the worker's storage layer (vault + IndexedDB ClientStorage +
 * locked inbox) inside a real Chromium extension page: real IndexedDB, real
 * WebCrypto, real structured clone of CryptoKeys. The E2E test bundles this
 * file (esbuild, IIFE), evaluates it in an extension page and asserts on what
 * `runStorageChecks` returns. Test-only: never part of the extension build.
 *
 * Runs in: an extension page (bundled by the E2E test).
 */
import { fromHex, fromUtf8, toHex, utf8 } from '../../shared/bytes.ts';
import { Keys } from '../../shared/client/store/storage-keys.ts';
import { systemRandom } from '../../shared/crypto/random.ts';
import { ParleyError } from '../../shared/errors.ts';
import {
  createIdbStorage,
  createInboxQueue,
  createMetaStore,
  openParleyDb,
} from '../entrypoints/background/idb-store.ts';
import { LockedInbox } from '../entrypoints/background/locked-inbox.ts';
import { sealRecord } from '../entrypoints/background/record-seal.ts';
import { Vault, vaultHeadersIn } from '../entrypoints/background/vault.ts';

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (e) {
    return e instanceof ParleyError ? e.code : e instanceof Error ? `${e.name}` : 'unknown';
  }
}

function keysOf(entries: ReadonlyArray<readonly [string, Uint8Array]>): string[] {
  return entries.map(([k]) => k);
}

export async function runStorageChecks(dbName: string) {
  const db = await openParleyDb(dbName);
  const meta = createMetaStore(db);
  const vault = new Vault({
    headers: vaultHeadersIn(meta),
    random: systemRandom,
    now: () => Date.now(),
  });
  const prfOutput = systemRandom(32);
  const credentialId = 'ZTJlLWNyZWRlbnRpYWwtaWQ';
  await vault.create({ method: 'prf', credentialId, prfSalt: systemRandom(32), prfOutput });

  // A profile from before opaque keys: records under their logical keys.
  const BOB = '0b0b0b0b-0000-4000-8000-00000000000b';
  const CAROL = '0c0c0c0c-0000-4000-8000-00000000000c';
  const GROUP = 'c0ffee00c0ffee00c0ffee00c0ffee00';
  const legacyKey = Keys.contact(CAROL);
  await db.put(
    'records',
    await sealRecord(vault.key(), legacyKey, utf8('carol, from before'), systemRandom),
    legacyKey,
  );

  const storage = createIdbStorage({ db, vaultKey: () => vault.key(), random: systemRandom });
  const { records, keys } = storage;
  const migrated = await records.get(legacyKey);

  // What the client core writes for one conversation and one group: the
  // keys name users, groups and times; what reaches the disk must not.
  const t0 = Date.now();
  const stamps = [t0 - 3_000, t0 - 2_000, t0 - 1_000];
  const ids = ['11', '22', '33'].map((b) => b.repeat(16));
  const msgKeys = stamps.map((s, i) => Keys.message(`u:${BOB}`, s, fromHex(ids[i] ?? '')));
  const dueAt = t0 - 120_000; // its expiry bucket has ended
  const laterAt = t0 + 600_000;
  const dueIndex = Keys.expiry(dueAt, BOB, msgKeys[0] ?? '');
  const laterIndex = Keys.expiry(laterAt, BOB, msgKeys[1] ?? '');
  const receiptIndex = Keys.messageIndex(BOB, fromHex(ids[0] ?? ''));
  await records.write([
    { op: 'set', key: Keys.contact(BOB), value: utf8('bob') },
    { op: 'set', key: Keys.conversation(`u:${BOB}`), value: utf8('chat') },
    { op: 'set', key: Keys.conversation(`g:${GROUP}`), value: utf8('group') },
    { op: 'set', key: Keys.groupKey(GROUP, BOB, 7), value: utf8('sender key') },
    ...msgKeys.map((key, i) => ({ op: 'set' as const, key, value: utf8(`m${i}`) })),
    { op: 'set', key: receiptIndex, value: utf8('idx') },
    { op: 'set', key: dueIndex, value: new Uint8Array(0) },
    { op: 'set', key: laterIndex, value: new Uint8Array(0) },
  ]);
  // Enough messages in a second chat that the first list after unlock reads
  // the range in bulk (idb-store.ts BULK_READ_FROM).
  const longChat = `u:${CAROL}`;
  const longKeys = Array.from({ length: 80 }, (_, i) =>
    Keys.message(longChat, t0 - 100_000 + i * 7, fromHex(i.toString(16).padStart(32, '0'))),
  );
  await records.write(longKeys.map((key) => ({ op: 'set' as const, key, value: utf8(key) })));
  const storedKeys = (await db.getAllKeys('records')).map(String);
  const needles = [BOB, CAROL, GROUP, ...stamps.map(String), String(dueAt), String(laterAt)];
  const opaque = {
    leaks: storedKeys.filter((k) => needles.some((n) => k.includes(n))),
    // Whole segments only: opaque segments are random base64url, and a
    // substring test matched 'kTdBOB…' by chance once in a few dozen runs.
    handles: storedKeys.filter((k) => k.split('/').some((seg) => /^(bob|carol)$/i.test(seg))),
    messagesInOrder: (await records.list(Keys.messagesOf(`u:${BOB}`))).map(([k]) => k),
    newestFirst: (await records.list(Keys.messagesOf(`u:${BOB}`), { reverse: true, limit: 2 })).map(
      ([k]) => k,
    ),
    expiryInOrder: (await records.list(Keys.expiries)).map(([k]) => k),
  };

  const secret = 'attack at dawn — plaintext marker 7f3a';
  await records.write([
    { op: 'set', key: 'a', value: utf8(secret) },
    ...[1, 2, 3, 4, 5].map((i) => ({ op: 'set' as const, key: `b/${i}`, value: utf8(`b${i}`) })),
    { op: 'set', key: 'c', value: utf8('c') },
    { op: 'set', key: 'gone', value: utf8('x') },
  ]);
  await records.write([
    { op: 'delete', key: 'gone' },
    { op: 'set', key: 'c', value: utf8('c2') },
  ]);

  const got = await records.get('a');
  const lists = {
    all: keysOf(await records.list('b/')),
    after: keysOf(await records.list('b/', { after: 'b/2' })),
    reverseLimit: keysOf(await records.list('b/', { reverse: true, limit: 2 })),
    reverseAfter: keysOf(await records.list('b/', { reverse: true, after: 'b/3' })),
    limitZero: keysOf(await records.list('b/', { limit: 0 })),
    values: (await records.list('b/', { limit: 2 })).map(([, v]) => fromUtf8(v)),
  };
  const deleted = await records.get('gone');

  // A paged walk (as an export runs it) with a write between its pages: the
  // kept order must not outlive the write (sorted-rows-cache.ts).
  const walkKey = (i: number) => `w/${String(i).padStart(3, '0')}`;
  await records.write(
    Array.from({ length: 300 }, (_, i) => {
      const n = (i * 7) % 300; // written out of order
      return { op: 'set' as const, key: walkKey(n), value: utf8(`w${n}`) };
    }),
  );
  const walked: string[] = [];
  const walkedValues: string[] = [];
  let walkAfter: string | undefined;
  for (let page = 0; page < 50; page++) {
    const rows = await records.list('w/', {
      limit: 40,
      ...(walkAfter ? { after: walkAfter } : {}),
    });
    walked.push(...keysOf(rows));
    walkedValues.push(...rows.map(([, v]) => fromUtf8(v)));
    if (page === 1)
      await records.write([
        { op: 'set', key: 'w/299a', value: utf8('new') },
        { op: 'delete', key: walkKey(150) },
      ]);
    if (rows.length < 40) break;
    walkAfter = walked[walked.length - 1];
  }
  const walk = {
    keys: walked,
    valuesMatch: walked.every(
      (k, i) => walkedValues[i] === (k === 'w/299a' ? 'new' : `w${Number(k.slice(2))}`),
    ),
    reverse: keysOf(await records.list('w/', { reverse: true, limit: 3 })),
  };
  const overwritten = await records.get('c');

  // What is actually on disk: the raw IndexedDB value of 'a' (a key
  // without "/" names nothing and is stored as it is).
  const rawA = await db.get('records', 'a');
  const rawHex = rawA === undefined ? '' : toHex(rawA);
  const plaintextOnDisk = rawHex.includes(toHex(utf8('plaintext marker')));

  // A sealed entry moved to another key must not open (its key part and its
  // value are both bound to where they belong).
  const bKeys = (await db.getAllKeys('records')).map(String);
  const [b1, b2] = bKeys.filter((k) => k.startsWith('b/'));
  const rawB1 = b1 === undefined ? undefined : await db.get('records', b1);
  if (rawB1 !== undefined && b2 !== undefined) await db.put('records', rawB1, b2);
  const swapped = await codeOf(() => records.list('b/'));

  // CryptoKey slot: a non-extractable signing key survives the round trip, still usable.
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  await keys.setKey('device', pair.privateKey);
  const storedKey = await keys.getKey('device');
  const signature =
    storedKey === undefined
      ? null
      : new Uint8Array(await crypto.subtle.sign('Ed25519', storedKey, utf8('hello')));
  const signatureValid =
    signature !== null &&
    (await crypto.subtle.verify('Ed25519', pair.publicKey, signature, utf8('hello')));

  // Locked inbox: frames queued while locked, sealed at rest, drained in order after unlock.
  const inbox = new LockedInbox({ queue: createInboxQueue(db), meta, records });
  await inbox.ensureKeys();

  vault.lock();
  const whileLocked = {
    get: await codeOf(() => records.get('a')),
    list: await codeOf(() => records.list('b/')),
    write: await codeOf(() => records.write([{ op: 'set', key: 'z', value: utf8('z') }])),
    keyStillThere: (await keys.getKey('device')) !== undefined,
    state: await vault.state(),
    // Nothing about the expiry index is readable, not even its keys...
    listExpiry: await codeOf(() => records.list(Keys.expiries)),
    deleteOnly: await codeOf(() => records.write([{ op: 'delete', key: dueIndex }])),
    // ...but the sweep deletes what is due by bucket, and knows when the next bucket ends.
    swept: await storage.records.sweepLocked(Date.now()),
    nextSweepAfterLater: ((await storage.records.nextLockedSweep()) ?? 0) >= laterAt,
  };
  const frames = ['frame one: hello', 'frame two', 'frame three'];
  for (const f of frames) await inbox.put(utf8(f));
  const rawInbox = await db.getAll('inbox');
  const inboxPlaintextOnDisk = rawInbox.some((v) => toHex(v).includes(toHex(utf8('frame'))));
  const wrongUnlock = await codeOf(() =>
    vault.unlock({ method: 'prf', credentialId, prfOutput: systemRandom(32) }),
  );
  const otherCredential = await codeOf(() =>
    vault.unlock({ method: 'prf', credentialId: 'b3RoZXItY3JlZGVudGlhbA', prfOutput }),
  );
  const passphraseOnPrfVault = await codeOf(() =>
    vault.unlock({ method: 'passphrase', passphrase: 'x' }),
  );

  await vault.unlock({ method: 'prf', credentialId, prfOutput });
  const afterUnlock = await records.get('a');
  const afterSweep = {
    messages: (await records.list(Keys.messagesOf(`u:${BOB}`))).map(([k]) => k),
    receiptIndex: (await records.get(receiptIndex)) === undefined,
    expiry: (await records.list(Keys.expiries)).map(([k]) => k),
    // First list of that prefix with this vault key: every name is unknown.
    longInOrder: (await records.list(Keys.messagesOf(longChat), { reverse: true }))
      .map(([k, v]) => (fromUtf8(v) === k ? k : `mismatch ${k}`))
      .reverse(),
  };
  const drained: string[] = [];
  const drainedCount = await inbox.drain(async (frame) => {
    drained.push(fromUtf8(frame));
  });

  const result = {
    roundTrip: got === undefined ? null : fromUtf8(got),
    lists,
    walk,
    deleted: deleted === undefined,
    overwritten: overwritten === undefined ? null : fromUtf8(overwritten),
    formatByte: rawA?.[0] ?? -1,
    rawLength: rawA?.length ?? -1,
    plaintextOnDisk,
    swapped,
    signatureValid,
    whileLocked,
    inboxQueued: rawInbox.length,
    inboxPlaintextOnDisk,
    wrongUnlock,
    otherCredential,
    passphraseOnPrfVault,
    afterUnlock: afterUnlock === undefined ? null : fromUtf8(afterUnlock),
    migrated: migrated === undefined ? null : fromUtf8(migrated),
    opaque,
    expected: { msgKeys, dueIndex, laterIndex, longKeys },
    afterSweep,
    drained,
    drainedCount,
    inboxLeft: await inbox.count(),
  };
  db.close();
  await new Promise<void>((resolvePromise) => {
    const request = indexedDB.deleteDatabase(dbName);
    request.onsuccess = () => resolvePromise();
    request.onerror = () => resolvePromise();
  });
  return result;
}

export type StorageCheckResult = Awaited<ReturnType<typeof runStorageChecks>>;

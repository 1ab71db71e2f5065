/**
 * Exercises the worker's storage layer (vault + IndexedDB ClientStorage +
 * locked inbox) inside a real Chromium extension page: real IndexedDB, real
 * WebCrypto, real structured clone of CryptoKeys. The E2E test bundles this
 * file (esbuild, IIFE), evaluates it in an extension page and asserts on what
 * `runStorageChecks` returns. Test-only: never part of the extension build.
 *
 * Runs in: an extension page (bundled by the E2E test).
 */
import { fromUtf8, toHex, utf8 } from '../../shared/bytes.ts';
import { systemRandom } from '../../shared/crypto/random.ts';
import { ParleyError } from '../../shared/errors.ts';
import {
  createIdbStorage,
  createInboxQueue,
  createMetaStore,
  openParleyDb,
} from '../entrypoints/background/idb-store.ts';
import { LockedInbox } from '../entrypoints/background/locked-inbox.ts';
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
  const storage = createIdbStorage({
    db,
    vaultKey: () => vault.key(),
    random: systemRandom,
    keysWhileLocked: ['x/'],
  });
  const { records, keys } = storage;

  const secret = 'attack at dawn — plaintext marker 7f3a';
  await records.write([
    { op: 'set', key: 'a', value: utf8(secret) },
    ...[1, 2, 3, 4, 5].map((i) => ({ op: 'set' as const, key: `b/${i}`, value: utf8(`b${i}`) })),
    { op: 'set', key: 'c', value: utf8('c') },
    { op: 'set', key: 'gone', value: utf8('x') },
    { op: 'set', key: 'x/1', value: utf8('index one') },
    { op: 'set', key: 'x/2', value: utf8('index two') },
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
  const overwritten = await records.get('c');

  // What is actually on disk: the raw IndexedDB value of 'a'.
  const rawA = await db.get('records', 'a');
  const rawHex = rawA === undefined ? '' : toHex(rawA);
  const plaintextOnDisk = rawHex.includes(toHex(utf8('plaintext marker')));

  // A sealed value moved to another key must not open (AAD = record key).
  const rawB1 = await db.get('records', 'b/1');
  if (rawB1 !== undefined) await db.put('records', rawB1, 'b/2');
  const swapped = await codeOf(() => records.get('b/2'));

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
    // The disappearing-message sweep: keys under an allowed prefix, values still sealed...
    listedKeys: (await records.list('x/')).map(([k, v]) => `${k}:${v.length}`),
    // ...a write that sets anything is refused as a whole (x/2 stays)...
    mixedWrite: await codeOf(() =>
      records.write([
        { op: 'delete', key: 'x/2' },
        { op: 'set', key: 'x/3', value: utf8('no') },
      ]),
    ),
    // ...and a write that only deletes goes through.
    deleteOnly: await codeOf(() => records.write([{ op: 'delete', key: 'x/1' }])),
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
  const indexAfterUnlock = (await records.list('x/')).map(([k, v]) => `${k}=${fromUtf8(v)}`);
  const drained: string[] = [];
  const drainedCount = await inbox.drain(async (frame) => {
    drained.push(fromUtf8(frame));
  });

  const result = {
    roundTrip: got === undefined ? null : fromUtf8(got),
    lists,
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
    indexAfterUnlock,
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

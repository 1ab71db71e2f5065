// The client core under Deno (the relay's runtime and a stand-in for other
// non-Node hosts): an encrypted message from a local account through the
// inbox into the message store, and a client that connects, answers the
// relay's challenge with its device key and goes online, over a fake socket.
import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import { systemRandom } from '../crypto/random.ts';
import { createOutgoingSession, encryptMessage } from '../crypto/session.ts';
import { decodeClientFrame, encodeServerFrame } from '../wire/codec.ts';
import type { ClientFrame } from '../wire/frames.ts';
import { createClient } from './client.ts';
import { listMessagePage } from './conversations/messages.ts';
import { processDelivery } from './inbox/inbox.ts';
import type { Transport, TransportHandlers } from './relay/websocket-transport.ts';
import { encodeContent } from './sessions/content.ts';
import { Batch } from './store/batch.ts';
import { StampClock } from './store/stamps.ts';
import { createMemoryStorage } from './store/store.ts';
import { localAccount, offlineSessionContext } from './testing/local-account.ts';

const ALICE = '0a0a0a0a-0000-4000-8000-00000000000a';
const BOB = '0b0b0b0b-0000-4000-8000-00000000000b';
const deps = { random: systemRandom, now: () => Date.now() };

Deno.test('client core under Deno: decrypt, dedupe and store an incoming message', async () => {
  const bobStore = createMemoryStorage();
  const bob = await localAccount(bobStore.records, BOB, 2);
  const alice = await localAccount(createMemoryStorage().records, ALICE, 1);
  const session = await createOutgoingSession(deps, alice.account.identity, bob.bundle);
  const id = systemRandom(16);
  const content = encodeContent({ v: 1, t: 'text', id, to: { u: BOB }, sentAt: 1, text: 'hej' });
  const { ciphertext } = await encryptMessage(deps, session, content);
  const ctx = {
    sessions: offlineSessionContext(bob.account),
    stamps: new StampClock(() => Date.now()),
    verifyHandle: async () => undefined,
  };
  const frame = {
    t: 'deliver',
    qid: 1,
    id,
    from: ALICE,
    fromDevice: 1,
    body: ciphertext,
    sentAt: 1,
  } as const;
  strictEqual((await processDelivery(ctx, new Batch(bobStore.records), frame)).ack, true);
  deepStrictEqual((await processDelivery(ctx, new Batch(bobStore.records), frame)).effects, []);
  const page = await listMessagePage(bobStore.records, `u:${ALICE}`, { limit: 10 });
  deepStrictEqual(
    page.messages.map((m) => m.text),
    ['hej'],
  );
});

Deno.test('client core under Deno: connects and authenticates with the device key', async () => {
  const sent: ClientFrame[] = [];
  let handlers: TransportHandlers | undefined;
  const transport: Transport = (url, h) => {
    strictEqual(url, 'ws://relay.test:8787/v1/ws');
    handlers = h;
    return { send: (data) => sent.push(decodeClientFrame(data)), close: () => {} };
  };
  const storage = createMemoryStorage();
  await storage.keys.setKey('device-key', (await generateSigningKeyPair(false)).privateKey);
  const client = createClient({
    storage,
    transport,
    fetch: () => Promise.reject(new Error('offline')),
    timers: {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
    },
    now: () => Date.now(),
    random: systemRandom,
    locked: { isLocked: () => true, put: async () => 'stored' },
  });
  await client.start({ address: { relayUrl: 'http://relay.test:8787', userId: BOB, deviceId: 2 } });
  handlers?.onMessage(
    encodeServerFrame({ t: 'challenge', nonce: new Uint8Array(32), serverTime: 1 }),
  );
  for (let i = 0; i < 50 && sent.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  ok(sent[0]?.t === 'auth' && sent[0].user === BOB && sent[0].device === 2);
  handlers?.onMessage(
    encodeServerFrame({ t: 'ready', user: BOB, device: 2, queued: 0, oneTimePreKeys: 50 }),
  );
  strictEqual(client.status().state, 'online');
  await client.stop(); // clears every timer it set (Deno's leak check would fail otherwise)
});

// Deliveries while the extension is locked (docs/extension.md, "The messaging
// core in the worker"): a frame the locked inbox stored is acked; one it
// refused ('full') is left un-acked on the relay, and after unlock
// `redeliverSkipped` opens a new socket so the relay sends it again. Over a
// fake socket: the client core alone.
import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../../crypto/ed25519.ts';
import { systemRandom } from '../../crypto/random.ts';
import { decodeClientFrame, encodeServerFrame } from '../../wire/codec.ts';
import type { ClientFrame } from '../../wire/frames.ts';
import { createClient } from '../client.ts';
import type { Transport, TransportHandlers } from '../relay/websocket-transport.ts';
import { createMemoryStorage } from '../store/store.ts';

const BOB = '0b0b0b0b-0000-4000-8000-00000000000b';
const ALICE = '0a0a0a0a-0000-4000-8000-00000000000a';

const tick = () => new Promise((r) => setTimeout(r, 5));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await tick();
  expect(check()).toBe(true);
}

describe('deliveries while locked', () => {
  it('acks what the locked inbox stored, leaves what it refused on the relay, and asks again after unlock', async () => {
    const sent: ClientFrame[] = [];
    const sockets: TransportHandlers[] = [];
    const transport: Transport = (_url, h) => {
      sockets.push(h);
      return { send: (data) => sent.push(decodeClientFrame(data)), close: () => {} };
    };
    const storage = createMemoryStorage();
    await storage.keys.setKey('device-key', (await generateSigningKeyPair(false)).privateKey);
    let locked = true;
    const stored: number[] = [];
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
      locked: {
        isLocked: () => locked,
        // Room for two frames: the third and later are refused.
        put: async () => {
          if (stored.length >= 2) return 'full';
          stored.push(stored.length);
          return 'stored';
        },
      },
    });
    await client.start({
      address: { relayUrl: 'http://relay.test:8787', userId: BOB, deviceId: 2 },
    });
    const socket = sockets[0];
    if (socket === undefined) throw new Error('no socket');
    socket.onMessage(
      encodeServerFrame({ t: 'challenge', nonce: new Uint8Array(32), serverTime: 1 }),
    );
    await until(() => sent.some((f) => f.t === 'auth'));
    socket.onMessage(
      encodeServerFrame({ t: 'ready', user: BOB, device: 2, queued: 4, oneTimePreKeys: 50 }),
    );
    for (const qid of [1, 2, 3, 4]) {
      socket.onMessage(
        encodeServerFrame({
          t: 'deliver',
          qid,
          id: new Uint8Array(16).fill(qid),
          from: ALICE,
          fromDevice: 1,
          body: new Uint8Array([qid]),
          sentAt: 1000 + qid,
        }),
      );
    }
    await client.idle();
    await until(() => stored.length === 2);
    await tick();
    const acked = sent.flatMap((f) => (f.t === 'ack' ? f.qids : []));
    expect(acked).toEqual([1, 2]);
    // A locked client writes nothing to others: `auth` (no unlock proof, it has no identity
    // key) and acks are all its socket carries, which the relay's receive-only rights allow.
    expect([...new Set(sent.map((f) => f.t))]).toEqual(['auth', 'ack']);

    // Still locked: nothing to ask for yet.
    client.redeliverSkipped();
    expect(sockets).toHaveLength(1);
    locked = false;
    client.redeliverSkipped();
    await until(() => sockets.length === 2);
    // Only once per refusal.
    client.redeliverSkipped();
    await tick();
    expect(sockets).toHaveLength(2);
    await client.stop();
  });
});

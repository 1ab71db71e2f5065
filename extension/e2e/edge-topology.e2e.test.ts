/**
 * The production topology, end to end in real Chromium: two relay instances
 * started with an edge isolate's permissions (--deny-ffi, no writes, network
 * only to the database, Upstash and their own port), one database reached
 * over Hrana (edge/testing/hrana-server.ts in front of a real SQLite file,
 * 5 ms per round trip), fan-out and limits in Upstash (the REST test endpoint
 * in front of a real redis-server). Alice's profile uses one instance, Bob's
 * the other, so every message crosses instances through Upstash, and both
 * accounts live in the one remote database.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../edge/testing/redis-server.ts';
import { RelayProcess } from '../../edge/testing/relay-process.ts';
import { startTestDatabase, type TestDatabase } from '../../edge/testing/test-database.ts';
import {
  startUpstashRestServer,
  type UpstashRestServer,
} from '../../edge/testing/upstash-rest-server.ts';
import { errorsOf, launchBrowser, openPage, type ParleyBrowser } from './fixture.ts';
import { bubble, eventually, onboard, openConversation, send, stateOf, WAIT_MS } from './steps.ts';

let database: TestDatabase;
let redis: RedisServer;
let upstash: UpstashRestServer;
const relays: RelayProcess[] = [];
const dirs: string[] = [];
let alice: ParleyBrowser;
let bob: ParleyBrowser;

async function launch(): Promise<ParleyBrowser> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-e2e-edge-'));
  dirs.push(dir);
  const b = await launchBrowser({ userDataDir: dir });
  b.context.setDefaultTimeout(WAIT_MS);
  return b;
}

beforeAll(async () => {
  database = await startTestDatabase('hrana', { delayMs: 5 });
  redis = await startRedisServer();
  upstash = await startUpstashRestServer(redis.url);
  const allowNet = [database.endpoint ?? '', new URL(upstash.url).host];
  for (const id of ['edge-a', 'edge-b']) {
    relays.push(
      await RelayProcess.start({
        libsqlUrl: database.relayOptions.libsqlUrl ?? '',
        edgeSandbox: { allowNet },
        env: {
          UPSTASH_REDIS_REST_URL: upstash.url,
          UPSTASH_REDIS_REST_TOKEN: upstash.token,
          TOKEN_SECRET: 'one secret for every instance, at least 32 bytes long',
          FANOUT_POLL_SECONDS: '3600',
          INSTANCE_ID: id,
        },
      }),
    );
  }
  [alice, bob] = await Promise.all([launch(), launch()]);
});

afterAll(async () => {
  await Promise.allSettled([alice?.close(), bob?.close()]);
  for (const r of relays) await r.dispose();
  await upstash?.close();
  await redis?.stop();
  await database?.dispose();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('Parley on the edge topology: two sandboxed relays, Hrana database, Upstash fan-out', () => {
  it('Alice (instance A) and Bob (instance B) chat both ways, delivered and read', async () => {
    const [a, b] = relays as [RelayProcess, RelayProcess];
    const aliceTab = await onboard(alice, a.url, 'alice');
    const bobTab = await onboard(bob, b.url, 'bob');
    const popup = await openPage(alice, 'popup', aliceTab);
    const panel = await openPage(bob, 'sidepanel', bobTab);
    await panel.getByRole('heading', { name: 'No conversations yet' }).waitFor();
    await popup.getByRole('button', { name: 'Start a chat' }).first().click();
    await popup.getByPlaceholder('handle').fill('bob');
    await popup.getByRole('button', { name: 'Chat', exact: true }).click();
    await popup.getByRole('log', { name: 'Messages with bob' }).waitFor();

    const hello = 'Hello Bob, this crossed two edge instances.';
    await send(popup, hello);
    await eventually(() => stateOf(popup, hello)).toBe('Stored on relay');
    const entry = panel
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: /^alice, 1 unread/ });
    await entry.waitFor();
    await openConversation(panel, 'alice');
    await bubble(panel, hello).waitFor();

    const reply = 'Got it through Upstash and the remote database.';
    await send(panel, reply);
    await bubble(popup, reply).waitFor();
    const seen = 'And the read receipt crosses back?';
    await send(popup, seen);
    await eventually(() => stateOf(popup, seen)).toBe('Read');
    expect(errorsOf(alice, popup)).toEqual([]);
    expect(errorsOf(bob, panel)).toEqual([]);

    // Only ciphertext reached the remote database (its file and write-ahead log).
    const files = [database.path, `${database.path}-wal`].map((p) => {
      try {
        return readFileSync(p);
      } catch {
        return Buffer.alloc(0);
      }
    });
    for (const text of [hello, reply, seen])
      expect(files.some((bytes) => bytes.includes(Buffer.from(text)))).toBe(false);
    for (const r of relays)
      expect(r.output.find((l) => l.includes('relay.listening'))).toContain('"database":"remote"');
  });
});

/**
 * The new browser's history download after its worker was stopped
 * (docs/extension.md, "Linked devices"): the offer kept in the client's
 * records is resumed on the next worker start or unlock. A fake client core
 * and a fake relay answering chunk GETs (a pure unit test; the real relay
 * runs in shared/client/linking-resume.process.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createSha256Stream } from '../../../shared/attachments/digest.ts';
import type { FetchLike } from '../../../shared/attachments/relay-http.ts';
import { concat, equalBytes } from '../../../shared/bytes.ts';
import type { ArchiveImportResult } from '../../../shared/client/archive/archive-api.ts';
import type { HistoryArchiveOffer } from '../../../shared/client/linking/history-offer.ts';
import { pendingHistoryIn } from '../../../shared/client/linking/pending-history.ts';
import type { ParleyClient } from '../../../shared/client/parley-client.ts';
import { createMemoryStorage } from '../../../shared/client/store/store.ts';
import { systemRandom } from '../../../shared/crypto/random.ts';
import type { LinkState } from '../../lib/protocol.ts';
import { fakeClient, manualClock } from '../../testing/fakes.ts';
import { LinkJobs } from './link-jobs.ts';
import { UserVerification } from './user-verification.ts';

const RELAY = 'https://relay.test';
const CHUNK = 1000;

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  const hash = await createSha256Stream();
  hash.update(bytes);
  return hash.digest();
}

/** A transfer blob on a fake relay: chunk GETs answer until `gone`. */
function fakeRelay(blob: Uint8Array) {
  const relay = { gone: false, offline: false, gets: 0 };
  const fetch: FetchLike = async (url, init) => {
    relay.gets++;
    if (relay.offline) throw new TypeError('network down');
    const match = /\/v1\/attachments\/([^/]+)\/chunks\/(\d+)$/.exec(url);
    if (match === null || (init?.method ?? 'GET') !== 'GET' || relay.gone)
      return new Response(null, { status: 404 });
    const at = Number(match[2]) * CHUNK;
    return new Response(blob.slice(at, at + CHUNK));
  };
  return { relay, fetch };
}

async function setup() {
  const blob = systemRandom(2500);
  const offer: HistoryArchiveOffer = {
    id: 'AAAAAAAAAAAAAAAAAAAAAA',
    root: systemRandom(32),
    digest: await sha256(blob),
    size: blob.length,
  };
  const records = createMemoryStorage().records;
  const pendingTransfer = pendingHistoryIn(records);
  const imported: { bytes?: Uint8Array; root?: Uint8Array } = {};
  const acks: string[] = [];
  const client = fakeClient({
    account: () => ({ userId: 'u_alice', handle: 'alice', deviceId: 2, relayUrl: RELAY }),
    archive: {
      pendingTransfer,
      export: () => {
        throw new Error('not expected');
      },
      import: async (source, root) => {
        const parts: Uint8Array[] = [];
        for await (const part of source) parts.push(part);
        imported.bytes = concat(...parts);
        imported.root = root.slice();
        return { written: 9, skipped: 1 } as unknown as ArchiveImportResult;
      },
    },
    deleteAttachment: async (id) => {
      acks.push(id);
    },
  } satisfies Partial<ParleyClient>);
  const { relay, fetch } = fakeRelay(blob);
  const states: LinkState[] = [];
  const clock = manualClock();
  const jobs: LinkJobs = new LinkJobs({
    fetch: async () => {
      throw new Error('no rendezvous in this test');
    },
    blobFetch: fetch,
    // Retries of a failed chunk come at once.
    timers: { setTimeout: (f) => setTimeout(f, 0), clearTimeout: () => {} },
    now: clock.now,
    random: systemRandom,
    client,
    verification: new UserVerification(clock.now),
    changed: () => states.push(jobs.state()),
  });
  return { blob, offer, pendingTransfer, imported, acks, relay, jobs, states };
}

describe('LinkJobs.resumeHistory (a worker stopped mid-download)', () => {
  it('downloads the kept offer again, imports it, ACKs the blob and forgets the offer', async () => {
    const { blob, offer, pendingTransfer, imported, acks, jobs, states } = await setup();
    await pendingTransfer.set(offer);
    await jobs.resumeHistory();
    expect(equalBytes(imported.bytes ?? new Uint8Array(), blob)).toBe(true);
    expect(equalBytes(imported.root ?? new Uint8Array(), offer.root)).toBe(true);
    expect(acks).toEqual([offer.id]);
    expect(await pendingTransfer.get()).toBeUndefined();
    expect(states[0]).toMatchObject({ role: 'new', phase: 'history' });
    expect(states.some((s) => s.historyPercent === 100)).toBe(true);
    expect(jobs.state()).toEqual({
      role: 'new',
      phase: 'done',
      strikes: 0,
      historyPercent: 100,
      handle: 'alice',
    });
  });

  it('a blob past its hour: linked without history, said plainly, offer forgotten', async () => {
    const { offer, pendingTransfer, imported, acks, relay, jobs } = await setup();
    await pendingTransfer.set(offer);
    relay.gone = true;
    await jobs.resumeHistory();
    expect(imported.bytes).toBeUndefined();
    expect(acks).toEqual([]);
    expect(await pendingTransfer.get()).toBeUndefined();
    expect(jobs.state()).toMatchObject({
      role: 'new',
      phase: 'done',
      handle: 'alice',
      historyMissing: 'expired',
    });
  });

  it('offline: back to idle, the offer kept for the next start', async () => {
    const { offer, pendingTransfer, imported, relay, jobs } = await setup();
    await pendingTransfer.set(offer);
    relay.offline = true;
    await jobs.resumeHistory();
    expect(imported.bytes).toBeUndefined();
    expect(jobs.state()).toEqual({ role: 'none', phase: 'idle', strikes: 0 });
    expect((await pendingTransfer.get())?.id).toBe(offer.id);
    relay.offline = false;
    await jobs.resumeHistory();
    expect(jobs.state()).toMatchObject({ phase: 'done' });
    expect(await pendingTransfer.get()).toBeUndefined();
  });

  it('nothing pending: no request, the state stays idle', async () => {
    const { relay, jobs, states } = await setup();
    await jobs.resumeHistory();
    expect(relay.gets).toBe(0);
    expect(states).toEqual([]);
    expect(jobs.state()).toEqual({ role: 'none', phase: 'idle', strikes: 0 });
  });
});

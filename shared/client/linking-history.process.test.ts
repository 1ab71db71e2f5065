/**
 * The history transfer of linking (docs/protocol.md, "History transfer")
 * through the REAL relay process: the existing device uploads the archive
 * as a transfer blob after the new device registered, the new device
 * downloads it, checks it against the sealed offer, hands it to its importer
 * and ACKs it (the blob is gone: threat L8); without a sender no blob is made; a
 * blob altered on the relay (threat L7, the relay as adversary) fails with
 * ARCHIVE_DAMAGED and nothing is imported; an interrupted download resumes
 * from the kept offer. The archive bytes are opaque to the transfer, so an
 * opaque stand-in archive is used here; linking-history-archive.process.test.ts
 * runs the real archive (threat L6, "no history").
 */
import { createClient as createDbClient } from '@libsql/client';
import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../attachments/relay-http.ts';
import { concat, equalBytes } from '../bytes.ts';
import { systemRandom } from '../crypto/random.ts';
import { ErrorCode, ParleyError } from '../errors.ts';
import type { ParleyClient } from './client.ts';
import { createClient } from './client.ts';
import { approveLink, type ExistingDeviceLinkOptions } from './linking/existing-device.ts';
import type { HistoryArchiveOffer } from './linking/history-offer.ts';
import {
  type HistoryReceiver,
  type HistorySender,
  receiveHistory,
} from './linking/history-transfer.ts';
import type { NewDeviceLinkOptions, NewDeviceProgress } from './linking/new-device.ts';
import { nodeClientDeps, type TestUser } from './testing/harness.ts';
import { existingLinkSide, linkTiming, newLinkSide } from './testing/link-sides.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

const relay = useRelayProcess();

/** Chunk requests of the blob (shared/attachments/relay-http.ts takes a plain fetch). */
const blobFetch: FetchLike = (url, init) => fetch(url, init);

const user = (name: string): Promise<TestUser> => relay.newUser(name);

const common = linkTiming;

/** Reads and writes the relay's database file (WAL mode: a second connection is safe). */
async function sql(statement: string, args: (string | number | Uint8Array)[] = []) {
  const db = createDbClient({ url: `file:${relay.process.dbPath}`, intMode: 'number' });
  try {
    return (await db.execute({ sql: statement, args })).rows;
  } finally {
    db.close();
  }
}

/** A stand-in archive: opaque bytes that remember the root key they were made for. */
function standInArchive(size: number) {
  const body = systemRandom(size);
  const exported: { root?: Uint8Array } = {};
  async function* exportArchive(root: Uint8Array): AsyncGenerator<Uint8Array> {
    exported.root = root.slice();
    for (let at = 0; at < body.length; at += 300_000) yield body.slice(at, at + 300_000);
  }
  return { body, exported, exportArchive };
}

function sender(owner: TestUser, exportArchive: HistorySender['exportArchive']): HistorySender {
  return {
    exportArchive,
    createUpload: (size) => owner.client.createAttachmentUpload(size, 'transfer'),
    fetch: blobFetch,
  };
}

interface Imported {
  bytes?: Uint8Array;
  root?: Uint8Array;
}

function receiver(client: ParleyClient, imported: Imported, fetch = blobFetch): HistoryReceiver {
  return {
    importArchive: async (source, root) => {
      const parts: Uint8Array[] = [];
      for await (const part of source) parts.push(part);
      imported.bytes = concat(...parts);
      imported.root = root.slice();
      return { records: 7 };
    },
    acknowledge: (id) => client.deleteAttachment(id),
    fetch,
  };
}

const newSide = (client: ParleyClient, overrides: Partial<NewDeviceLinkOptions> = {}) =>
  newLinkSide(relay.url, client, 'history test device', overrides);

const existingSide = (
  owner: TestUser,
  code: string,
  overrides: Partial<ExistingDeviceLinkOptions> = {},
): ExistingDeviceLinkOptions => existingLinkSide(relay.url, owner, code, overrides);

async function transferBlobs(): Promise<number> {
  const rows = await sql("SELECT COUNT(*) AS n FROM attachments WHERE purpose = 'transfer'");
  return Number(rows[0]?.n);
}

describe('history transfer while linking (real relay)', () => {
  it('carries the archive to the new device before it starts; the blob is gone after the ACK', async () => {
    const alice = await user('alice');
    const archive = standInArchive(2_500_000); // three relay chunks
    const client = createClient(nodeClientDeps());
    relay.track(client);
    const imported: Imported = {};
    const progress: NewDeviceProgress[] = [];
    const n = newSide(client, {
      historyReceiver: receiver(client, imported),
      onProgress: (p) => progress.push(p),
    });
    const { code } = await n.invitation;
    let offeredId = '';
    const approved = await approveLink(
      existingSide(alice, code ?? '', {
        historySender: {
          ...sender(alice, archive.exportArchive),
          createUpload: async (size) => {
            const created = await alice.client.createAttachmentUpload(size, 'transfer');
            offeredId = created.id;
            return created;
          },
        },
      }),
    );
    const linked = await n.done;
    expect(approved.history).toEqual({ sent: true, bytes: archive.body.length, messages: true });
    expect(linked.history).toEqual({
      imported: true,
      records: 7,
      skipped: 0,
      bytes: archive.body.length,
    });
    expect(equalBytes(imported.bytes ?? new Uint8Array(), archive.body)).toBe(true);
    expect(imported.root).toHaveLength(32);
    expect(
      equalBytes(imported.root ?? new Uint8Array(), archive.exported.root ?? new Uint8Array()),
    ).toBe(true);
    expect(progress[0]).toEqual({ phase: 'registering' });
    expect(progress.at(-1)).toEqual({ phase: 'done' });
    const last = progress.filter((p) => p.phase === 'history').at(-1);
    expect(last).toEqual({
      phase: 'history',
      doneBytes: archive.body.length,
      totalBytes: archive.body.length,
    });
    // ACKed: a second GET is 404, the rows are gone, and the rendezvous too.
    expect((await relay.process.http(`/v1/attachments/${offeredId}/chunks/0`)).status).toBe(404);
    expect(await transferBlobs()).toBe(0);
    expect((await relay.process.http(`/v1/link/locators/${code?.slice(0, 4)}`)).status).toBe(404);
  });

  it('without a history sender, nothing is uploaded and the new device is told so', async () => {
    const alice = await user('alice');
    const client = createClient(nodeClientDeps());
    relay.track(client);
    const imported: Imported = {};
    const n = newSide(client, { historyReceiver: receiver(client, imported) });
    const { code } = await n.invitation;
    const before = await transferBlobs();
    const approved = await approveLink(existingSide(alice, code ?? ''));
    const linked = await n.done;
    expect(approved.history).toEqual({ sent: false, reason: 'unsupported' });
    expect(linked.history).toEqual({ imported: false, reason: 'declined' });
    expect(imported.bytes).toBeUndefined();
    expect(await transferBlobs()).toBe(before);
  });

  it('a blob altered on the relay fails with ARCHIVE_DAMAGED and nothing is imported', async () => {
    const alice = await user('alice');
    const archive = standInArchive(5000);
    const client = createClient(nodeClientDeps());
    relay.track(client);
    const imported: Imported = {};
    let tampered = false;
    // The relay as adversary: flips one byte of the stored chunk before the new device reads it.
    const tamperingFetch: FetchLike = async (url, init) => {
      const match = /\/v1\/attachments\/([^/]+)\/chunks\/0$/.exec(url);
      if (match !== null && (init?.method ?? 'GET') === 'GET' && !tampered) {
        tampered = true;
        const rows = await sql(
          'SELECT data FROM attachment_chunks WHERE attachment_id = ? AND idx = 0',
          [match[1] as string],
        );
        const data = new Uint8Array(rows[0]?.data as ArrayBuffer);
        data[100] = (data[100] as number) ^ 0x01;
        await sql('UPDATE attachment_chunks SET data = ? WHERE attachment_id = ? AND idx = 0', [
          data,
          match[1] as string,
        ]);
      }
      return blobFetch(url, init);
    };
    const n = newSide(client, { historyReceiver: receiver(client, imported, tamperingFetch) });
    const { code } = await n.invitation;
    const failure = n.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    await approveLink(
      existingSide(alice, code ?? '', { historySender: sender(alice, archive.exportArchive) }),
    );
    const error = (await failure) as { code?: string } | undefined;
    expect(tampered).toBe(true);
    expect(error?.code).toBe('ARCHIVE_DAMAGED');
    expect(imported.bytes).toBeUndefined();
  });

  it('an interrupted download resumes from the kept offer (within the blob hour)', async () => {
    const alice = await user('alice');
    const archive = standInArchive(2_200_000);
    const client = createClient(nodeClientDeps());
    relay.track(client);
    const imported: Imported = {};
    let kept: HistoryArchiveOffer | undefined;
    let cut = false;
    // The process "stops" after the first chunk: the second chunk request never returns data.
    const stoppingFetch: FetchLike = async (url, init) => {
      if (!cut && /\/chunks\/1$/.test(url) && (init?.method ?? 'GET') === 'GET') {
        cut = true;
        throw new ParleyError(ErrorCode.CLIENT_STOPPED, 'worker stopped');
      }
      return blobFetch(url, init);
    };
    const remember = async (offer: HistoryArchiveOffer | undefined) => {
      kept = offer === undefined ? undefined : { ...offer, root: offer.root.slice() };
    };
    const first: HistoryReceiver = { ...receiver(client, imported, stoppingFetch), remember };
    const n = newSide(client, { historyReceiver: first });
    const { code } = await n.invitation;
    const failure = n.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    await approveLink(
      existingSide(alice, code ?? '', { historySender: sender(alice, archive.exportArchive) }),
    );
    expect(await failure).toBeDefined();
    expect(imported.bytes).toBeUndefined();
    expect(kept).toBeDefined();
    const id = (kept as HistoryArchiveOffer).id;
    // The device is registered; on its next start it resumes with the kept offer.
    const resumed = await receiveHistory(
      { ...receiver(client, imported), remember },
      relay.url,
      kept as HistoryArchiveOffer,
      common,
    );
    expect(resumed.records).toBe(7);
    expect(equalBytes(imported.bytes ?? new Uint8Array(), archive.body)).toBe(true);
    expect(kept).toBeUndefined();
    expect((await relay.process.http(`/v1/attachments/${id}`)).status).toBe(404);
  });
});

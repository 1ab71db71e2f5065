/**
 * Linking when a device stops part-way (docs/protocol.md, "History
 * transfer"), through the REAL relay process with the real archive. The new
 * device keeps the history offer in its records (`client.archive.
 * pendingTransfer`, sealed by the extension's vault) before the rendezvous
 * goes, so a fresh client on the same storage (an MV3 worker started again)
 * resumes the download within the blob's hour; once the blob is gone it
 * stays linked without the history and says why. An existing device that
 * stops after approving, before it sent the offer, leaves the new device
 * linked without history once the rendezvous' 5 minutes are over.
 */
import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../attachments/relay-http.ts';
import { ErrorCode, ParleyError } from '../errors.ts';
import { LINK_RENDEZVOUS_TTL_MS } from '../wire/limits.ts';
import { createClient } from './client.ts';
import { approveLink } from './linking/existing-device.ts';
import { historyReceiverFor, historySenderFor } from './linking/history-bindings.ts';
import { resumePendingHistory } from './linking/history-resume.ts';
import type { HistorySender } from './linking/history-transfer.ts';
import { Keys } from './store/storage-keys.ts';
import { createMemoryStorage } from './store/store.ts';
import { nodeClientDeps, type TestUser, textsOf, uniqueText, waitFor } from './testing/harness.ts';
import { existingLinkSide, linkTiming, newLinkSide } from './testing/link-sides.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

const relay = useRelayProcess();

const blobFetch: FetchLike = (url, init) => fetch(url, init);

/** The worker is stopped at its first chunk request of the transfer blob. */
const stoppedFetch: FetchLike = async (url, init) => {
  if (/\/chunks\/\d+$/.test(url) && (init?.method ?? 'GET') === 'GET')
    throw new ParleyError(ErrorCode.CLIENT_STOPPED, 'worker stopped');
  return blobFetch(url, init);
};

/** Alice with a conversation Bob started: the history a linked device should receive. */
async function aliceWithHistory() {
  const alice = await relay.newUser('alice');
  const bob = await relay.newUser('bob');
  const chat = await bob.client.startConversation(alice.handle);
  const convo = `u:${bob.userId}`;
  const old = [uniqueText('old 1'), uniqueText('old 2')];
  for (const text of old) await bob.client.sendText({ conversationId: chat.id, text });
  await waitFor(
    async () => (await textsOf(alice.client, convo)).length === old.length,
    'alice has the old messages',
  );
  await alice.client.acceptRequest(bob.userId);
  return { alice, bob, convo, old };
}

/** Links a new client whose download stops; returns its storage and the offered blob id. */
async function linkStoppedMidDownload(alice: TestUser) {
  const storage = createMemoryStorage();
  const first = relay.track(createClient(nodeClientDeps({ storage })));
  const n = newLinkSide(relay.url, first, 'resume test device', {
    historyReceiver: historyReceiverFor(first, stoppedFetch),
  });
  const stopped = n.done.then(
    () => undefined,
    (e: unknown) => e,
  );
  const { code } = await n.invitation;
  const approved = await approveLink(
    existingLinkSide(relay.url, alice, code ?? '', {
      historySender: historySenderFor(alice.client, blobFetch),
    }),
  );
  expect(approved.history).toMatchObject({ sent: true, messages: true });
  expect(await stopped).toMatchObject({ code: ErrorCode.CLIENT_STOPPED });
  await first.stop();
  const kept = await first.archive.pendingTransfer.get();
  if (kept === undefined) throw new Error('the offer was not kept');
  // A fresh client on the same storage: the worker started again.
  const again = relay.track(createClient(nodeClientDeps({ storage })));
  await again.load();
  return { storage, client: again, blobId: kept.id };
}

describe('a new device stopped mid-download (real relay)', () => {
  it('resumes from the remembered offer: history imported, blob ACKed, offer forgotten', async () => {
    const { alice, convo, old } = await aliceWithHistory();
    const { storage, client, blobId } = await linkStoppedMidDownload(alice);
    expect(await storage.records.get(Keys.pendingHistory)).toBeDefined();
    expect(await textsOf(client, convo)).toEqual([]);

    const resumed = await resumePendingHistory({
      pending: () => client.archive.pendingTransfer.get(),
      receiver: historyReceiverFor(client, blobFetch),
      relayUrl: relay.url,
      deps: linkTiming,
    });
    expect(resumed).toMatchObject({ imported: true });
    expect(await textsOf(client, convo)).toEqual(old);
    expect(await storage.records.get(Keys.pendingHistory)).toBeUndefined();
    expect((await relay.process.http(`/v1/attachments/${blobId}/chunks/0`)).status).toBe(404);
    // Nothing left to resume.
    expect(
      await resumePendingHistory({
        pending: () => client.archive.pendingTransfer.get(),
        receiver: historyReceiverFor(client, blobFetch),
        relayUrl: relay.url,
        deps: linkTiming,
      }),
    ).toBeUndefined();
  });

  it('a blob already gone: linked without history (`expired`), the offer forgotten', async () => {
    const { alice, bob, convo } = await aliceWithHistory();
    const { storage, client, blobId } = await linkStoppedMidDownload(alice);
    // The hour ended (the relay deletes the blob; the owner's delete is the same answer).
    await alice.client.deleteAttachment(blobId);
    const resumed = await resumePendingHistory({
      pending: () => client.archive.pendingTransfer.get(),
      receiver: historyReceiverFor(client, blobFetch),
      relayUrl: relay.url,
      deps: linkTiming,
    });
    expect(resumed).toEqual({ imported: false, reason: 'expired' });
    expect(await storage.records.get(Keys.pendingHistory)).toBeUndefined();
    // The device is linked all the same: new messages reach it.
    await client.start();
    const chat = await bob.client.startConversation(alice.handle);
    const after = uniqueText('after linking');
    await bob.client.sendText({ conversationId: chat.id, text: after });
    await waitFor(async () => (await textsOf(client, convo)).includes(after), 'it receives');
  });
});

describe('an existing device stopped before it sent the history (real relay)', () => {
  it('the new device gives up when the rendezvous ends: linked, history `interrupted`', async () => {
    const { alice, bob, convo } = await aliceWithHistory();
    const client = relay.track(createClient(nodeClientDeps()));
    // The new device's clock jumps past the rendezvous' end once it registered
    // (5 real minutes are too long for a test; the relay's own expiry is the same bound).
    let skew = 0;
    const n = newLinkSide(relay.url, client, 'waiting device', {
      now: () => Date.now() + skew,
      historyReceiver: historyReceiverFor(client, blobFetch),
      onProgress: (p) => {
        if (p.phase === 'registering') skew = LINK_RENDEZVOUS_TTL_MS + 1000;
      },
    });
    const { code } = await n.invitation;
    // E's worker "stops" after approval: its export never ends, no offer is sent.
    let resumeExport: () => void = () => {};
    const stalled = new Promise<void>((r) => {
      resumeExport = r;
    });
    const stopped: HistorySender = {
      ...historySenderFor(alice.client, blobFetch),
      async *exportArchive() {
        await stalled;
        yield new Uint8Array(0);
      },
    };
    const existing = approveLink(
      existingLinkSide(relay.url, alice, code ?? '', { historySender: stopped }),
    ).catch((e: unknown) => e);
    const linked = await n.done;
    expect(linked.history).toEqual({ imported: false, reason: 'interrupted' });
    resumeExport();
    await existing;
    // Linked all the same: the device is listed and receives.
    await client.start();
    const chat = await bob.client.startConversation(alice.handle);
    const after = uniqueText('after linking');
    await bob.client.sendText({ conversationId: chat.id, text: after });
    await waitFor(async () => (await textsOf(client, convo)).includes(after), 'it receives');
  });
});

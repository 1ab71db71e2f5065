/**
 * Linking with the real history archive (client.archive) through the REAL
 * relay process (docs/protocol.md, "History transfer"). Threat L6 of the
 * linking design: Bob keeps writing while Alice links a new device, before
 * the new device registered, while the existing device exports, and after;
 * the new device shows each message exactly once (history ∪ queue, no gap,
 * no duplicate: the import skips records it holds, the inbox skips a message
 * whose (author, id) is already stored). "No history": contacts and the
 * conversation come over, the messages do not; new ones still arrive.
 */
import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../attachments/relay-http.ts';
import { createClient } from './client.ts';
import { approveLink, type ExistingDeviceLinkOptions } from './linking/existing-device.ts';
import { historyReceiverFor, historySenderFor } from './linking/history-bindings.ts';
import type { HistorySender } from './linking/history-transfer.ts';
import { type LinkInvitation, linkAsNewDevice } from './linking/new-device.ts';
import { registerLinkedDevice } from './linking/register-linked-device.ts';
import { nodeClientDeps, type TestUser, textsOf, uniqueText, waitFor } from './testing/harness.ts';
import { anonymousRelayApi, existingLinkSide, linkTiming } from './testing/link-sides.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

const relay = useRelayProcess();

const blobFetch: FetchLike = (url, init) => fetch(url, init);
const common = linkTiming;
const anonymousApi = () => anonymousRelayApi(relay.url);

const user = (name: string): Promise<TestUser> => relay.newUser(name);

const existingSide = (
  owner: TestUser,
  code: string,
  overrides: Partial<ExistingDeviceLinkOptions> = {},
): ExistingDeviceLinkOptions => existingLinkSide(relay.url, owner, code, overrides);

/** Starts linking a fresh client; resolves the code, then the linked account. */
function newDevice() {
  const client = createClient(nodeClientDeps());
  relay.track(client);
  let shown: (i: LinkInvitation) => void = () => {};
  const invitation = new Promise<LinkInvitation>((r) => {
    shown = r;
  });
  const done = linkAsNewDevice({
    ...common,
    api: anonymousApi(),
    deviceName: 'archive test device',
    onInvitation: (i) => shown(i),
    register: (payload) => registerLinkedDevice(client, payload, { deviceName: 'linked' }),
    historyReceiver: historyReceiverFor(client, blobFetch),
  });
  return { client, invitation, done };
}

function count(texts: readonly string[], text: string): number {
  return texts.filter((t) => t === text).length;
}

describe('linking with the history archive (real relay)', () => {
  it('L6: 50 messages sent while linking and exporting show exactly once on the new device', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await bob.client.startConversation(alice.handle);
    const convo = `u:${bob.userId}`;
    const old = [uniqueText('old 1'), uniqueText('old 2'), uniqueText('old 3')];
    for (const text of old) await bob.client.sendText({ conversationId: chat.id, text });
    await waitFor(
      async () => (await textsOf(alice.client, convo)).length === old.length,
      'alice has the old messages',
    );
    await alice.client.acceptRequest(bob.userId);

    const n = newDevice();
    const { code } = await n.invitation;
    // Bob writes all through the link: before the new device registers, while the
    // existing one exports, and after.
    const live: string[] = [];
    let exporting = false;
    let sentDuringExport = 0;
    const writing = (async () => {
      for (let i = 0; i < 50; i++) {
        const text = uniqueText(`live ${i}`);
        live.push(text);
        await bob.client.sendText({ conversationId: chat.id, text });
        if (exporting) sentDuringExport++;
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    const bound = historySenderFor(alice.client, blobFetch);
    const sender: HistorySender = {
      ...bound,
      async *exportArchive(root, messages) {
        await waitFor(async () => live.length >= 20, 'bob is under way');
        exporting = true;
        let first = true;
        for await (const piece of bound.exportArchive(root, messages)) {
          yield piece;
          // Bob's messages keep arriving at the existing device mid-export.
          if (first) await waitFor(async () => sentDuringExport >= 5, 'bob writes mid-export');
          first = false;
        }
        exporting = false;
      },
    };
    const approved = await approveLink(existingSide(alice, code ?? '', { historySender: sender }));
    const linked = await n.done;
    expect(approved.history).toMatchObject({ sent: true, messages: true });
    expect(linked.history).toMatchObject({ imported: true });
    const imported = await textsOf(n.client, convo);
    for (const text of old) expect(count(imported, text)).toBe(1);

    // Only now does the new device read its queue.
    await n.client.start();
    await writing;
    expect(sentDuringExport).toBeGreaterThan(0);
    const all = [...old, ...live];
    await waitFor(async () => {
      const texts = await textsOf(n.client, convo);
      return all.every((t) => texts.includes(t));
    }, 'the new device shows every message');
    await n.client.idle();
    const texts = await textsOf(n.client, convo);
    for (const text of all) expect(count(texts, text), text).toBe(1);
    expect(texts).toHaveLength(all.length);
  });

  it('"no history": contacts and the conversation come over, messages do not; new ones arrive', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await bob.client.startConversation(alice.handle);
    const convo = `u:${bob.userId}`;
    const before = uniqueText('before linking');
    await bob.client.sendText({ conversationId: chat.id, text: before });
    await waitFor(
      async () => (await textsOf(alice.client, convo)).includes(before),
      'alice has it',
    );
    await alice.client.acceptRequest(bob.userId);
    await alice.client.setVerified(bob.userId, true);

    const n = newDevice();
    const { code } = await n.invitation;
    const approved = await approveLink(
      existingSide(alice, code ?? '', {
        history: false,
        historySender: historySenderFor(alice.client, blobFetch),
      }),
    );
    const linked = await n.done;
    expect(approved.history).toMatchObject({ sent: true, messages: false });
    expect(linked.history).toMatchObject({ imported: true });
    expect(await textsOf(n.client, convo)).toEqual([]);
    const contact = await n.client.getContact(bob.userId);
    expect(contact).toMatchObject({ verified: true });

    await n.client.start();
    const after = uniqueText('after linking');
    await bob.client.sendText({ conversationId: chat.id, text: after });
    await waitFor(async () => (await textsOf(n.client, convo)).includes(after), 'n receives');
    expect(await textsOf(n.client, convo)).toEqual([after]);
  });
});

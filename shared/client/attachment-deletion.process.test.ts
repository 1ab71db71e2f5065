/**
 * Our uploads leave the relay with the messages that carried them
 * (docs/client.md "Attachments"): deleting a conversation deletes the files
 * our own messages in it carried, and a disappearing message's files go when
 * its countdown ends, also when the sweep runs while the vault is locked
 * (the relay ids are named in the expiry index key, which a locked sweep can
 * read), and with the device key alone when the vault is locked and no
 * account is loaded. A received file is not ours to delete. The REAL relay answers the
 * blob's chunk request with 404 afterwards.
 */
import { describe, expect, it } from 'vitest';
import { newAttachmentKey } from '../attachments/encrypt-file.ts';
import { attachmentBlobSize } from '../attachments/format.ts';
import { getChunk } from '../attachments/relay-http.ts';
import { nodeTransferDeps } from '../attachments/testing/relay-upload.ts';
import { uploadAttachment } from '../attachments/upload.ts';
import { fromBase64Url, toBase64Url } from '../bytes.ts';
import { systemRandom } from '../crypto/random.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { createClient } from './client.ts';
import type { AttachmentPointer } from './sessions/content.ts';
import { messagesOf, nodeClientDeps, type TestUser, waitFor } from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

const relay = useRelayProcess({ handleSuffix: 'del' });

const user = (name: string, locked?: () => boolean): Promise<TestUser> =>
  relay.newUser(
    name,
    locked === undefined ? {} : { locked: { isLocked: locked, put: async () => 'stored' } },
  );

/** Encrypts and uploads a small file as `sender` (what the page does): its pointer. */
async function upload(sender: TestUser): Promise<AttachmentPointer> {
  const file = systemRandom(5_000);
  const created = await sender.client.createAttachmentUpload(attachmentBlobSize(file.length));
  const done = await uploadAttachment({
    relayUrl: relay.url,
    created,
    source: new Blob([file]),
    key: newAttachmentKey(systemRandom),
    deps: nodeTransferDeps,
  });
  return {
    id: fromBase64Url(created.id),
    key: done.key,
    digest: done.digest,
    digestScheme: done.digestScheme,
    size: file.length,
    mime: 'application/pdf',
    name: 'notes.pdf',
  };
}

/** The relay's answer for the blob's first chunk: 'there' or the error code. */
async function blobState(pointer: AttachmentPointer): Promise<string> {
  const endpoint = {
    relayUrl: relay.url,
    id: toBase64Url(pointer.id),
    fetch: nodeTransferDeps.fetch,
  };
  try {
    await getChunk(endpoint, 0);
    return 'there';
  } catch (e) {
    return (await errorOf(() => Promise.reject(e))).code;
  }
}

async function gone(pointer: AttachmentPointer): Promise<void> {
  await waitFor(
    async () => (await blobState(pointer)) === ErrorCode.ATTACHMENT_EXPIRED,
    'the relay no longer has the blob',
  );
}

describe('our uploads leave the relay with their messages', () => {
  it('deleting a conversation "for me" leaves every file on the relay: the peer may not have fetched it yet', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await alice.client.startConversation(bob.handle);
    const ours = await upload(alice);
    const theirs = await upload(bob);
    await alice.client.sendText({ conversationId: chat.id, text: '', attachments: [ours] });
    const back = await bob.client.startConversation(alice.handle);
    await bob.client.sendText({ conversationId: back.id, text: '', attachments: [theirs] });
    await waitFor(
      async () => (await messagesOf(alice.client, chat.id)).length >= 2,
      'bob’s file arrives',
    );
    expect(await blobState(ours)).toBe('there');

    await alice.client.deleteConversation(chat.id);
    await alice.client.idle();

    expect(await messagesOf(alice.client, chat.id)).toEqual([]);
    expect(await blobState(ours)).toBe('there');
    expect(await blobState(theirs)).toBe('there');
  });

  it('a disappearing message’s files go when a LOCKED sweep deletes it', async () => {
    let locked = false;
    const alice = await user('alice', () => locked);
    const bob = await user('bob');
    const chat = await alice.client.startConversation(bob.handle);
    await alice.client.setTimer({ conversationId: chat.id, timer: 30_000 });
    const ours = await upload(alice);
    await alice.client.sendText({
      conversationId: chat.id,
      text: 'soon gone',
      attachments: [ours],
    });
    expect(await blobState(ours)).toBe('there');

    locked = true;
    const swept = await alice.client.expireDue(Date.now() + 60_000);

    expect(swept).toBeGreaterThanOrEqual(1);
    await gone(ours);
  });

  it('a worker started LOCKED (no account loaded) deletes with the device key alone', async () => {
    const alice = await user('alice');
    const ours = await upload(alice);
    const address = alice.client.deviceAddress();
    await alice.client.stop();
    const restarted = createClient(
      nodeClientDeps({
        storage: alice.storage,
        locked: { isLocked: () => true, put: async () => 'stored' },
      }),
    );
    relay.track(restarted);
    await restarted.start(address === undefined ? {} : { address });
    expect(restarted.account()).toBeUndefined();

    await restarted.deleteOwnUpload(toBase64Url(ours.id));
    await gone(ours);
    await restarted.deleteOwnUpload(toBase64Url(ours.id)); // gone already: no failure
  });
});

/**
 * Attachment pointers through the client core and the REAL relay: a direct
 * chat and a group carry the pointers (key, digest, relay id, metadata) inside
 * the encrypted message, once per message; the receivers' views hand them to
 * pages; pending upload records survive as sealed records. The file bytes
 * themselves move between a page and the relay (docs/client.md,
 * "Attachments"): no upload is needed for the pointer to travel.
 */
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../bytes.ts';
import { systemRandom } from '../crypto/random.ts';
import { errorOf } from '../testing/errors.ts';
import type { ParleyClient } from './client.ts';
import type { AttachmentPointer } from './sessions/content.ts';
import { ATTACHMENT_FLAG_VOICE } from './sessions/content.ts';
import { messagesOf, type TestUser, waitFor } from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

const relay = useRelayProcess({ handleSuffix: 'att' });

const user = (name: string): Promise<TestUser> => relay.newUser(name);

function pointer(extra: Partial<AttachmentPointer> = {}): AttachmentPointer {
  return {
    id: systemRandom(16),
    key: systemRandom(32),
    digest: systemRandom(32),
    size: 123_456,
    mime: 'image/png',
    name: 'cat.png',
    width: 640,
    height: 480,
    ...extra,
  };
}

async function arrived(client: ParleyClient, conversationId: string, id: string) {
  return waitFor(async () => {
    const all = await messagesOf(client, conversationId);
    return all.find((m) => m.attachments?.[0]?.id === id);
  }, 'the message with the file arrives');
}

describe('attachment pointers with a real relay', () => {
  it('travel in a direct chat with a caption, and alone with a preview naming the file', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const chat = await alice.client.startConversation(bob.handle);
    const image = pointer({ digestScheme: 2 });
    const voice = pointer({ mime: 'audio/webm', name: 'voice.webm', durationMs: 4200 });
    const sent = await alice.client.sendText({
      conversationId: chat.id,
      text: 'look',
      attachments: [image, { ...voice, flags: ATTACHMENT_FLAG_VOICE }],
    });
    expect(sent.attachments?.map((a) => a.voice)).toEqual([false, true]);

    const got = await arrived(bob.client, `u:${alice.userId}`, toBase64Url(image.id));
    expect(got.text).toBe('look');
    expect(got.attachments?.[0]).toEqual({
      id: toBase64Url(image.id),
      key: toBase64Url(image.key),
      digest: toBase64Url(image.digest),
      digestScheme: 2,
      size: 123_456,
      mime: 'image/png',
      name: 'cat.png',
      width: 640,
      height: 480,
      voice: false,
    });
    expect(got.attachments?.[1]).toMatchObject({ durationMs: 4200, voice: true });

    const file = pointer({ mime: 'application/pdf', name: 'report.pdf' });
    await alice.client.sendText({ conversationId: chat.id, text: '', attachments: [file] });
    await arrived(bob.client, `u:${alice.userId}`, toBase64Url(file.id));
    const summary = await bob.client.getConversation(`u:${alice.userId}`);
    expect(summary.lastMessage?.text).toBe('report.pdf');

    // An empty text without files is still refused.
    const empty = await errorOf(() => alice.client.sendText({ conversationId: chat.id, text: '' }));
    expect(empty.code).toBe('BAD_ARGUMENT');
  });

  it('reach every group member from one message', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    const group = await alice.client.createGroup({
      name: 'Files',
      members: [bob.handle, carol.handle],
    });
    const file = pointer({ mime: 'application/zip', name: 'photos.zip' });
    const { width: _w, height: _h, ...zip } = file;
    await alice.client.sendText({ conversationId: group, text: 'all of them', attachments: [zip] });
    for (const member of [bob, carol]) {
      const got = await arrived(member.client, group, toBase64Url(file.id));
      expect(got).toMatchObject({ text: 'all of them' });
      expect(got.attachments?.[0]).toMatchObject({ name: 'photos.zip', size: 123_456 });
    }
  });

  it('keeps pending uploads as records until the page drops them', async () => {
    const alice = await user('alice');
    const upload = {
      id: toBase64Url(systemRandom(16)),
      conversationId: 'u:x',
      name: 'big.bin',
      mime: 'application/octet-stream',
      size: 5_000_000,
      lastModified: 1_700_000_000_000,
      key: toBase64Url(systemRandom(32)),
      caption: '',
      createdAt: 1,
    };
    await alice.client.savePendingUpload(upload);
    // The format it was begun in travels with it (a resume writes the same bytes).
    const withRelay = {
      ...upload,
      relayId: toBase64Url(systemRandom(16)),
      formatVersion: 2 as const,
    };
    await alice.client.savePendingUpload(withRelay);
    expect(await alice.client.listPendingUploads()).toEqual([withRelay]);
    await alice.client.deletePendingUpload(upload.id);
    expect(await alice.client.listPendingUploads()).toEqual([]);
  });
});

// Applying our other device's sync (docs/client.md, "Own-device sync"): every
// kind is idempotent, and "verified" means the key that was verified.
import { describe, expect, it } from 'vitest';
import type { Bytes } from '../../bytes.ts';
import {
  type Contact,
  ContactStatus,
  contactOp,
  newContact,
  readContact,
} from '../contacts/contacts.ts';
import { ensureDirectConversation, readConversation } from '../conversations/conversations.ts';
import { decodeContent, encodeContent, type SyncContent } from '../sessions/content.ts';
import { Batch } from '../store/batch.ts';
import { Keys } from '../store/storage-keys.ts';
import { createMemoryStorage } from '../store/store.ts';
import { applySync } from './apply-sync.ts';

const BOB = '0b0b0b0b-0000-4000-8000-00000000000b';
const key = (fill: number, length = 32) => new Uint8Array(length).fill(fill) as Bytes;
const identity = (fill: number) => ({ dh: key(fill), sig: key(fill + 1), binding: key(fill, 64) });

async function apply(
  records: ReturnType<typeof createMemoryStorage>['records'],
  content: SyncContent,
) {
  // Through the codec, as it arrives.
  const decoded = decodeContent(encodeContent(content));
  if (decoded.t !== 'sync') throw new Error('not a sync');
  const batch = new Batch(records);
  const outcome = await applySync(batch, decoded, 1_000);
  await batch.commit();
  return outcome;
}

async function withContact(contact: Contact) {
  const { records } = createMemoryStorage();
  const batch = new Batch(records);
  batch.apply(contactOp(contact));
  await batch.commit();
  return records;
}

describe('applySync', () => {
  it('marks a contact verified only when the key here is the key that was verified', async () => {
    const bob = { ...newContact(BOB, ContactStatus.ACCEPTED, 1), identity: identity(1) };
    const same = await withContact(bob);
    const verified = {
      v: 1,
      t: 'sync',
      k: 'contact',
      u: BOB,
      s: 'verified',
      id: identity(1),
    } as const;
    expect((await apply(same, verified)).effects).toContainEqual({ type: 'contact', userId: BOB });
    expect((await readContact(same, BOB))?.verified).toBe(true);
    // Again: nothing changes, nothing to announce.
    expect((await apply(same, verified)).effects).toEqual([]);

    const other = await withContact(bob);
    const changedKey = { ...verified, id: identity(7) };
    expect((await apply(other, changedKey)).effects).toEqual([]);
    expect((await readContact(other, BOB))?.verified).toBe(false);

    const pending = await withContact({ ...bob, change: { at: 5, previous: identity(3) } });
    await apply(pending, verified);
    expect((await readContact(pending, BOB))?.verified).toBe(false);
  });

  it('blocks, unblocks and accepts once; an accepted contact is not turned back into a request', async () => {
    const records = await withContact(newContact(BOB, ContactStatus.REQUEST, 1));
    const of = (s: 'accepted' | 'blocked' | 'unblocked') =>
      ({ v: 1, t: 'sync', k: 'contact', u: BOB, s }) as const;
    await apply(records, of('blocked'));
    expect((await readContact(records, BOB))?.status).toBe(ContactStatus.BLOCKED);
    expect((await apply(records, of('blocked'))).effects).toEqual([]);
    expect((await apply(records, of('accepted'))).effects).toEqual([]);
    await apply(records, of('unblocked'));
    expect((await readContact(records, BOB))?.status).toBe(ContactStatus.ACCEPTED);
    expect((await apply(records, of('unblocked'))).effects).toEqual([]);
  });

  it('deletes a conversation once; a second copy changes nothing', async () => {
    const { records } = createMemoryStorage();
    const batch = new Batch(records);
    await ensureDirectConversation(batch, BOB, 1);
    await batch.commit();
    const del = { v: 1, t: 'sync', k: 'delete-conversation', c: `u:${BOB}` } as const;
    expect((await apply(records, del)).effects).toEqual([
      { type: 'conversation', conversationId: `u:${BOB}` },
    ]);
    expect(await readConversation(records, `u:${BOB}`)).toBeUndefined();
    expect(await records.get(Keys.conversation(`u:${BOB}`))).toBeUndefined();
    expect((await apply(records, del)).effects).toEqual([]);
  });

  it('refuses malformed syncs at decode (unknown kind, bad conversation id)', () => {
    expect(() =>
      decodeContent(encodeContentUnchecked({ v: 1, t: 'sync', k: 'delete-conversation', c: 'x' })),
    ).toThrow();
    expect(() => decodeContent(encodeContentUnchecked({ v: 1, t: 'sync', k: 'nope' }))).toThrow();
  });
});

import { encodeCbor } from '../../wire/cbor.ts';

function encodeContentUnchecked(value: Record<string, unknown>): Uint8Array {
  return encodeCbor(value);
}

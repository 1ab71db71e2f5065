import { describe, expect, it } from 'vitest';
import { fromUtf8, toHex, utf8 } from '../../../shared/bytes.ts';
import { createMemoryStorage } from '../../../shared/client/store/store.ts';
import { generateDhKeyPair } from '../../../shared/crypto/x25519.ts';
import { errorOf } from '../../../shared/testing/errors.ts';
import { memoryMeta, memoryQueue } from '../../testing/fakes.ts';
import { INBOX_PUBLIC_META, LockedInbox, openFromInbox, sealForInbox } from './locked-inbox.ts';

describe('sealing to the inbox key', () => {
  it('round-trips, and fails for another key or a flipped bit', async () => {
    const inbox = await generateDhKeyPair(false);
    const sealed = await sealForInbox(inbox.publicKey, utf8('ciphertext frame'));
    expect(fromUtf8(await openFromInbox(inbox, sealed))).toBe('ciphertext frame');
    const other = await generateDhKeyPair(false);
    expect(
      (await errorOf(() => openFromInbox({ ...other, publicKey: inbox.publicKey }, sealed))).code,
    ).toBe('DECRYPT_FAILED');
    const flipped = sealed.slice();
    flipped[40] = (flipped[40] ?? 0) ^ 1;
    expect((await errorOf(() => openFromInbox(inbox, flipped))).code).toBe('DECRYPT_FAILED');
  });
});

describe('LockedInbox', () => {
  it('queues sealed frames while locked and drains them in arrival order', async () => {
    const queue = memoryQueue();
    const meta = memoryMeta();
    const inbox = new LockedInbox({ queue, meta, records: createMemoryStorage().records });
    expect((await errorOf(() => inbox.put(utf8('too early')))).code).toBe('VAULT_NOT_FOUND');
    await inbox.ensureKeys();
    const publicKey = meta.data.get(INBOX_PUBLIC_META);
    await inbox.ensureKeys(); // idempotent
    expect(meta.data.get(INBOX_PUBLIC_META)).toBe(publicKey);

    for (const f of ['one', 'two', 'three']) await inbox.put(utf8(`frame ${f}`));
    expect(await inbox.count()).toBe(3);
    for (const sealed of queue.data.values())
      expect(toHex(sealed)).not.toContain(toHex(utf8('frame')));

    const seen: string[] = [];
    expect(await inbox.drain(async (f) => void seen.push(fromUtf8(f)), 2)).toBe(3);
    expect(seen).toEqual(['frame one', 'frame two', 'frame three']);
    expect(await inbox.count()).toBe(0);
  });

  it('keeps a frame queued when its handler fails, so it is replayed later', async () => {
    const inbox = new LockedInbox({
      queue: memoryQueue(),
      meta: memoryMeta(),
      records: createMemoryStorage().records,
    });
    await inbox.ensureKeys();
    await inbox.put(utf8('a'));
    await inbox.put(utf8('b'));
    const failing = inbox.drain(async (f) => {
      if (fromUtf8(f) === 'b') throw new Error('disk full');
    });
    await expect(failing).rejects.toThrow('disk full');
    expect(await inbox.count()).toBe(1);
    const seen: string[] = [];
    await inbox.drain(async (f) => void seen.push(fromUtf8(f)));
    expect(seen).toEqual(['b']);
  });

  it('refuses frames past its frame cap, and keeps refusing until a drain empties it', async () => {
    const queue = memoryQueue();
    const inbox = new LockedInbox({
      queue,
      meta: memoryMeta(),
      records: createMemoryStorage().records,
      maxFrames: 2,
    });
    await inbox.ensureKeys();
    expect(await inbox.put(utf8('a'))).toBe('stored');
    expect(await inbox.put(utf8('b'))).toBe('stored');
    expect(await inbox.put(utf8('c'))).toBe('full');
    expect(inbox.refusing).toBe(true);
    expect(await inbox.count()).toBe(2);
    const seen: string[] = [];
    await inbox.drain(async (f) => void seen.push(fromUtf8(f)));
    expect(seen).toEqual(['a', 'b']);
    expect(inbox.refusing).toBe(false);
    expect(await inbox.put(utf8('d'))).toBe('stored');
  });

  it('refuses by bytes, and a small frame never overtakes a refused big one', async () => {
    const queue = memoryQueue();
    const inbox = new LockedInbox({
      queue,
      meta: memoryMeta(),
      records: createMemoryStorage().records,
      // A sealed frame is 48 bytes of overhead plus the frame.
      maxBytes: 48 + 100 + 48 + 10,
    });
    await inbox.ensureKeys();
    expect(await inbox.put(new Uint8Array(100))).toBe('stored');
    expect(await inbox.put(new Uint8Array(200))).toBe('full');
    expect(await inbox.put(new Uint8Array(1))).toBe('full');
    expect(await inbox.count()).toBe(1);
  });

  it('counts what an earlier worker left in the queue', async () => {
    const queue = memoryQueue();
    const meta = memoryMeta();
    const records = createMemoryStorage().records;
    const first = new LockedInbox({ queue, meta, records, maxFrames: 2 });
    await first.ensureKeys();
    await first.put(utf8('a'));
    await first.put(utf8('b'));
    const restarted = new LockedInbox({ queue, meta, records, maxFrames: 2 });
    expect(await restarted.put(utf8('c'))).toBe('full');
  });
});

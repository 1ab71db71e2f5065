import { describe, expect, it } from 'vitest';
import { Batch } from '../store/batch.ts';
import { createMemoryStorage } from '../store/store.ts';
import {
  decideOutboxAnswer,
  decodeEntry,
  entryKey,
  listEntries,
  MAX_MISMATCH_ROUNDS,
  type OutboxEntry,
  stageEntry,
} from './outbox.ts';

const NOW = 1_700_000_000_000;

function entry(stamp: number, overrides: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    v: 1,
    id: new Uint8Array(16).fill(stamp % 256) as OutboxEntry['id'],
    stamp,
    kind: 'message',
    content: new Uint8Array([1, 2, 3]) as OutboxEntry['content'],
    recipients: ['0b5f3a2e-9c1d-4e8f-a7b6-5d4c3b2a1f00'],
    mismatches: 0,
    attempts: 0,
    createdAt: NOW,
    ...overrides,
  };
}

describe('outbox answers', () => {
  it('stored finishes an entry', () => {
    expect(decideOutboxAnswer(entry(1), { type: 'stored' }, NOW, 0.5)).toEqual({ action: 'done' });
  });

  it('mismatch re-addresses, and fails after too many rounds', () => {
    expect(decideOutboxAnswer(entry(1), { type: 'mismatch' }, NOW, 0.5)).toEqual({
      action: 'fix',
    });
    const worn = entry(1, { mismatches: MAX_MISMATCH_ROUNDS - 1 });
    expect(decideOutboxAnswer(worn, { type: 'mismatch' }, NOW, 0.5)).toEqual({
      action: 'fail',
      code: 'DEVICE_MISMATCH',
    });
  });

  it('rate limiting waits at least Retry-After; relay faults back off; frame errors fail', () => {
    const limited = decideOutboxAnswer(
      entry(1),
      { type: 'error', code: 'RATE_LIMITED', retryAfterMs: 30_000 },
      NOW,
      0,
    );
    expect(limited).toEqual({ action: 'retry', notBefore: NOW + 30_000 });
    const internal = decideOutboxAnswer(
      entry(1, { attempts: 3 }),
      { type: 'error', code: 'INTERNAL' },
      NOW,
      1,
    );
    expect(internal).toEqual({ action: 'retry', notBefore: NOW + 8_000 });
    // The relay's storage refusals (a recipient device's full queue, the database watermark)
    // store nothing: the message must show failed, not stored, and is not retried blindly.
    for (const code of [
      'FRAME_INVALID',
      'EXPIRES_AT_INVALID',
      'FRAME_TOO_LARGE',
      'QUEUE_FULL',
      'STORAGE_FULL',
    ]) {
      expect(decideOutboxAnswer(entry(1), { type: 'error', code }, NOW, 0.5)).toEqual({
        action: 'fail',
        code,
      });
    }
  });
});

describe('outbox persistence', () => {
  it('keeps entries in queue order and round-trips them, frames included', async () => {
    const { records } = createMemoryStorage();
    const batch = new Batch(records);
    const framed = entry(30, {
      frame: {
        to: [
          {
            user: '0b5f3a2e-9c1d-4e8f-a7b6-5d4c3b2a1f00',
            devices: [{ device: 7, body: new Uint8Array([9]) as OutboxEntry['content'] }],
          },
        ],
      },
      notBefore: NOW + 5,
    });
    for (const e of [entry(200), framed, entry(4)]) stageEntry(batch, e);
    await batch.commit();
    const listed = await listEntries(records);
    expect(listed.map((e) => e.stamp)).toEqual([4, 30, 200]);
    const raw = await records.get(entryKey(framed));
    expect(raw === undefined ? undefined : decodeEntry(raw)).toEqual(framed);
  });
});

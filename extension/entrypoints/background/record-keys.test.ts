import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../shared/bytes.ts';
import { Keys } from '../../../shared/client/store/storage-keys.ts';
import {
  bucketEndOfStored,
  EXPIRY_BUCKET_MS,
  expiryBucketEnd,
  storedBaseOf,
  storedKeyOf,
  sweepTargetsOf,
  UPLOAD_TARGET,
} from './record-keys.ts';

const INDEX = new Uint8Array(32).fill(7);
const OTHER_INDEX = new Uint8Array(32).fill(8);
const BOB = '0b0b0b0b-0000-4000-8000-00000000000b';
const GROUP = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const ID = fromHex('ab'.repeat(16));
const STAMP = 1_765_000_000_123;

describe('opaque record keys', () => {
  it('keep the record kind and hide users, groups and times', () => {
    const keys = [
      Keys.contact(BOB),
      Keys.conversation(`g:${GROUP}`),
      Keys.message(`u:${BOB}`, STAMP, ID),
      Keys.groupKey(GROUP, BOB, 3),
      Keys.expiry(STAMP + 30_000, BOB, Keys.message(`u:${BOB}`, STAMP, ID)),
    ];
    const stored = keys.map((k) => storedKeyOf(INDEX, k));
    expect(stored.map((k) => k.split('/')[0])).toEqual([
      'contact',
      'conv',
      'msg',
      'gkey',
      'expiry',
    ]);
    for (const k of stored) {
      expect(k).not.toContain(BOB);
      expect(k).not.toContain(GROUP);
      expect(k).not.toContain(String(STAMP));
    }
    // Another index key, other tags: nobody can test a guess without the vault.
    expect(storedKeyOf(OTHER_INDEX, keys[0] ?? '')).not.toBe(stored[0]);
    // Keys that name nothing stay as they are.
    expect(storedKeyOf(INDEX, Keys.account)).toBe('account');
  });

  it('store every key under its prefix’s stored base (what list walks)', () => {
    const segment = fc.stringMatching(/^[a-z0-9:-]{1,12}$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 2, maxLength: 5 }), fc.nat(), (parts, cut) => {
        const logical = parts.join('/');
        const depth = 1 + (cut % (parts.length - 1));
        const prefix = `${parts.slice(0, depth).join('/')}/`;
        expect(storedKeyOf(INDEX, logical).startsWith(storedBaseOf(INDEX, prefix))).toBe(true);
      }),
    );
  });

  it('put expiry entries in coarse buckets, with what a locked sweep deletes', () => {
    const at = STAMP + 30_000;
    const message = Keys.message(`u:${BOB}`, STAMP, ID);
    const index = Keys.expiry(at, BOB, message);
    const stored = storedKeyOf(INDEX, index);
    const end = bucketEndOfStored(stored) ?? 0;
    expect(end % EXPIRY_BUCKET_MS).toBe(0);
    expect(end).toBeGreaterThanOrEqual(at);
    expect(end - at).toBeLessThan(EXPIRY_BUCKET_MS);
    expect(expiryBucketEnd(at)).toBe(end);
    expect(storedBaseOf(INDEX, Keys.expiries)).toBe('expiry/');
    expect(sweepTargetsOf(INDEX, index)).toEqual([
      stored,
      storedKeyOf(INDEX, message),
      storedKeyOf(INDEX, Keys.messageIndex(BOB, ID)),
    ]);
    expect(sweepTargetsOf(INDEX, message)).toBeUndefined();
  });

  it('carry the relay ids of our own files in the clear, so a locked sweep can delete them', () => {
    const message = Keys.message(`u:${BOB}`, STAMP, ID);
    const uploads = ['AQEBAQEBAQEBAQEBAQEBAQ', 'AgICAgICAgICAgICAgICAg'];
    const index = Keys.expiry(STAMP + 30_000, BOB, message, uploads);
    const stored = storedKeyOf(INDEX, index);
    expect(stored).toMatch(/^expiry\/\d{16}\/[A-Za-z0-9_-]{16}$/); // the key itself names no id
    expect(sweepTargetsOf(INDEX, index)).toEqual([
      stored,
      storedKeyOf(INDEX, message),
      storedKeyOf(INDEX, Keys.messageIndex(BOB, ID)),
      `${UPLOAD_TARGET}${uploads[0]}`,
      `${UPLOAD_TARGET}${uploads[1]}`,
    ]);
  });
});

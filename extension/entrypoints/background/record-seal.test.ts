import { describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../../../shared/bytes.ts';
import { systemRandom } from '../../../shared/crypto/random.ts';
import { errorOf } from '../../../shared/testing/errors.ts';
import { openRecord, RECORD_FORMAT, sealRecord } from './record-seal.ts';

function newKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

describe('record sealing', () => {
  it('round-trips and lays out format byte, nonce, ciphertext and tag', async () => {
    const key = await newKey();
    const sealed = await sealRecord(key, 'msg/c1/0001', utf8('hello'), systemRandom);
    expect(sealed[0]).toBe(RECORD_FORMAT);
    expect(sealed.length).toBe(1 + 12 + 5 + 16);
    expect(fromUtf8(await openRecord(key, 'msg/c1/0001', sealed))).toBe('hello');
  });

  it('binds the value to its record key', async () => {
    const key = await newKey();
    const sealed = await sealRecord(key, 'session/alice/1', utf8('state'), systemRandom);
    expect((await errorOf(() => openRecord(key, 'session/mallory/1', sealed))).code).toBe(
      'DECRYPT_FAILED',
    );
  });

  it('rejects tampering, another key, and unknown formats', async () => {
    const key = await newKey();
    const sealed = await sealRecord(key, 'k', utf8('value'), systemRandom);
    const flipped = sealed.slice();
    flipped[20] = (flipped[20] ?? 0) ^ 0x80;
    expect((await errorOf(() => openRecord(key, 'k', flipped))).code).toBe('DECRYPT_FAILED');
    expect((await errorOf(async () => openRecord(await newKey(), 'k', sealed))).code).toBe(
      'DECRYPT_FAILED',
    );
    const future = sealed.slice();
    future[0] = 2;
    expect((await errorOf(() => openRecord(key, 'k', future))).code).toBe('STATE_CORRUPT');
    expect((await errorOf(() => openRecord(key, 'k', sealed.subarray(0, 20)))).code).toBe(
      'STATE_CORRUPT',
    );
  });

  it('uses a fresh nonce every time', async () => {
    const key = await newKey();
    const a = await sealRecord(key, 'k', utf8('same'), systemRandom);
    const b = await sealRecord(key, 'k', utf8('same'), systemRandom);
    expect(a.subarray(1, 13)).not.toEqual(b.subarray(1, 13));
  });
});

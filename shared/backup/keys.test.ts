/** The backup key hierarchy: vectors, independent Ed25519 check, domain separation. */
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { sign, verify } from '../crypto/ed25519.ts';
import { hkdf } from '../crypto/kdf.ts';
import { deriveBackupAuthSeed, deriveBackupId, deriveBackupKey, deriveBackupKeys } from './keys.ts';
import vectors from './vectors/keys.json' with { type: 'json' };

describe('backup key vectors', () => {
  it.each(vectors.cases)('$accountId', async (c) => {
    const rk = fromHex(c.recoveryKey);
    const bk = deriveBackupKey(rk);
    expect(toHex(bk)).toBe(c.backupKey);
    expect(toHex(deriveBackupId(bk, c.accountId))).toBe(c.backupId);
    const seed = deriveBackupAuthSeed(bk);
    expect(toHex(seed)).toBe(c.authSeed);
    // The public key by a second, independent Ed25519 implementation.
    expect(toHex(ed25519.getPublicKey(seed))).toBe(c.authPublicKey);
    const keys = await deriveBackupKeys(rk, c.accountId);
    expect(toHex(keys.backupKey)).toBe(c.backupKey);
    expect(toHex(keys.backupId)).toBe(c.backupId);
    expect(toHex(keys.auth.publicKey)).toBe(c.authPublicKey);
  });

  it('the backup id is the first 16 bytes of the 32-byte expansion (Signal-style truncation)', () => {
    const c = vectors.cases[1];
    if (c === undefined) throw new Error('vector missing');
    const bk = fromHex(c.backupKey);
    const info = new TextEncoder().encode(`PARLEY-v1:backup-id${c.accountId}`);
    expect(toHex(hkdf(bk, undefined, info, 32).subarray(0, 16))).toBe(c.backupId);
  });
});

describe('backup keys', () => {
  it('separates every derived value from the others and from the recovery key', async () => {
    const rk = fromHex(vectors.cases[1]?.recoveryKey ?? '');
    const bk = deriveBackupKey(rk);
    const values = [rk, bk, deriveBackupAuthSeed(bk), deriveBackupId(bk, 'a')].map(toHex);
    expect(new Set(values).size).toBe(values.length);
  });

  it('gives another account another backup id for the same recovery key', () => {
    const bk = deriveBackupKey(new Uint8Array(32).fill(9));
    expect(toHex(deriveBackupId(bk, 'one'))).not.toBe(toHex(deriveBackupId(bk, 'two')));
  });

  it('keeps the auth private key inside a non-extractable CryptoKey that signs', async () => {
    const keys = await deriveBackupKeys(new Uint8Array(32).fill(3), 'account');
    expect(keys.auth.privateKey.extractable).toBe(false);
    const message = new Uint8Array([1, 2, 3]);
    const signature = await sign(keys.auth.privateKey, message);
    expect(await verify(keys.auth.publicKey, signature, message)).toBe(true);
  });

  it('refuses keys of the wrong length as a programming error', () => {
    expect(() => deriveBackupKey(new Uint8Array(31))).toThrow(RangeError);
    expect(() => deriveBackupId(new Uint8Array(33), 'a')).toThrow(RangeError);
  });
});

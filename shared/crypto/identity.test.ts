import { describe, expect, it } from 'vitest';
import { concat } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  ENCODED_IDENTITY_BYTES,
  encodeIdentity,
  generateIdentityKeyPair,
  identityKeyPairFromPrivate,
  publicIdentity,
  validatePublicIdentity,
} from './identity.ts';
import { seededRandom } from './testing/deterministic.ts';
import { flip, LOW_ORDER, other, set } from './testing/key-fixtures.ts';

describe('identity', () => {
  it('encodes as 0x01 || dh || signing (65 bytes)', () => {
    const encoded = encodeIdentity(publicIdentity(set.identity));
    expect(encoded.length).toBe(ENCODED_IDENTITY_BYTES);
    expect(encoded).toEqual(
      concat(new Uint8Array([1]), set.identity.dh.publicKey, set.identity.signing.publicKey),
    );
  });

  it('generates a bound, non-extractable identity by default', async () => {
    const identity = await generateIdentityKeyPair();
    expect(identity.dh.privateKey.extractable).toBe(false);
    expect(identity.signing.privateKey.extractable).toBe(false);
    await expect(validatePublicIdentity(publicIdentity(identity))).resolves.toBeUndefined();
  });

  it('is reproducible from its private keys', async () => {
    const seed = seededRandom('identity');
    const dh = seed(32);
    const sig = seed(32);
    const a = await identityKeyPairFromPrivate(dh, sig);
    const b = await identityKeyPairFromPrivate(dh, sig);
    expect(publicIdentity(a)).toEqual(publicIdentity(b));
  });

  it.each([
    ['wrong dh length', { dh: new Uint8Array(31) }, ErrorCode.KEY_LENGTH, 'identity.dh'],
    ['low-order dh', { dh: LOW_ORDER }, ErrorCode.KEY_LOW_ORDER, 'identity.dh'],
    [
      'wrong signing length',
      { signing: new Uint8Array(33) },
      ErrorCode.KEY_LENGTH,
      'identity.signing',
    ],
    [
      'binding of another dh key',
      { dh: other.dh.publicKey },
      ErrorCode.SIGNATURE_INVALID,
      'identity.binding',
    ],
    [
      'binding by another signing key',
      { signing: other.signing.publicKey },
      ErrorCode.SIGNATURE_INVALID,
      'identity.binding',
    ],
    [
      'flipped binding',
      { binding: flip(set.identity.binding, 10) },
      ErrorCode.SIGNATURE_INVALID,
      'identity.binding',
    ],
    [
      'short binding',
      { binding: new Uint8Array(63) },
      ErrorCode.SIGNATURE_INVALID,
      'identity.binding',
    ],
  ])('rejects %s', async (_name, change, code, field) => {
    const identity = { ...publicIdentity(set.identity), ...change };
    expect(await errorOf(() => validatePublicIdentity(identity))).toMatchObject({
      code,
      details: { field },
    });
  });
});

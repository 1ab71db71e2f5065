/** The recovery key wrapped by the passkey PRF: WebCrypto vectors, binding, typed failures. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { errorOf } from '../testing/errors.ts';
import {
  derivePasskeyWrapKey,
  PASSKEY_WRAP_BYTES,
  PASSKEY_WRAP_PRF_SALT,
  type PasskeyWrapBinding,
  passkeyWrapAad,
  unwrapRecoveryKey,
  wrapRecoveryKey,
} from './passkey-wrap.ts';
import vectors from './vectors/passkey-wrap.json' with { type: 'json' };

const fixedNonce = (hex: string) => () => fromHex(hex);
const binding: PasskeyWrapBinding = { accountId: 'account-1', credentialId: 'cred-1' };

describe('passkey wrap vectors (computed with WebCrypto alone)', () => {
  it('has the fixed PRF input', () => {
    expect(toHex(PASSKEY_WRAP_PRF_SALT)).toBe(vectors.prfSalt);
  });

  it.each(vectors.cases)('$accountId / $credentialId', (c) => {
    const prf = fromHex(c.prfOutput);
    const bound = { accountId: c.accountId, credentialId: c.credentialId };
    expect(toHex(derivePasskeyWrapKey(prf))).toBe(c.wrapKey);
    expect(toHex(passkeyWrapAad(bound))).toBe(c.aad);
    const wrapped = wrapRecoveryKey(fromHex(c.recoveryKey), prf, bound, fixedNonce(c.nonce));
    expect(toHex(wrapped)).toBe(c.wrapped);
    expect(toHex(unwrapRecoveryKey(fromHex(c.wrapped), prf, bound))).toBe(c.recoveryKey);
  });

  it('opens the vectors with WebCrypto AES-GCM too', async () => {
    for (const c of vectors.cases) {
      const key = await crypto.subtle.importKey('raw', fromHex(c.wrapKey), 'AES-GCM', false, [
        'decrypt',
      ]);
      const wrapped = fromHex(c.wrapped);
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: wrapped.subarray(1, 13), additionalData: fromHex(c.aad) },
        key,
        wrapped.subarray(13),
      );
      expect(toHex(new Uint8Array(plain))).toBe(c.recoveryKey);
    }
  });
});

describe('passkey wrap', () => {
  const rk = new Uint8Array(32).fill(7);
  const prf = new Uint8Array(32).fill(9);

  it('is 61 bytes with a fresh nonce per wrap', () => {
    const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    const a = wrapRecoveryKey(rk, prf, binding, random);
    const b = wrapRecoveryKey(rk, prf, binding, random);
    expect(a.length).toBe(PASSKEY_WRAP_BYTES);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(toHex(unwrapRecoveryKey(b, prf, binding))).toBe(toHex(rk));
  });

  it('keeps account and credential apart in the AAD (length prefixes)', () => {
    const one = passkeyWrapAad({ accountId: 'ab', credentialId: 'c' });
    const two = passkeyWrapAad({ accountId: 'a', credentialId: 'bc' });
    expect(toHex(one)).not.toBe(toHex(two));
  });

  it('refuses another version byte or length as format', () => {
    const wrapped = wrapRecoveryKey(rk, prf, binding, fixedNonce('00'.repeat(12)));
    const v2 = wrapped.slice();
    v2[0] = 2;
    expect(errorOf(() => unwrapRecoveryKey(v2, prf, binding)).details).toEqual({
      reason: 'format',
    });
    const short = wrapped.subarray(0, 60);
    expect(errorOf(() => unwrapRecoveryKey(short, prf, binding)).code).toBe(
      'RECOVERY_WRAP_INVALID',
    );
  });

  it('treats wrong lengths of our own inputs as programming errors', () => {
    expect(() => derivePasskeyWrapKey(new Uint8Array(31))).toThrow(RangeError);
    expect(() =>
      wrapRecoveryKey(new Uint8Array(16), prf, binding, fixedNonce('00'.repeat(12))),
    ).toThrow(RangeError);
  });
});

describe('passkey wrap (property): anything but the right PRF output and binding fails typed', () => {
  const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const bindingArb = fc.record({ accountId: fc.string(), credentialId: fc.string() });

  it('round-trips, and a wrong PRF output, another binding or a flipped bit is RECOVERY_WRAP_INVALID', () => {
    fc.assert(
      fc.property(
        bytes32,
        bytes32,
        bytes32,
        bindingArb,
        bindingArb,
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (rk, prf, otherPrf, bound, otherBinding, at, bit) => {
          const wrapped = wrapRecoveryKey(rk, prf, bound, (n) => new Uint8Array(n).fill(at & 0xff));
          expect(toHex(unwrapRecoveryKey(wrapped, prf, bound))).toBe(toHex(rk));
          const attempts: (() => unknown)[] = [];
          if (toHex(otherPrf) !== toHex(prf))
            attempts.push(() => unwrapRecoveryKey(wrapped, otherPrf, bound));
          if (toHex(passkeyWrapAad(otherBinding)) !== toHex(passkeyWrapAad(bound)))
            attempts.push(() => unwrapRecoveryKey(wrapped, prf, otherBinding));
          const flipped = wrapped.slice();
          const i = at % flipped.length;
          flipped[i] = (flipped[i] ?? 0) ^ (1 << bit);
          attempts.push(() => unwrapRecoveryKey(flipped, prf, bound));
          for (const attempt of attempts)
            expect(errorOf(attempt).code).toBe('RECOVERY_WRAP_INVALID');
        },
      ),
      { numRuns: 300 },
    );
  });
});

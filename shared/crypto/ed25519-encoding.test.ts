// The hand-written encoding checks against @noble/curves as a slow, readable
// reference (used here only): strict decoding (RFC 8032 §5.1.3) for
// canonicality, point order for small-order detection, bigint for S < L.
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { generateSigningKeyPair, sign, verify } from './ed25519.ts';
import {
  isCanonicalPointEncoding,
  isCanonicalScalar,
  isSmallOrderPointEncoding,
  passesStrictEncodingChecks,
} from './ed25519-encoding.ts';

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function leBytes(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

function leNumber(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number);
  return n;
}

type Decoded = { strict: boolean; lenient: ReturnType<typeof ed25519.Point.fromBytes> | undefined };

function nobleDecode(encoded: Uint8Array): Decoded {
  let strict = true;
  try {
    ed25519.Point.fromBytes(encoded, false);
  } catch {
    strict = false;
  }
  try {
    return { strict, lenient: ed25519.Point.fromBytes(encoded, true) };
  } catch {
    return { strict, lenient: undefined };
  }
}

/** Encodings near the edges: y in {0, 1, 2, p-2 .. 2^255-1}, either sign, plus the torsion points. */
const edgeEncoding = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(0n, 1n, 2n, P - 2n, P - 1n),
      fc.bigInt({ min: P, max: 2n ** 255n - 1n }),
      fc.constantFrom(
        ...ED25519_TORSION_SUBGROUP.map((hex) => leNumber(fromHex(hex)) & (2n ** 255n - 1n)),
      ),
    ),
    fc.boolean(),
  )
  .map(([y, sign]) => {
    const bytes = leBytes(y);
    if (sign) bytes[31] = (bytes[31] as number) | 0x80;
    return bytes;
  });

const anyEncoding = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), edgeEncoding);

describe('Ed25519 encoding checks', () => {
  it('flags exactly the 8 torsion points (noble) as small order, all canonically encoded', () => {
    for (const hex of ED25519_TORSION_SUBGROUP) {
      expect(isSmallOrderPointEncoding(fromHex(hex)), hex).toBe(true);
      expect(isCanonicalPointEncoding(fromHex(hex)), hex).toBe(true);
    }
  });

  it('agrees with noble on canonical encoding and small order for any decodable point', () => {
    fc.assert(
      fc.property(anyEncoding, (encoded) => {
        const { strict, lenient } = nobleDecode(encoded);
        if (lenient === undefined) return; // not a curve point: WebCrypto rejects it anyway
        expect(isCanonicalPointEncoding(encoded), toHex(encoded)).toBe(strict);
        expect(isSmallOrderPointEncoding(encoded), toHex(encoded)).toBe(lenient.isSmallOrder());
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts S exactly when S < L', () => {
    for (const s of [0n, 1n, L - 1n, L, L + 1n, 2n * L, 2n ** 253n, 2n ** 256n - 1n]) {
      expect(isCanonicalScalar(leBytes(s)), s.toString()).toBe(s < L);
    }
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), (s) => {
        expect(isCanonicalScalar(leBytes(s))).toBe(s < L);
      }),
    );
  });

  it('passes honest signatures and fails their S + L twin, which verify then rejects', async () => {
    const pair = await generateSigningKeyPair();
    const message = new Uint8Array([1, 2, 3]);
    const signature = await sign(pair.privateKey, message);
    expect(passesStrictEncodingChecks(pair.publicKey, signature)).toBe(true);
    expect(await verify(pair.publicKey, signature, message)).toBe(true);

    const malleated = signature.slice();
    malleated.set(leBytes(leNumber(signature.subarray(32)) + L), 32);
    expect(passesStrictEncodingChecks(pair.publicKey, malleated)).toBe(false);
    expect(await verify(pair.publicKey, malleated, message)).toBe(false);
  });
});

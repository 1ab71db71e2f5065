import { Fingerprint, PrivateKey } from '@signalapp/libsignal-client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../bytes.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  compareScannable,
  computeSafetyNumber,
  decodeScannable,
  encodeScannable,
  SAFETY_NUMBER_DIGITS,
  SCANNABLE_BYTES,
  SCANNABLE_VERSION,
  safetyNumberGroups,
} from './safety-number.ts';
import vector from './vectors/safety-number.json' with { type: 'json' };

const alice = { key: fromHex(vector.alice.key), id: utf8(vector.alice.id) };
const bob = { key: fromHex(vector.bob.key), id: utf8(vector.bob.id) };

describe('safety number: libsignal vector', () => {
  it('gives the published 60 digits from both sides', async () => {
    const fromAlice = await computeSafetyNumber(alice, bob);
    const fromBob = await computeSafetyNumber(bob, alice);
    expect(fromAlice.digits).toBe(vector.digits);
    expect(fromBob.digits).toBe(vector.digits);
  });

  it('gives the published version-2 scannable codes, mirrored per side', async () => {
    expect(SCANNABLE_VERSION).toBe(2);
    expect(toHex((await computeSafetyNumber(alice, bob)).scannable)).toBe(vector.aliceScannableV2);
    expect(toHex((await computeSafetyNumber(bob, alice)).scannable)).toBe(vector.bobScannableV2);
  });

  it('matches the two phones codes and rejects a version-1 code as a version mismatch', () => {
    const aliceCode = fromHex(vector.aliceScannableV2);
    const bobCode = fromHex(vector.bobScannableV2);
    expect(compareScannable(aliceCode, bobCode)).toBe('match');
    expect(compareScannable(bobCode, aliceCode)).toBe('match');
    // Scanning your own code (not swapped) is not a match.
    expect(compareScannable(aliceCode, aliceCode)).toBe('mismatch');
    expect(compareScannable(aliceCode, fromHex(vector.bobScannableV1))).toBe('version-mismatch');
  });

  it('shows 12 groups of 5 digits', () => {
    const groups = safetyNumberGroups(vector.digits);
    expect(groups).toHaveLength(12);
    expect(groups.join('')).toBe(vector.digits);
    expect(groups[0]).toBe('30035');
    expect(errorOf(() => safetyNumberGroups('123')).code).toBe(ErrorCode.BAD_ARGUMENT);
  });
});

describe('safety number: against @signalapp/libsignal-client', () => {
  const keySeed = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const stableId = fc.uint8Array({ minLength: 0, maxLength: 64 });

  it('equals Fingerprint.new(5200, 2, ...) digits and scannable bytes for random ids and keys', async () => {
    await fc.assert(
      fc.asyncProperty(
        keySeed,
        stableId,
        keySeed,
        stableId,
        async (localSeed, localId, remoteSeed, remoteId) => {
          const localKey = PrivateKey.deserialize(localSeed).getPublicKey();
          const remoteKey = PrivateKey.deserialize(remoteSeed).getPublicKey();
          const reference = Fingerprint.new(5200, 2, localId, localKey, remoteId, remoteKey);
          const ours = await computeSafetyNumber(
            { key: localKey.serialize(), id: localId },
            { key: remoteKey.serialize(), id: remoteId },
          );
          expect(ours.digits).toBe(reference.displayableFingerprint().toString());
          expect(toHex(ours.scannable)).toBe(toHex(reference.scannableFingerprint().toBuffer()));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('agrees with libsignal ScannableFingerprint.compare on matching and non-matching pairs', async () => {
    await fc.assert(
      fc.asyncProperty(keySeed, keySeed, keySeed, stableId, stableId, async (a, b, c, idA, idB) => {
        const [ka, kb, kc] = [a, b, c].map((s) => PrivateKey.deserialize(s).getPublicKey()) as [
          ReturnType<PrivateKey['getPublicKey']>,
          ReturnType<PrivateKey['getPublicKey']>,
          ReturnType<PrivateKey['getPublicKey']>,
        ];
        const mine = await computeSafetyNumber(
          { key: ka.serialize(), id: idA },
          { key: kb.serialize(), id: idB },
        );
        const theirs = await computeSafetyNumber(
          { key: kb.serialize(), id: idB },
          { key: ka.serialize(), id: idA },
        );
        const imposter = await computeSafetyNumber(
          { key: kc.serialize(), id: idB },
          { key: ka.serialize(), id: idA },
        );
        const refMine = Fingerprint.new(5200, 2, idA, ka, idB, kb).scannableFingerprint();
        const refImposter = Fingerprint.new(5200, 2, idB, kc, idA, ka).scannableFingerprint();
        expect(compareScannable(mine.scannable, theirs.scannable)).toBe('match');
        const expected = refMine.compare(refImposter) ? 'match' : 'mismatch';
        expect(compareScannable(mine.scannable, imposter.scannable)).toBe(expected);
      }),
      { numRuns: 15 },
    );
  });
});

describe('safety number: Parley inputs', () => {
  const identity = fc.uint8Array({ minLength: 65, maxLength: 65 });
  const userId = fc.string({ minLength: 1, maxLength: 40 }).map((s) => utf8(s));

  it('is symmetric: both sides show the same digits and each other’s mirrored code', async () => {
    await fc.assert(
      fc.asyncProperty(identity, userId, identity, userId, async (ka, ia, kb, ib) => {
        const a = await computeSafetyNumber({ key: ka, id: ia }, { key: kb, id: ib });
        const b = await computeSafetyNumber({ key: kb, id: ib }, { key: ka, id: ia });
        expect(a.digits).toBe(b.digits);
        expect(a.digits).toMatch(/^[0-9]{60}$/);
        expect(a.digits).toHaveLength(SAFETY_NUMBER_DIGITS);
        expect(a.scannable).toHaveLength(SCANNABLE_BYTES);
        expect(compareScannable(a.scannable, b.scannable)).toBe('match');
      }),
      { numRuns: 15 },
    );
  });

  it('changes when one bit of a key or a different user id is used', async () => {
    const key = new Uint8Array(65).fill(7);
    const other = new Uint8Array(65).fill(9);
    const base = await computeSafetyNumber(
      { key, id: utf8('alice') },
      { key: other, id: utf8('bob') },
    );
    const flipped = key.slice();
    flipped[64] = (flipped[64] as number) ^ 1;
    const changedKey = await computeSafetyNumber(
      { key: flipped, id: utf8('alice') },
      { key: other, id: utf8('bob') },
    );
    const changedId = await computeSafetyNumber(
      { key, id: utf8('alicf') },
      { key: other, id: utf8('bob') },
    );
    expect(changedKey.digits).not.toBe(base.digits);
    expect(changedId.digits).not.toBe(base.digits);
    expect(compareScannable(base.scannable, changedKey.scannable)).toBe('mismatch');
  });

  it('rejects empty keys and non-byte ids as caller bugs (RangeError, TypeError)', async () => {
    await expect(
      computeSafetyNumber({ key: new Uint8Array(0), id: utf8('a') }, bob),
    ).rejects.toThrow(RangeError);
    const badId = { key: alice.key, id: 'alice' as unknown as Uint8Array };
    await expect(computeSafetyNumber(alice, badId)).rejects.toThrow(TypeError);
  });
});

describe('scannable form', () => {
  const half = fc.uint8Array({ minLength: 32, maxLength: 32 });

  it('round-trips and detects any difference in either half', () => {
    fc.assert(
      fc.property(half, half, fc.nat(63), (local, remote, bit) => {
        const mine = encodeScannable(SCANNABLE_VERSION, local, remote);
        const theirs = encodeScannable(SCANNABLE_VERSION, remote, local);
        const decoded = decodeScannable(mine);
        expect(decoded.version).toBe(SCANNABLE_VERSION);
        expect(toHex(decoded.local)).toBe(toHex(local));
        expect(toHex(decoded.remote)).toBe(toHex(remote));
        expect(compareScannable(mine, theirs)).toBe('match');
        const tampered = theirs.slice();
        const offset = bit < 32 ? 6 + bit : 42 + (bit - 32);
        tampered[offset] = (tampered[offset] as number) ^ 0x01;
        expect(compareScannable(mine, tampered)).toBe('mismatch');
      }),
    );
  });

  it('reports a version mismatch before parsing the rest (newer codes may be longer)', () => {
    const mine = encodeScannable(SCANNABLE_VERSION, new Uint8Array(32), new Uint8Array(32).fill(1));
    const newer = new Uint8Array(100);
    newer[0] = 0x08;
    newer[1] = 3;
    expect(compareScannable(mine, newer)).toBe('version-mismatch');
    const multiByteVersion = new Uint8Array([0x08, 0x80, 0x01]);
    expect(compareScannable(mine, multiByteVersion)).toBe('version-mismatch');
  });

  it('rejects anything that is not a safety code with FINGERPRINT_MALFORMED', () => {
    const mine = encodeScannable(SCANNABLE_VERSION, new Uint8Array(32), new Uint8Array(32));
    for (const bad of [
      new Uint8Array(0),
      utf8('https://example.org'),
      mine.slice(0, 73),
      new Uint8Array([0x08, 0x82]),
    ]) {
      expect(errorOf(() => compareScannable(mine, bad)).code).toBe(ErrorCode.FINGERPRINT_MALFORMED);
    }
    const wrongTag = mine.slice();
    wrongTag[38] = 0x22;
    expect(errorOf(() => compareScannable(mine, wrongTag)).code).toBe(
      ErrorCode.FINGERPRINT_MALFORMED,
    );
    expect(errorOf(() => decodeScannable(mine.slice(1))).code).toBe(
      ErrorCode.FINGERPRINT_MALFORMED,
    );
  });

  it('never throws anything but FINGERPRINT_MALFORMED on random input', () => {
    const mine = encodeScannable(SCANNABLE_VERSION, new Uint8Array(32), new Uint8Array(32));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        try {
          expect(['match', 'mismatch', 'version-mismatch']).toContain(
            compareScannable(mine, bytes),
          );
        } catch (e) {
          expect(isParleyError(e, ErrorCode.FINGERPRINT_MALFORMED)).toBe(true);
        }
      }),
    );
  });

  it('rejects bad halves and versions when encoding', () => {
    expect(errorOf(() => encodeScannable(2, new Uint8Array(31), new Uint8Array(32))).code).toBe(
      ErrorCode.BAD_ARGUMENT,
    );
    expect(errorOf(() => encodeScannable(200, new Uint8Array(32), new Uint8Array(32))).code).toBe(
      ErrorCode.BAD_ARGUMENT,
    );
  });
});

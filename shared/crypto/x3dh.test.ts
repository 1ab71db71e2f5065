import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { describe, expect, it } from 'vitest';
import { concat, fromHex, u32be, utf8 } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  bundleFromKeySet,
  type DeviceKeySet,
  generateDeviceKeySet,
  preKeysOf,
} from './device-key-set.ts';
import { signWithContext } from './ed25519.ts';
import { identityKeyPairFromPrivate, publicIdentity } from './identity.ts';
import { Label, SignatureContext } from './labels.ts';
import type { PreKeyFields } from './message-format.ts';
import { memoryPreKeyLookup, type PreKeyLookup } from './prekey-lookup.ts';
import { type PreKeyBundle, PreKeyKind } from './prekeys.ts';
import {
  queuedDhKeyPairs,
  queuedRandom,
  seededDhKeyPairs,
  seededRandom,
} from './testing/deterministic.ts';
import {
  deriveSharedSecret,
  initiateKeyAgreement,
  KeyAgreement,
  respondKeyAgreement,
} from './x3dh.ts';

const now = () => 1_700_000_000_000;
const LOW_ORDER = fromHex('5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157');

async function deterministicSet(
  seed: string,
): Promise<{ set: DeviceKeySet; privates: Uint8Array[]; kemSeed: Uint8Array }> {
  const random = seededRandom(seed);
  const identityDh = random(32);
  const identity = await identityKeyPairFromPrivate(identityDh, random(32));
  const privates: Uint8Array[] = [identityDh];
  const generate = seededDhKeyPairs((n) => {
    const bytes = random(n);
    privates.push(bytes);
    return bytes;
  });
  let kemSeed = new Uint8Array(0);
  const set = await generateDeviceKeySet(
    {
      random: (n) => {
        const bytes = random(n);
        if (n === 64) kemSeed = bytes;
        return bytes;
      },
      now,
      generateDhKeyPair: generate,
    },
    {
      identity,
      oneTimePreKeyCount: 2,
      signedPreKeyId: 4,
      kemPreKeyId: 6,
      firstOneTimePreKeyId: 40,
    },
  );
  // privates: [IK, SPK, OPK40, OPK41]
  return { set, privates, kemSeed };
}

const alice = await deterministicSet('x3dh.test/alice');
const bob = await deterministicSet('x3dh.test/bob');
const lookup = memoryPreKeyLookup(preKeysOf(bob.set));
const ephemeralPrivate = seededRandom('x3dh.test/ephemeral')(32);
const encapsulationRandomness = seededRandom('x3dh.test/kem')(32);

function depsFor() {
  return {
    random: queuedRandom([encapsulationRandomness]),
    generateDhKeyPair: queuedDhKeyPairs([ephemeralPrivate]),
  };
}

function fieldsFor(agreement: Awaited<ReturnType<typeof initiateKeyAgreement>>): PreKeyFields {
  return { identity: publicIdentity(alice.set.identity), ...agreement.preKey };
}

const cases = [
  { name: 'PQXDH with one-time prekey', pq: true, opk: true },
  { name: 'PQXDH without one-time prekey', pq: true, opk: false },
  { name: 'X3DH with one-time prekey', pq: false, opk: true },
  { name: 'X3DH without one-time prekey', pq: false, opk: false },
];

describe('key agreement', () => {
  it.each(cases)(
    '$name: both sides derive SK = HKDF(F || DH1..DH4 || SS) computed independently',
    async ({ pq, opk }) => {
      const bundle = bundleFromKeySet(bob.set, {
        ...(opk ? { oneTimePreKeyIndex: 0 } : {}),
        withKemPreKey: pq,
      });
      const sent = await initiateKeyAgreement(depsFor(), alice.set.identity, bundle);
      const received = await respondKeyAgreement(bob.set.identity, lookup, fieldsFor(sent));
      expect(received.sharedSecret).toEqual(sent.sharedSecret);
      expect(sent.kind).toBe(pq ? KeyAgreement.PQXDH : KeyAgreement.X3DH);
      expect(received.kind).toBe(sent.kind);
      expect(received.oneTimePreKeyId).toBe(opk ? 40 : undefined);
      expect(received.kemPreKeyId).toBe(pq ? 6 : undefined);
      expect(received.signedPreKey.id).toBe(4);

      // Independent computation: noble's X25519 and ML-KEM, the spec's DH order.
      const [ikA] = alice.privates as [Uint8Array];
      const [ikB, spkB, opkB] = bob.privates as [Uint8Array, Uint8Array, Uint8Array];
      const pub = (k: Uint8Array) => x25519.getPublicKey(k);
      const dhs = [
        x25519.getSharedSecret(ikA, pub(spkB)),
        x25519.getSharedSecret(ephemeralPrivate, pub(ikB)),
        x25519.getSharedSecret(ephemeralPrivate, pub(spkB)),
        ...(opk ? [x25519.getSharedSecret(ephemeralPrivate, pub(opkB))] : []),
      ];
      const kem = ml_kem768.keygen(bob.kemSeed);
      const ss = pq
        ? [ml_kem768.encapsulate(kem.publicKey, encapsulationRandomness).sharedSecret]
        : [];
      const ikm = concat(new Uint8Array(32).fill(0xff), ...dhs, ...ss);
      const expected = nobleHkdf(
        sha256,
        ikm,
        new Uint8Array(32),
        utf8(pq ? Label.PQXDH : Label.X3DH),
        32,
      );
      expect(sent.sharedSecret).toEqual(expected);
      expect(sent.preKey.baseKey).toEqual(pub(ephemeralPrivate));
      expect(sent.preKey.kemCiphertext).toEqual(
        pq ? ml_kem768.encapsulate(kem.publicKey, encapsulationRandomness).cipherText : undefined,
      );
    },
  );

  it('DH order matters: swapping two outputs changes SK', () => {
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    const c = new Uint8Array(32).fill(3);
    expect(deriveSharedSecret([a, b, c])).not.toEqual(deriveSharedSecret([b, a, c]));
    expect(deriveSharedSecret([a, b, c], new Uint8Array(32))).not.toEqual(
      deriveSharedSecret([a, b, c]),
    );
    expect(() => deriveSharedSecret([a, b])).toThrow(RangeError);
  });
});

describe('initiator rejects a bad bundle before using it', () => {
  const good = bundleFromKeySet(bob.set, { oneTimePreKeyIndex: 0 });
  const flip = (b: Uint8Array, i = 0) => {
    const out = Uint8Array.from(b);
    out[i] = (out[i] as number) ^ 1;
    return out;
  };
  const kpk =
    good.kemPreKey ??
    (() => {
      throw new Error('no KEM prekey');
    })();
  const unreduced = Uint8Array.from(kpk.publicKey).fill(0xff, 0, 384);

  it.each<[string, PreKeyBundle, string, string]>([
    [
      'wrong SPK signature',
      {
        ...good,
        signedPreKey: { ...good.signedPreKey, signature: flip(good.signedPreKey.signature) },
      },
      ErrorCode.SIGNATURE_INVALID,
      'signedPreKey.signature',
    ],
    [
      'wrong identity binding',
      { ...good, identity: { ...good.identity, binding: flip(good.identity.binding) } },
      ErrorCode.SIGNATURE_INVALID,
      'identity.binding',
    ],
    [
      'wrong KEM prekey signature',
      { ...good, kemPreKey: { ...kpk, signature: flip(kpk.signature) } },
      ErrorCode.SIGNATURE_INVALID,
      'kemPreKey.signature',
    ],
    [
      'low-order signed prekey',
      { ...good, signedPreKey: { ...good.signedPreKey, publicKey: LOW_ORDER } },
      ErrorCode.KEY_LOW_ORDER,
      'signedPreKey.publicKey',
    ],
    [
      'low-order one-time prekey',
      { ...good, oneTimePreKey: { kind: PreKeyKind.ONE_TIME, id: 1, publicKey: LOW_ORDER } },
      ErrorCode.KEY_LOW_ORDER,
      'oneTimePreKey.publicKey',
    ],
    [
      'one-time prekey of the wrong kind',
      {
        ...good,
        oneTimePreKey: { ...good.signedPreKey } as unknown as PreKeyBundle['oneTimePreKey'],
      },
      ErrorCode.KEY_TYPE,
      'oneTimePreKey',
    ],
  ])('%s', async (_name, bundle, code, field) => {
    expect(
      await errorOf(() => initiateKeyAgreement(depsFor(), alice.set.identity, bundle)),
    ).toMatchObject({ code, details: { field } });
  });

  it('an invalid (but correctly signed) ML-KEM key fails with KEY_INVALID', async () => {
    // Re-sign the broken key with Bob's identity so only the key itself is wrong.
    const signature = await signWithContext(
      bob.set.identity.signing.privateKey,
      SignatureContext.KEM_PREKEY,
      u32be(kpk.id),
      unreduced,
    );
    const bundle = { ...good, kemPreKey: { ...kpk, publicKey: unreduced, signature } };
    expect(
      await errorOf(() => initiateKeyAgreement(depsFor(), alice.set.identity, bundle)),
    ).toMatchObject({
      code: ErrorCode.KEY_INVALID,
      details: { field: 'kemPreKey.publicKey' },
    });
  });
});

const sent = await initiateKeyAgreement(
  depsFor(),
  alice.set.identity,
  bundleFromKeySet(bob.set, { oneTimePreKeyIndex: 1 }),
);
const fields = fieldsFor(sent);

describe('responder rejects', () => {
  it('a wrong initiator identity binding', async () => {
    const other = await identityKeyPairFromPrivate(
      new Uint8Array(32).fill(9),
      new Uint8Array(32).fill(8),
    );
    const forged = { ...fields, identity: { ...fields.identity, dh: other.dh.publicKey } };
    expect(
      await errorOf(() => respondKeyAgreement(bob.set.identity, lookup, forged)),
    ).toMatchObject({
      code: ErrorCode.SIGNATURE_INVALID,
      details: { field: 'initiatorIdentity.binding' },
    });
  });

  it('a low-order base key', async () => {
    for (const baseKey of [LOW_ORDER, new Uint8Array(32)]) {
      expect(
        await errorOf(() => respondKeyAgreement(bob.set.identity, lookup, { ...fields, baseKey })),
      ).toMatchObject({
        code: ErrorCode.KEY_LOW_ORDER,
        details: { field: 'baseKey' },
      });
    }
  });

  it.each([
    ['signed prekey', { signedPreKeyId: 99 }],
    ['one-time prekey', { oneTimePreKeyId: 99 }],
    ['KEM prekey', { kemPreKeyId: 99 }],
  ])('an unknown %s id', async (_name, change) => {
    expect(
      (await errorOf(() => respondKeyAgreement(bob.set.identity, lookup, { ...fields, ...change })))
        .code,
    ).toBe(ErrorCode.PREKEY_MISSING);
  });

  it('ids that exist only in another kind (never resolved across kinds)', async () => {
    // 40 is a one-time prekey id, 4 the signed prekey id, 6 the KEM prekey id.
    expect(
      (
        await errorOf(() =>
          respondKeyAgreement(bob.set.identity, lookup, { ...fields, signedPreKeyId: 40 }),
        )
      ).code,
    ).toBe(ErrorCode.PREKEY_MISSING);
    expect(
      (
        await errorOf(() =>
          respondKeyAgreement(bob.set.identity, lookup, { ...fields, oneTimePreKeyId: 4 }),
        )
      ).code,
    ).toBe(ErrorCode.PREKEY_MISSING);
    expect(
      (
        await errorOf(() =>
          respondKeyAgreement(bob.set.identity, lookup, { ...fields, kemPreKeyId: 4 }),
        )
      ).code,
    ).toBe(ErrorCode.PREKEY_MISSING);
  });

  it('a store that returns a key of the wrong kind', async () => {
    const confused: PreKeyLookup = {
      getPreKey: async (kind, id) =>
        kind === PreKeyKind.SIGNED ? bob.set.oneTimePreKeys[0] : lookup.getPreKey(kind, id),
    };
    expect(
      (await errorOf(() => respondKeyAgreement(bob.set.identity, confused, fields))).code,
    ).toBe(ErrorCode.KEY_TYPE);
  });

  it('a different KEM ciphertext gives a different secret (implicit rejection, no error)', async () => {
    const ct = Uint8Array.from(fields.kemCiphertext ?? []);
    ct[0] = (ct[0] as number) ^ 1;
    const received = await respondKeyAgreement(bob.set.identity, lookup, {
      ...fields,
      kemCiphertext: ct,
    });
    expect(received.sharedSecret).not.toEqual(sent.sharedSecret);
  });
});

describe('one-time ML-KEM prekeys', () => {
  it('the initiator names the kind it used, and the responder decapsulates with that key only', async () => {
    const r = seededRandom('x3dh.test/one-time-kem');
    // The same id in both KEM kinds: the kind, not the id, picks the key.
    const set = await generateDeviceKeySet(
      { random: r, now, generateDhKeyPair: seededDhKeyPairs(r) },
      {
        oneTimePreKeyCount: 0,
        kemPreKeyId: 7,
        oneTimeKemPreKeyCount: 2,
        firstOneTimeKemPreKeyId: 7,
      },
    );
    const bundle = bundleFromKeySet(set, { oneTimeKemPreKeyIndex: 0 });
    const sent = await initiateKeyAgreement(depsFor(), alice.set.identity, bundle);
    expect(sent.kind).toBe(KeyAgreement.PQXDH);
    expect(sent.preKey).toMatchObject({ kemPreKeyId: 7, kemPreKeyKind: PreKeyKind.ONE_TIME_KEM });
    const fields = fieldsFor(sent);
    const all = memoryPreKeyLookup(preKeysOf(set));
    const received = await respondKeyAgreement(set.identity, all, fields);
    expect(received.sharedSecret).toEqual(sent.sharedSecret);
    expect(received).toMatchObject({ kemPreKeyId: 7, kemPreKeyKind: PreKeyKind.ONE_TIME_KEM });

    // Read as the last-resort key of the same id, the secret differs (ML-KEM implicit rejection).
    const { kemPreKeyKind: _, ...asLastResort } = fields;
    const wrong = await respondKeyAgreement(set.identity, all, asLastResort);
    expect(wrong.kemPreKeyKind).toBe(PreKeyKind.KEM);
    expect(wrong.sharedSecret).not.toEqual(sent.sharedSecret);

    // Once deleted, the one-time key cannot be used again.
    const deleted = memoryPreKeyLookup(
      preKeysOf(set).filter((k) => !(k.kind === PreKeyKind.ONE_TIME_KEM && k.id === 7)),
    );
    expect(await errorOf(() => respondKeyAgreement(set.identity, deleted, fields))).toMatchObject({
      code: ErrorCode.PREKEY_MISSING,
    });
  });
});

import { describe, expect, it } from 'vitest';
import { type Bytes, concat, fromHex } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  bundleFromKeySet,
  certifyDevice,
  ENCODED_IDENTITY_BYTES,
  encodeIdentity,
  generateDeviceKey,
  generateDeviceKeySet,
  generateIdentityKeyPair,
  identityKeyPairFromPrivate,
  lookupPreKey,
  memoryPreKeyLookup,
  type PreKeyBundle,
  PreKeyKind,
  type PreKeyLookup,
  preKeysOf,
  publicIdentity,
  validateDeviceCertificate,
  validateKemPreKey,
  validateOneTimePreKey,
  validatePreKeyBundle,
  validatePublicIdentity,
  validateSignedPreKey,
} from './keys.ts';
import { systemRandom } from './random.ts';
import { seededDhKeyPairs, seededRandom } from './testing/deterministic.ts';

const LOW_ORDER = fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800');
const now = () => 1_700_000_000_000;

function flip(bytes: Uint8Array, index = 0): Bytes {
  const out = Uint8Array.from(bytes);
  out[index] = (out[index] as number) ^ 1;
  return out;
}

const random = seededRandom('keys.test');
const set = await generateDeviceKeySet(
  { random, now, generateDhKeyPair: seededDhKeyPairs(random) },
  {
    identity: await identityKeyPairFromPrivate(random(32), random(32)),
    oneTimePreKeyCount: 3,
    signedPreKeyId: 5,
    kemPreKeyId: 9,
    firstOneTimePreKeyId: 100,
  },
);
const other = await identityKeyPairFromPrivate(random(32), random(32));
const bundle = bundleFromKeySet(set, { oneTimePreKeyIndex: 1 });

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

describe('prekeys', () => {
  const signer = set.identity.signing.publicKey;

  it('accept what the generator produced', async () => {
    await validatePreKeyBundle(bundle);
    await validateSignedPreKey(signer, bundle.signedPreKey);
    validateOneTimePreKey(bundle.oneTimePreKey ?? fail());
    await validateKemPreKey(signer, bundle.kemPreKey ?? fail());
  });

  it('signed prekey: bad signature, other signer, other id, low order, wrong kind, bad id', async () => {
    const spk = bundle.signedPreKey;
    expect(
      await errorOf(() => validateSignedPreKey(signer, { ...spk, signature: flip(spk.signature) })),
    ).toMatchObject({
      code: ErrorCode.SIGNATURE_INVALID,
      details: { field: 'signedPreKey.signature' },
    });
    expect((await errorOf(() => validateSignedPreKey(other.signing.publicKey, spk))).code).toBe(
      ErrorCode.SIGNATURE_INVALID,
    );
    expect(
      (await errorOf(() => validateSignedPreKey(signer, { ...spk, id: spk.id + 1 }))).code,
    ).toBe(ErrorCode.SIGNATURE_INVALID);
    expect(
      await errorOf(() => validateSignedPreKey(signer, { ...spk, publicKey: LOW_ORDER })),
    ).toMatchObject({
      code: ErrorCode.KEY_LOW_ORDER,
      details: { field: 'signedPreKey.publicKey' },
    });
    const asOneTime = { ...spk, kind: PreKeyKind.ONE_TIME } as unknown as typeof spk;
    expect((await errorOf(() => validateSignedPreKey(signer, asOneTime))).code).toBe(
      ErrorCode.KEY_TYPE,
    );
    expect((await errorOf(() => validateSignedPreKey(signer, { ...spk, id: -1 }))).code).toBe(
      ErrorCode.BAD_ARGUMENT,
    );
    expect((await errorOf(() => validateSignedPreKey(signer, { ...spk, id: 2 ** 32 }))).code).toBe(
      ErrorCode.BAD_ARGUMENT,
    );
  });

  it('a signed prekey signature is not valid as a KEM prekey signature (context separation)', async () => {
    const kpk = bundle.kemPreKey ?? fail();
    const spk = bundle.signedPreKey;
    const swapped = { ...kpk, id: spk.id, signature: spk.signature };
    expect((await errorOf(() => validateKemPreKey(signer, swapped))).code).toBe(
      ErrorCode.SIGNATURE_INVALID,
    );
  });

  it('one-time prekey: length, low order, kind', async () => {
    const opk = bundle.oneTimePreKey ?? fail();
    expect(
      (await errorOf(() => validateOneTimePreKey({ ...opk, publicKey: new Uint8Array(32 + 1) })))
        .code,
    ).toBe(ErrorCode.KEY_LENGTH);
    expect(
      (await errorOf(() => validateOneTimePreKey({ ...opk, publicKey: new Uint8Array(32) }))).code,
    ).toBe(ErrorCode.KEY_LOW_ORDER);
    const asSigned = { ...opk, kind: PreKeyKind.SIGNED } as unknown as typeof opk;
    expect((await errorOf(() => validateOneTimePreKey(asSigned))).code).toBe(ErrorCode.KEY_TYPE);
  });

  it('KEM prekey: length, invalid encapsulation key, signature', async () => {
    const kpk = bundle.kemPreKey ?? fail();
    expect(
      await errorOf(() => validateKemPreKey(signer, { ...kpk, publicKey: new Uint8Array(1183) })),
    ).toMatchObject({
      code: ErrorCode.KEY_LENGTH,
      details: { field: 'kemPreKey.publicKey' },
    });
    // Coefficients of 0xfff are >= q: not a valid ML-KEM encapsulation key (FIPS 203 §7.2).
    const unreduced = Uint8Array.from(kpk.publicKey);
    unreduced.fill(0xff, 0, 384);
    expect(
      await errorOf(() => validateKemPreKey(signer, { ...kpk, publicKey: unreduced })),
    ).toMatchObject({
      code: ErrorCode.KEY_INVALID,
      details: { field: 'kemPreKey.publicKey' },
    });
    expect(
      (
        await errorOf(() =>
          validateKemPreKey(signer, { ...kpk, publicKey: flip(kpk.publicKey, 1183) }),
        )
      ).code,
    ).toBe(ErrorCode.SIGNATURE_INVALID);
  });

  it('bundle: reports the first failing field in a fixed order', async () => {
    const broken: PreKeyBundle = {
      ...bundle,
      signedPreKey: { ...bundle.signedPreKey, signature: flip(bundle.signedPreKey.signature) },
      kemPreKey: {
        ...(bundle.kemPreKey ?? fail()),
        signature: flip(bundle.kemPreKey?.signature ?? fail()),
      },
    };
    expect(await errorOf(() => validatePreKeyBundle(broken))).toMatchObject({
      code: ErrorCode.SIGNATURE_INVALID,
      details: { field: 'signedPreKey.signature' },
    });
    const brokenIdentity = {
      ...broken,
      identity: { ...broken.identity, binding: flip(broken.identity.binding) },
    };
    expect((await errorOf(() => validatePreKeyBundle(brokenIdentity))).details?.field).toBe(
      'identity.binding',
    );
  });

  it('bundle: one-time and KEM prekeys are optional', async () => {
    await validatePreKeyBundle(bundleFromKeySet(set, { withKemPreKey: false }));
    const noOpk = bundleFromKeySet(set);
    expect(noOpk.oneTimePreKey).toBeUndefined();
    expect(noOpk.kemPreKey?.id).toBe(9);
  });
});

describe('device certificate', () => {
  it('verifies, and fails for any changed field or another signer', async () => {
    const deviceKey = await generateDeviceKey();
    expect(deviceKey.privateKey.extractable).toBe(false);
    const cert = await certifyDevice(set.identity, {
      userId: 'alice',
      deviceId: 3,
      deviceKey: deviceKey.publicKey,
      createdAt: 1_700_000_000_123,
    });
    const signer = set.identity.signing.publicKey;
    await validateDeviceCertificate(signer, cert);
    for (const changed of [
      { ...cert, userId: 'alicf' },
      { ...cert, deviceId: 4 },
      { ...cert, createdAt: cert.createdAt + 1 },
      { ...cert, deviceKey: other.signing.publicKey },
    ]) {
      expect(await errorOf(() => validateDeviceCertificate(signer, changed))).toMatchObject({
        code: ErrorCode.SIGNATURE_INVALID,
        details: { field: 'deviceCertificate.signature' },
      });
    }
    expect(
      (await errorOf(() => validateDeviceCertificate(other.signing.publicKey, cert))).code,
    ).toBe(ErrorCode.SIGNATURE_INVALID);
    expect(
      (await errorOf(() => validateDeviceCertificate(signer, { ...cert, userId: '' }))).code,
    ).toBe(ErrorCode.BAD_ARGUMENT);
    expect(
      (await errorOf(() => validateDeviceCertificate(signer, { ...cert, createdAt: -5 }))).code,
    ).toBe(ErrorCode.BAD_ARGUMENT);
  });
});

describe('prekey lookup', () => {
  it('never resolves an id in another kind', async () => {
    // Same id in every kind: each lookup must return its own kind.
    const r = seededRandom('same-ids');
    const same = await generateDeviceKeySet(
      { random: r, now, generateDhKeyPair: seededDhKeyPairs(r) },
      {
        identity: set.identity,
        signedPreKeyId: 1,
        kemPreKeyId: 1,
        firstOneTimePreKeyId: 1,
        oneTimePreKeyCount: 1,
      },
    );
    const lookup = memoryPreKeyLookup(preKeysOf(same));
    expect((await lookupPreKey(lookup, PreKeyKind.SIGNED, 1)).kind).toBe(PreKeyKind.SIGNED);
    expect((await lookupPreKey(lookup, PreKeyKind.ONE_TIME, 1)).kind).toBe(PreKeyKind.ONE_TIME);
    expect((await lookupPreKey(lookup, PreKeyKind.KEM, 1)).kind).toBe(PreKeyKind.KEM);
    expect(await errorOf(() => lookupPreKey(lookup, PreKeyKind.ONE_TIME, 2))).toMatchObject({
      code: ErrorCode.PREKEY_MISSING,
    });
  });

  it('rejects a store that answers with another kind or id', async () => {
    const wrongKind: PreKeyLookup = { getPreKey: async () => set.signedPreKey };
    expect(
      (await errorOf(() => lookupPreKey(wrongKind, PreKeyKind.ONE_TIME, set.signedPreKey.id))).code,
    ).toBe(ErrorCode.KEY_TYPE);
    const wrongId: PreKeyLookup = { getPreKey: async () => set.oneTimePreKeys[0] };
    expect((await errorOf(() => lookupPreKey(wrongId, PreKeyKind.ONE_TIME, 12345))).code).toBe(
      ErrorCode.KEY_TYPE,
    );
  });
});

describe('generateDeviceKeySet', () => {
  it('creates the requested counts and ids, all valid', async () => {
    const fresh = await generateDeviceKeySet(
      { random: systemRandom, now },
      { oneTimePreKeyCount: 4, firstOneTimePreKeyId: 7 },
    );
    expect(fresh.oneTimePreKeys.map((k) => k.id)).toEqual([7, 8, 9, 10]);
    expect(fresh.signedPreKey.createdAt).toBe(now());
    await validatePreKeyBundle(bundleFromKeySet(fresh, { oneTimePreKeyIndex: 3 }));
    expect(() => bundleFromKeySet(fresh, { oneTimePreKeyIndex: 4 })).toThrow(RangeError);
  });
});

function fail(): never {
  throw new Error('fixture is missing a key');
}

describe('private key extractability', () => {
  it('keeps generated prekeys and identities inside WebCrypto by default', async () => {
    const fresh = await generateDeviceKeySet(
      { random: systemRandom, now },
      { oneTimePreKeyCount: 1 },
    );
    expect(fresh.identity.dh.privateKey.extractable).toBe(false);
    expect(fresh.identity.signing.privateKey.extractable).toBe(false);
    expect(fresh.signedPreKey.keyPair.privateKey.extractable).toBe(false);
    expect(fresh.oneTimePreKeys[0]?.keyPair.privateKey.extractable).toBe(false);
  });
});

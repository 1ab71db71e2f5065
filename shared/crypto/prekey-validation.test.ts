import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { bundleFromKeySet } from './device-key-set.ts';
import {
  validateKemPreKey,
  validateOneTimeKemPreKeys,
  validateOneTimePreKey,
  validatePreKeyBundle,
  validateSignedPreKey,
} from './prekey-validation.ts';
import {
  type KemPreKeyPublic,
  kemPreKeyPublic,
  type OneTimeKemPreKeyPublic,
  oneTimeKemPreKeyPublic,
  type PreKeyBundle,
  PreKeyKind,
} from './prekeys.ts';
import { bundle, flip, LOW_ORDER, missing, other, set } from './testing/key-fixtures.ts';

describe('prekeys', () => {
  const signer = set.identity.signing.publicKey;

  it('accept what the generator produced', async () => {
    await validatePreKeyBundle(bundle);
    await validateSignedPreKey(signer, bundle.signedPreKey);
    validateOneTimePreKey(bundle.oneTimePreKey ?? missing());
    await validateKemPreKey(signer, kemPreKeyPublic(set.kemPreKey));
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
    const kpk = kemPreKeyPublic(set.kemPreKey);
    const spk = bundle.signedPreKey;
    const swapped = { ...kpk, id: spk.id, signature: spk.signature };
    expect((await errorOf(() => validateKemPreKey(signer, swapped))).code).toBe(
      ErrorCode.SIGNATURE_INVALID,
    );
  });

  it('one-time prekey: length, low order, kind', async () => {
    const opk = bundle.oneTimePreKey ?? missing();
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
    const kpk = kemPreKeyPublic(set.kemPreKey);
    expect(
      await errorOf(() => validateKemPreKey(signer, { ...kpk, publicKey: new Uint8Array(1183) })),
    ).toMatchObject({ code: ErrorCode.KEY_LENGTH, details: { field: 'kemPreKey.publicKey' } });
    // Coefficients of 0xfff are >= q: not a valid ML-KEM encapsulation key (FIPS 203 §7.2).
    const unreduced = Uint8Array.from(kpk.publicKey);
    unreduced.fill(0xff, 0, 384);
    expect(
      await errorOf(() => validateKemPreKey(signer, { ...kpk, publicKey: unreduced })),
    ).toMatchObject({ code: ErrorCode.KEY_INVALID, details: { field: 'kemPreKey.publicKey' } });
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
        ...(bundle.kemPreKey ?? missing()),
        signature: flip(bundle.kemPreKey?.signature ?? missing()),
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

describe('one-time ML-KEM prekeys', () => {
  const signer = set.identity.signing.publicKey;
  const oneTime = set.oneTimeKemPreKeys.map(oneTimeKemPreKeyPublic);
  const first = oneTime[0] ?? missing();
  const lastResort = kemPreKeyPublic(set.kemPreKey);

  it('accept what the generator produced, alone and in a bundle', async () => {
    expect(oneTime.map((k) => [k.kind, k.id])).toEqual([
      [PreKeyKind.ONE_TIME_KEM, 40],
      [PreKeyKind.ONE_TIME_KEM, 41],
    ]);
    await validateOneTimeKemPreKeys(signer, oneTime);
    const withOneTime = bundleFromKeySet(set, { oneTimeKemPreKeyIndex: 1 });
    expect(withOneTime.kemPreKey).toEqual(oneTime[1]);
    await validatePreKeyBundle(withOneTime);
  });

  it('refuse a tampered signature, key or id, and another signer', async () => {
    const changed: OneTimeKemPreKeyPublic[] = [
      { ...first, signature: flip(first.signature) },
      { ...first, publicKey: flip(first.publicKey, 1183) },
      { ...first, id: first.id + 1 },
    ];
    for (const key of changed) {
      expect(
        await errorOf(() => validateOneTimeKemPreKeys(signer, [oneTime[1] ?? missing(), key])),
      ).toMatchObject({
        code: ErrorCode.SIGNATURE_INVALID,
        details: { field: 'oneTimeKemPreKeys[1].signature' },
      });
    }
    expect(
      (await errorOf(() => validateOneTimeKemPreKeys(other.signing.publicKey, [first]))).code,
    ).toBe(ErrorCode.SIGNATURE_INVALID);
  });

  it('never take a last-resort key for a one-time one, or the reverse', async () => {
    // Wrong kind: refused before any signature is checked.
    const asOneTime = lastResort as unknown as OneTimeKemPreKeyPublic;
    expect(await errorOf(() => validateOneTimeKemPreKeys(signer, [asOneTime]))).toMatchObject({
      code: ErrorCode.KEY_TYPE,
      details: { field: 'oneTimeKemPreKeys[0]' },
    });
    const asLastResort = first as unknown as KemPreKeyPublic;
    expect((await errorOf(() => validateKemPreKey(signer, asLastResort))).code).toBe(
      ErrorCode.KEY_TYPE,
    );
    // Relabelled: the kind picks the signature context, so the signature no longer verifies.
    const relabelled: OneTimeKemPreKeyPublic = { ...lastResort, kind: PreKeyKind.ONE_TIME_KEM };
    expect((await errorOf(() => validateOneTimeKemPreKeys(signer, [relabelled]))).code).toBe(
      ErrorCode.SIGNATURE_INVALID,
    );
    const demoted: KemPreKeyPublic = { ...first, kind: PreKeyKind.KEM };
    expect((await errorOf(() => validateKemPreKey(signer, demoted))).code).toBe(
      ErrorCode.SIGNATURE_INVALID,
    );
    const inBundle: PreKeyBundle = { ...bundle, kemPreKey: relabelled };
    expect(await errorOf(() => validatePreKeyBundle(inBundle))).toMatchObject({
      code: ErrorCode.SIGNATURE_INVALID,
      details: { field: 'kemPreKey.signature' },
    });
    const otherKind = { ...first, kind: PreKeyKind.SIGNED } as unknown as OneTimeKemPreKeyPublic;
    expect(
      (await errorOf(() => validatePreKeyBundle({ ...bundle, kemPreKey: otherKind }))).code,
    ).toBe(ErrorCode.KEY_TYPE);
  });

  it('check the encapsulation key (FIPS 203)', async () => {
    const unreduced = Uint8Array.from(first.publicKey);
    unreduced.fill(0xff, 0, 384);
    expect(
      await errorOf(() => validateOneTimeKemPreKeys(signer, [{ ...first, publicKey: unreduced }])),
    ).toMatchObject({
      code: ErrorCode.KEY_INVALID,
      details: { field: 'oneTimeKemPreKeys[0].publicKey' },
    });
  });
});

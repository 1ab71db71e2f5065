import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import { DEVICE_LIST_MAX_DEVICES } from '../wire/limits.ts';
import {
  acceptNext,
  decodeDeviceList,
  outcomeError,
  signDeviceList,
  verifyDeviceList,
} from './device-list.ts';
import { generateSigningKeyPair } from './ed25519.ts';
import { entryFor, listAccount, nextList } from './testing/device-list-fixtures.ts';

const account = await listAccount();
const expected = { userId: account.userId, identityKey: account.identity.signing.publicKey };
const [d1, d2, d3] = account.devices as [
  (typeof account.devices)[0],
  (typeof account.devices)[0],
  (typeof account.devices)[0],
];

describe('signed device list', () => {
  it('round-trips and verifies; devices come out sorted by id', async () => {
    const v1 = await nextList(account, undefined, [d3, d1]);
    const back = await verifyDeviceList(v1.encoded, expected);
    expect(back.version).toBe(1);
    expect(back.devices.map((d) => d.deviceId)).toEqual([1, 3]);
    expect(back.hash).toEqual(v1.hash);
    expect(back.prevHash.every((b) => b === 0)).toBe(true);
  });

  it('refuses another account, another identity, a list signed by another key', async () => {
    const v1 = await nextList(account, undefined, [d1]);
    const other = await listAccount();
    for (const e of [
      { ...expected, userId: other.userId.replace('1', '2') },
      { ...expected, identityKey: other.identity.signing.publicKey },
    ]) {
      expect((await errorOf(() => verifyDeviceList(v1.encoded, e))).code).toBe(
        ErrorCode.DEVICE_LIST_INVALID,
      );
    }
    // The relay's own list: right names, wrong signer.
    const forged = await signDeviceList(other.identity.signing.privateKey, {
      ...v1,
      devices: v1.devices,
    });
    expect(await errorOf(() => verifyDeviceList(forged.encoded, expected))).toMatchObject({
      code: ErrorCode.DEVICE_LIST_INVALID,
      details: { reason: 'signature: deviceList.signature' },
    });
  });

  it('refuses a device whose binding another key made (a relay-made device)', async () => {
    const intruder = await generateSigningKeyPair(false);
    const good = await entryFor(account, d1);
    const signedByOther = { ...good, deviceKey: intruder.publicKey };
    const list = await signDeviceList(account.identity.signing.privateKey, {
      userId: account.userId,
      identityKey: account.identity.signing.publicKey,
      version: 1,
      prevHash: new Uint8Array(32),
      issuedAt: 1,
      devices: [signedByOther],
    });
    expect((await errorOf(() => verifyDeviceList(list.encoded, expected))).code).toBe(
      ErrorCode.DEVICE_LIST_INVALID,
    );
  });

  it(`holds 1 to ${DEVICE_LIST_MAX_DEVICES} devices, unique ids, zero prevHash in version 1`, async () => {
    const many = await listAccount(account.userId, [1, 2, 3, 4, 5, 6, 7]);
    const entries = await Promise.all(many.devices.map((d) => entryFor(many, d)));
    const body = {
      userId: many.userId,
      identityKey: many.identity.signing.publicKey,
      version: 1,
      prevHash: new Uint8Array(32),
      issuedAt: 1,
    };
    const key = many.identity.signing.privateKey;
    await signDeviceList(key, { ...body, devices: entries.slice(0, 6) });
    for (const bad of [
      { ...body, devices: entries },
      { ...body, devices: [] },
      { ...body, devices: [entries[0], entries[0]] },
      { ...body, devices: entries.slice(0, 1), prevHash: new Uint8Array(32).fill(1) },
      { ...body, devices: entries.slice(0, 1), version: 0 },
    ]) {
      expect(
        (await errorOf(() => signDeviceList(key, bad as Parameters<typeof signDeviceList>[1])))
          .code,
      ).toBe(ErrorCode.DEVICE_LIST_INVALID);
    }
  });

  it('decodes only its exact encoding (no trailing bytes, no truncation, known format)', async () => {
    const v1 = await nextList(account, undefined, [d1, d2]);
    for (const bad of [
      v1.encoded.subarray(0, v1.encoded.length - 1),
      new Uint8Array([...v1.encoded, 0]),
      new Uint8Array([2, ...v1.encoded.subarray(1)]),
    ]) {
      expect(errorOf(() => decodeDeviceList(bad)).code).toBe(ErrorCode.DEVICE_LIST_INVALID);
    }
  });
});

describe('acceptNext', () => {
  it('accepts a first list, then only the next version chaining to the held one', async () => {
    const v1 = await nextList(account, undefined, [d1]);
    const v2 = await nextList(account, v1, [d1, d2]);
    const v3 = await nextList(account, v2, [d2]);
    expect(acceptNext(undefined, v1)).toEqual({ kind: 'accepted', list: v1 });
    expect(acceptNext(v1, v2)).toEqual({ kind: 'accepted', list: v2 });
    expect(acceptNext(v2, v2)).toEqual({ kind: 'same' });
    expect(acceptNext(v2, v1)).toEqual({ kind: 'rollback', held: 2, offered: 1 });
    expect(acceptNext(v1, v3)).toEqual({ kind: 'broken-chain', held: 1, offered: 3 });
    expect(acceptNext(v1, v3, [v2])).toEqual({ kind: 'accepted', list: v3 });
  });

  it('two different lists of one version are a fork', async () => {
    const v1 = await nextList(account, undefined, [d1]);
    const a = await nextList(account, v1, [d1, d2]);
    const b = await nextList(account, v1, [d1, d3]);
    const outcome = acceptNext(a, b);
    expect(outcome).toEqual({ kind: 'fork', version: 2 });
    expect(outcomeError(outcome)?.code).toBe(ErrorCode.DEVICE_LIST_FORK);
    // A version 3 chaining from the other branch does not chain to the held one.
    const c = await nextList(account, b, [d1]);
    expect(acceptNext(a, c).kind).toBe('broken-chain');
  });
});

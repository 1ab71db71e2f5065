import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../bytes.ts';
import { summarizeIssue } from './issues.ts';
import {
  MAX_DEVICES_PER_USER,
  ONE_TIME_KEM_PREKEYS_MAX_UPLOAD,
  ONE_TIME_PREKEYS_MAX_UPLOAD,
  REST_BODY_MAX_BYTES,
} from './limits.ts';
import { serializeRestBody, toJsonShape } from './rest-codec.ts';
import {
  BlockListResponseSchema,
  DeviceListResponseSchema,
  DeviceRegistrationSchema,
  PrekeyBundlesResponseSchema,
  PrekeyStatusResponseSchema,
  PrekeyUploadSchema,
  UserLookupResponseSchema,
} from './rest-devices.ts';
import { sampleBundles, sampleRegistration } from './testing/rest-samples.ts';
import { ALICE, BOB, seq } from './testing/samples.ts';

type Json = Record<string, unknown>;

function outcome(schema: v.GenericSchema, value: unknown): { path: string; reason: string } | 'ok' {
  const result = v.safeParse(schema, value, { abortEarly: true });
  return result.success ? 'ok' : summarizeIssue(result.issues[0]);
}

const registration = () =>
  toJsonShape(sampleRegistration()) as unknown as Json & {
    device: Json;
    identity: Json;
    signedPreKey: Json;
    kemPreKey: Json;
    oneTimePreKeys: Json[];
  };

describe('device registration', () => {
  it('parses the JSON shape into the byte shape', () => {
    expect(v.parse(DeviceRegistrationSchema, registration())).toEqual(sampleRegistration());
    const { name: _, ...unnamed } = sampleRegistration().device;
    expect(
      outcome(DeviceRegistrationSchema, { ...registration(), device: toJsonShape(unnamed) }),
    ).toBe('ok');
    expect(outcome(DeviceRegistrationSchema, { ...registration(), oneTimePreKeys: [] })).toBe('ok');
  });

  const cases: [string, (b: ReturnType<typeof registration>) => void, string, string][] = [
    [
      'a 31-byte identity DH key',
      (b) => {
        b.identity.dh = toBase64Url(seq(31));
      },
      'identity.dh',
      'length',
    ],
    [
      'a 33-byte device key',
      (b) => {
        b.device.key = toBase64Url(seq(33));
      },
      'device.key',
      'length',
    ],
    [
      'a 63-byte certificate',
      (b) => {
        b.device.certificate = toBase64Url(seq(63));
      },
      'device.certificate',
      'length',
    ],
    [
      'a 1183-byte KEM key',
      (b) => {
        b.kemPreKey.publicKey = toBase64Url(seq(1183));
      },
      'kemPreKey.publicKey',
      'length',
    ],
    [
      'a 65-byte KEM signature',
      (b) => {
        b.kemPreKey.signature = toBase64Url(seq(65));
      },
      'kemPreKey.signature',
      'length',
    ],
    [
      'a signed prekey id above u32',
      (b) => {
        b.signedPreKey.id = 2 ** 32;
      },
      'signedPreKey.id',
      'max_value',
    ],
    [
      'device id 0',
      (b) => {
        b.device.id = 0;
      },
      'device.id',
      'min_value',
    ],
    [
      'a name with a bidi override',
      (b) => {
        b.device.name = 'evil\u202ename';
      },
      'device.name',
      'regex',
    ],
    [
      'an empty name',
      (b) => {
        b.device.name = '';
      },
      'device.name',
      'min_length',
    ],
    [
      'a 65-character name',
      (b) => {
        b.device.name = 'n'.repeat(65);
      },
      'device.name',
      'max_length',
    ],
    [
      '101 one-time prekeys',
      (b) => {
        b.oneTimePreKeys = toJsonShape(
          sampleRegistration(ONE_TIME_PREKEYS_MAX_UPLOAD + 1).oneTimePreKeys,
        ) as Json[];
      },
      'oneTimePreKeys',
      'max_length',
    ],
    [
      'duplicate one-time prekey ids',
      (b) => {
        (b.oneTimePreKeys[5] as Json).id = 100;
      },
      'oneTimePreKeys[5]',
      'duplicate',
    ],
    [
      'an unknown member',
      (b) => {
        b.registrationId = 5;
      },
      'registrationId',
      'unknown_field',
    ],
    [
      'an unknown nested member',
      (b) => {
        b.identity.extra = 'x';
      },
      'identity.extra',
      'unknown_field',
    ],
    [
      'a missing KEM prekey',
      (b) => {
        delete (b as Json).kemPreKey;
      },
      'kemPreKey',
      'missing_field',
    ],
    [
      'bytes as a number array',
      (b) => {
        b.identity.dh = Array.from(seq(32));
      },
      'identity.dh',
      'wrong_type',
    ],
  ];
  it.each(cases)('rejects %s', (_, mutate, path, reason) => {
    const body = registration();
    mutate(body);
    expect(outcome(DeviceRegistrationSchema, body)).toEqual({ path, reason });
  });
});

describe('prekey upload', () => {
  const reg = sampleRegistration();
  it('accepts any non-empty combination', () => {
    expect(outcome(PrekeyUploadSchema, toJsonShape({ signedPreKey: reg.signedPreKey }))).toBe('ok');
    expect(
      outcome(
        PrekeyUploadSchema,
        toJsonShape({ kemPreKey: reg.kemPreKey, oneTimePreKeys: reg.oneTimePreKeys }),
      ),
    ).toBe('ok');
  });
  it('rejects an empty upload', () => {
    expect(outcome(PrekeyUploadSchema, {})).toEqual({ path: '', reason: 'empty' });
    expect(outcome(PrekeyUploadSchema, { oneTimePreKeys: [] })).toEqual({
      path: 'oneTimePreKeys',
      reason: 'min_length',
    });
    expect(outcome(PrekeyUploadSchema, { oneTimeKemPreKeys: [] })).toEqual({
      path: 'oneTimeKemPreKeys',
      reason: 'min_length',
    });
  });

  const kemKeys = (n: number, firstId = 1) =>
    Array.from({ length: n }, (_, i) => ({
      id: firstId + i,
      publicKey: seq(1184, i),
      signature: seq(64, i),
    }));

  it('one-time ML-KEM prekeys: alone, at most ONE_TIME_KEM_PREKEYS_MAX_UPLOAD, unique ids', () => {
    expect(outcome(PrekeyUploadSchema, toJsonShape({ oneTimeKemPreKeys: kemKeys(1) }))).toBe('ok');
    expect(
      outcome(
        PrekeyUploadSchema,
        toJsonShape({ oneTimeKemPreKeys: kemKeys(ONE_TIME_KEM_PREKEYS_MAX_UPLOAD + 1) }),
      ),
    ).toEqual({ path: 'oneTimeKemPreKeys', reason: 'max_length' });
    const twice = [...kemKeys(1), ...kemKeys(1)];
    expect(outcome(PrekeyUploadSchema, toJsonShape({ oneTimeKemPreKeys: twice }))).toEqual({
      path: 'oneTimeKemPreKeys[1]',
      reason: 'duplicate',
    });
  });

  it('the largest upload (every member full) fits in REST_BODY_MAX_BYTES', () => {
    const largest = {
      signedPreKey: reg.signedPreKey,
      kemPreKey: { ...reg.kemPreKey, id: 0xffff_ffff },
      oneTimePreKeys: Array.from({ length: ONE_TIME_PREKEYS_MAX_UPLOAD }, (_, i) => ({
        id: 0xffff_ffff - i,
        publicKey: seq(32, i),
      })),
      oneTimeKemPreKeys: kemKeys(ONE_TIME_KEM_PREKEYS_MAX_UPLOAD, 0xffff_ffff - 100),
    };
    const text = serializeRestBody(PrekeyUploadSchema, largest);
    expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(REST_BODY_MAX_BYTES);
  });
});

describe('prekey status', () => {
  it('counts one-time ML-KEM prekeys, and parses a relay that does not', () => {
    const status = { oneTimePreKeys: 5, signedPreKeyId: 1, kemPreKeyId: 2 };
    expect(outcome(PrekeyStatusResponseSchema, status)).toBe('ok');
    expect(outcome(PrekeyStatusResponseSchema, { ...status, oneTimeKemPreKeys: 7 })).toBe('ok');
  });
});

describe('directory responses', () => {
  it('bundles: parse, with and without one-time prekeys', () => {
    expect(v.parse(PrekeyBundlesResponseSchema, toJsonShape(sampleBundles()))).toEqual(
      sampleBundles(),
    );
  });

  it('bundles: the KEM prekey may be marked one-time (true only); old bundles parse as last-resort', () => {
    const json = toJsonShape(sampleBundles());
    const first = json.devices[0] as Json & { kemPreKey: Json };
    const marked = { ...first, kemPreKey: { ...first.kemPreKey, oneTime: true } };
    const parsed = v.parse(PrekeyBundlesResponseSchema, { ...json, devices: [marked] });
    expect(parsed.devices[0]?.kemPreKey.oneTime).toBe(true);
    expect(
      v.parse(PrekeyBundlesResponseSchema, json).devices[0]?.kemPreKey.oneTime,
    ).toBeUndefined();
    const falsy = { ...first, kemPreKey: { ...first.kemPreKey, oneTime: false } };
    expect(outcome(PrekeyBundlesResponseSchema, { ...json, devices: [falsy] })).toMatchObject({
      path: 'devices[0].kemPreKey.oneTime',
    });
  });

  it('bundles: at least one, at most MAX_DEVICES_PER_USER, unique device ids', () => {
    const json = toJsonShape(sampleBundles());
    expect(outcome(PrekeyBundlesResponseSchema, { ...json, devices: [] })).toEqual({
      path: 'devices',
      reason: 'min_length',
    });
    const first = json.devices[0];
    expect(outcome(PrekeyBundlesResponseSchema, { ...json, devices: [first, first] })).toEqual({
      path: 'devices[1]',
      reason: 'duplicate',
    });
    const many = Array.from({ length: MAX_DEVICES_PER_USER + 1 }, (_, i) => ({
      ...first,
      id: i + 1,
    }));
    expect(outcome(PrekeyBundlesResponseSchema, { ...json, devices: many })).toEqual({
      path: 'devices',
      reason: 'max_length',
    });
  });

  it('device list may be empty (all devices removed) but not duplicate', () => {
    const reg = sampleRegistration();
    const list = { user: ALICE, identity: reg.identity, devices: [reg.device] };
    expect(v.parse(DeviceListResponseSchema, toJsonShape(list))).toEqual(list);
    expect(outcome(DeviceListResponseSchema, toJsonShape({ ...list, devices: [] }))).toBe('ok');
    expect(
      outcome(
        DeviceListResponseSchema,
        toJsonShape({ ...list, devices: [reg.device, reg.device] }),
      ),
    ).toEqual({
      path: 'devices[1]',
      reason: 'duplicate',
    });
  });

  it('lookup returns canonical handles only; block lists are unique', () => {
    expect(outcome(UserLookupResponseSchema, { user: BOB, handle: 'bob' })).toBe('ok');
    expect(outcome(UserLookupResponseSchema, { user: BOB, handle: 'Bob' })).toEqual({
      path: 'handle',
      reason: 'check',
    });
    expect(outcome(BlockListResponseSchema, { users: [BOB, ALICE] })).toBe('ok');
    expect(outcome(BlockListResponseSchema, { users: [BOB, BOB] })).toEqual({
      path: 'users[1]',
      reason: 'duplicate',
    });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat } from '../bytes.ts';
import { ErrorCode, isParleyError } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  associatedData,
  decodeMessage,
  encodeMessage,
  encodePreKeyFields,
  encodeRatchetHeader,
  expectMessageType,
  MessageType,
  PROTOCOL_VERSION,
  type PreKeyFields,
  RATCHET_HEADER_BYTES,
  readEnvelope,
} from './message-format.ts';
import { PreKeyKind } from './prekeys.ts';

const key = (fill: number) => new Uint8Array(32).fill(fill);
const header = { dh: key(1), pn: 7, n: 0x01020304 };
const body = new Uint8Array(160 + 16).fill(0xcc);

const preKey: PreKeyFields = {
  identity: { dh: key(2), signing: key(3), binding: new Uint8Array(64).fill(4) },
  baseKey: key(5),
  signedPreKeyId: 6,
  oneTimePreKeyId: 0xfffffffe,
  kemPreKeyId: 8,
  kemCiphertext: new Uint8Array(1088).fill(9),
};

describe('ratchet message', () => {
  it('has the documented layout and decodes back', () => {
    const bytes = encodeMessage(MessageType.RATCHET, [encodeRatchetHeader(header), body]);
    expect(bytes.length).toBe(2 + RATCHET_HEADER_BYTES + body.length);
    expect([...bytes.subarray(0, 2)]).toEqual([PROTOCOL_VERSION, MessageType.RATCHET]);
    expect([...bytes.subarray(34, 42)]).toEqual([0, 0, 0, 7, 1, 2, 3, 4]);
    const decoded = decodeMessage(bytes);
    expect(decoded.type).toBe(MessageType.RATCHET);
    expect(decoded.preKey).toBeUndefined();
    expect(decoded.header).toEqual(header);
    expect(decoded.headerEnd).toBe(42);
    expect(decoded.ciphertext).toEqual(body);
  });
});

describe('prekey message', () => {
  it.each([
    ['PQXDH with one-time prekey', {}, 0x03, 167 + 4 + 4 + 1088],
    ['PQXDH without one-time prekey', { oneTimePreKeyId: undefined }, 0x02, 167 + 4 + 1088],
    [
      'PQXDH with a one-time KEM prekey',
      { kemPreKeyKind: PreKeyKind.ONE_TIME_KEM },
      0x07,
      167 + 4 + 4 + 1088,
    ],
    [
      'PQXDH with a one-time KEM prekey, no one-time prekey',
      { oneTimePreKeyId: undefined, kemPreKeyKind: PreKeyKind.ONE_TIME_KEM },
      0x06,
      167 + 4 + 1088,
    ],
    [
      'X3DH with one-time prekey',
      { kemPreKeyId: undefined, kemCiphertext: undefined },
      0x01,
      167 + 4,
    ],
    [
      'X3DH without one-time prekey',
      { oneTimePreKeyId: undefined, kemPreKeyId: undefined, kemCiphertext: undefined },
      0x00,
      167,
    ],
  ])('%s round-trips with flags %i', (_name, change, flags, prefixEnd) => {
    const fields = { ...preKey, ...change };
    const bytes = encodeMessage(MessageType.PREKEY, [
      encodePreKeyFields(fields),
      encodeRatchetHeader(header),
      body,
    ]);
    expect(bytes[2]).toBe(flags);
    const decoded = decodeMessage(bytes);
    expect(decoded.type).toBe(MessageType.PREKEY);
    expect(decoded.headerEnd).toBe(prefixEnd + RATCHET_HEADER_BYTES);
    expect(decoded.preKey).toEqual(fields);
    expect(decoded.header).toEqual(header);
  });

  it('names the last-resort KEM prekey by leaving the kind out', () => {
    const bytes = encodePreKeyFields({ ...preKey, kemPreKeyKind: PreKeyKind.KEM });
    expect(bytes[0]).toBe(0x03);
  });

  it('refuses the one-time KEM flag without a KEM prekey', async () => {
    const bytes = encodeMessage(MessageType.PREKEY, [
      encodePreKeyFields({
        ...preKey,
        oneTimePreKeyId: undefined,
        kemPreKeyId: undefined,
        kemCiphertext: undefined,
      }),
      encodeRatchetHeader(header),
      body,
    ]);
    bytes[2] = 0x04;
    expect((await errorOf(() => decodeMessage(bytes))).code).toBe(ErrorCode.MESSAGE_MALFORMED);
  });

  it('refuses a KEM id without its ciphertext (a caller bug: TypeError)', () => {
    expect(() => encodePreKeyFields({ ...preKey, kemCiphertext: undefined })).toThrow(TypeError);
  });
});

describe('decoding rejects', () => {
  const good = encodeMessage(MessageType.RATCHET, [encodeRatchetHeader(header), body]);
  const goodPreKey = encodeMessage(MessageType.PREKEY, [
    encodePreKeyFields(preKey),
    encodeRatchetHeader(header),
    body,
  ]);

  it('empty or one-byte input as MESSAGE_MALFORMED', async () => {
    expect((await errorOf(() => decodeMessage(new Uint8Array(0)))).code).toBe(
      ErrorCode.MESSAGE_MALFORMED,
    );
    expect((await errorOf(() => decodeMessage(new Uint8Array([1])))).code).toBe(
      ErrorCode.MESSAGE_MALFORMED,
    );
  });

  it('an unknown version as MESSAGE_VERSION, before looking at the type', async () => {
    for (const version of [0, 2, 255]) {
      const bytes = Uint8Array.from(good);
      bytes[0] = version;
      expect((await errorOf(() => decodeMessage(bytes))).code).toBe(ErrorCode.MESSAGE_VERSION);
    }
  });

  it('group and unknown types as MESSAGE_TYPE', async () => {
    for (const type of [
      0,
      MessageType.SENDER_KEY_MESSAGE,
      MessageType.SENDER_KEY_DISTRIBUTION,
      5,
      255,
    ]) {
      const bytes = Uint8Array.from(good);
      bytes[1] = type;
      expect((await errorOf(() => decodeMessage(bytes))).code).toBe(ErrorCode.MESSAGE_TYPE);
    }
  });

  it('a type not accepted by the caller as MESSAGE_TYPE', async () => {
    expect((await errorOf(() => decodeMessage(good, [MessageType.PREKEY]))).code).toBe(
      ErrorCode.MESSAGE_TYPE,
    );
    expect((await errorOf(() => decodeMessage(goodPreKey, [MessageType.RATCHET]))).code).toBe(
      ErrorCode.MESSAGE_TYPE,
    );
    expect(expectMessageType(good, [MessageType.RATCHET])).toBe(MessageType.RATCHET);
  });

  it('every truncation as MESSAGE_MALFORMED', async () => {
    for (const message of [good, goodPreKey]) {
      for (let length = 2; length < message.length; length++) {
        expect((await errorOf(() => decodeMessage(message.subarray(0, length)))).code).toBe(
          ErrorCode.MESSAGE_MALFORMED,
        );
      }
    }
  });

  it('ciphertext lengths that are not a padded size', async () => {
    expect((await errorOf(() => decodeMessage(concat(good, new Uint8Array(1))))).code).toBe(
      ErrorCode.MESSAGE_MALFORMED,
    );
    expect(() => decodeMessage(concat(good, new Uint8Array(160)))).not.toThrow();
  });

  it('unknown prekey flags', async () => {
    const bytes = Uint8Array.from(goodPreKey);
    bytes[2] = 0x0b;
    expect((await errorOf(() => decodeMessage(bytes))).code).toBe(ErrorCode.MESSAGE_MALFORMED);
  });

  it('random bytes only with message error codes (never a TypeError or RangeError)', () => {
    const allowed = new Set<string>([
      ErrorCode.MESSAGE_MALFORMED,
      ErrorCode.MESSAGE_VERSION,
      ErrorCode.MESSAGE_TYPE,
    ]);
    const arbitraryMessage = fc.oneof(
      fc.uint8Array({ maxLength: 1500 }),
      fc
        .tuple(fc.constantFrom(1, 2), fc.uint8Array({ maxLength: 1500 }))
        .map(([type, rest]) => concat(new Uint8Array([1, type]), rest)),
      fc.tuple(fc.nat(goodPreKey.length), fc.nat(255)).map(([i, v]) => {
        const b = Uint8Array.from(goodPreKey);
        b[i] = v;
        return b;
      }),
    );
    fc.assert(
      fc.property(arbitraryMessage, (bytes) => {
        try {
          decodeMessage(bytes);
        } catch (e) {
          expect(isParleyError(e) && allowed.has(e.code)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('associated data', () => {
  it('is envelope || identities || header (everything but the ciphertext)', () => {
    const bytes = encodeMessage(MessageType.RATCHET, [encodeRatchetHeader(header), body]);
    const identities = new Uint8Array(130).fill(0xab);
    const ad = associatedData(bytes, 42, identities);
    expect(ad).toEqual(concat(bytes.subarray(0, 2), identities, bytes.subarray(2, 42)));
  });

  it('readEnvelope reports version and type', () => {
    expect(readEnvelope(new Uint8Array([1, 4]))).toEqual({ version: 1, type: 4 });
  });
});

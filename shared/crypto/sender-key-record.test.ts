import { describe, expect, it } from 'vitest';
import { type Bytes, concat, toHex, utf8 } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  deserializeSenderKeyRecord,
  deserializeSenderKeyState,
  serializeSenderKeyRecord,
  serializeSenderKeyState,
} from './sender-key-record.ts';
import { decryptGroupMessage, encryptGroupMessage } from './sender-keys.ts';
import { aliceIdentity, clock, encryptMany, setup } from './testing/sender-key-fixtures.ts';

describe('sender keys: persistence', () => {
  it('round-trips records and sender states to versioned bytes', async () => {
    const { sender, record } = await setup();
    const { state, messages } = await encryptMany(sender, 5);
    const r = (await decryptGroupMessage(clock(), record, messages[3] as Bytes, aliceIdentity))
      .record;
    const bytes = serializeSenderKeyRecord(r);
    expect([bytes[0], bytes[1]]).toEqual([1, 1]);
    const restored = deserializeSenderKeyRecord(bytes);
    expect(toHex(serializeSenderKeyRecord(restored))).toBe(toHex(bytes));
    expect(
      (await decryptGroupMessage(clock(), restored, messages[1] as Bytes, aliceIdentity)).iteration,
    ).toBe(1);

    const stateBytes = await serializeSenderKeyState(state);
    expect([stateBytes[0], stateBytes[1]]).toEqual([1, 2]);
    const restoredState = await deserializeSenderKeyState(stateBytes);
    expect(toHex(await serializeSenderKeyState(restoredState))).toBe(toHex(stateBytes));
    const next = await encryptGroupMessage(restoredState, utf8('after restore'), aliceIdentity);
    const dec = await decryptGroupMessage(clock(), restored, next.message, aliceIdentity);
    expect(dec.iteration).toBe(5);
  });

  it('rejects a stored record naming one skipped key twice', async () => {
    const { sender, record } = await setup();
    const { messages } = await encryptMany(sender, 3);
    const r = (await decryptGroupMessage(clock(), record, messages[2] as Bytes, aliceIdentity))
      .record;
    const bytes = serializeSenderKeyRecord(r);
    // 19 header bytes, 74 chain bytes, then 44-byte skipped keys led by their u32 iteration.
    const twice = bytes.slice();
    twice.set(bytes.subarray(93, 97), 93 + 44);
    expect(errorOf(() => deserializeSenderKeyRecord(twice)).code).toBe(ErrorCode.STATE_CORRUPT);
  });

  it('rejects other versions, other kinds, truncation and trailing bytes', async () => {
    const { sender, record } = await setup();
    const bytes = serializeSenderKeyRecord(record);
    const stateBytes = await serializeSenderKeyState(sender);
    const v2 = bytes.slice();
    v2[0] = 2;
    expect(errorOf(() => deserializeSenderKeyRecord(v2)).code).toBe(ErrorCode.STATE_VERSION);
    expect(errorOf(() => deserializeSenderKeyRecord(stateBytes)).code).toBe(
      ErrorCode.STATE_CORRUPT,
    );
    expect((await errorOf(() => deserializeSenderKeyState(bytes))).code).toBe(
      ErrorCode.STATE_CORRUPT,
    );
    for (let cut = 0; cut < bytes.length; cut += 7) {
      expect(errorOf(() => deserializeSenderKeyRecord(bytes.slice(0, cut))).code).toBe(
        ErrorCode.STATE_CORRUPT,
      );
    }
    expect(errorOf(() => deserializeSenderKeyRecord(concat(bytes, new Uint8Array(1)))).code).toBe(
      ErrorCode.STATE_CORRUPT,
    );
    expect((await errorOf(() => deserializeSenderKeyState(stateBytes.slice(0, 100)))).code).toBe(
      ErrorCode.STATE_CORRUPT,
    );
    const mismatched = stateBytes.slice();
    mismatched[60] = (mismatched[60] as number) ^ 1; // public key no longer matches the private key
    expect((await errorOf(() => deserializeSenderKeyState(mismatched))).code).toBe(
      ErrorCode.STATE_CORRUPT,
    );
  });
});

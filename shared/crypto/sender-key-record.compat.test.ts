import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  deserializeSenderKeyRecord,
  deserializeSenderKeyState,
  serializeSenderKeyRecord,
  serializeSenderKeyState,
} from './sender-key-record.ts';

// Stored by the format-1 codec before it moved to ByteWriter/ByteReader: records in
// users' vaults look like this and must keep decoding to the same values.
const SIGNING_PUBLIC = 'ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c';
const RECORD_V1 =
  '0101' +
  'd1'.repeat(16) +
  '02' +
  `0102030400000005${'c1'.repeat(32)}${SIGNING_PUBLIC}0002` +
  `00000001${'a1'.repeat(32)}4278bcfe56800000` +
  `00000003${'a3'.repeat(32)}4278bcfe569f4000` +
  `0000000900000000${'c2'.repeat(32)}${SIGNING_PUBLIC}0000`;
const SENDER_STATE_V1 =
  '0102' +
  'd1'.repeat(16) +
  `0000004d0000000c${'c3'.repeat(32)}${SIGNING_PUBLIC}${'07'.repeat(32)}`;

describe('Sender Key state format 1 (stored records stay readable)', () => {
  it('decodes a stored receiver record and re-encodes it to the same bytes', () => {
    const record = deserializeSenderKeyRecord(fromHex(RECORD_V1));
    expect(toHex(record.distributionId)).toBe('d1'.repeat(16));
    const [first, second] = record.chains;
    expect(first?.chainId).toBe(0x01020304);
    expect(first?.iteration).toBe(5);
    expect(toHex(first?.chainKey ?? new Uint8Array())).toBe('c1'.repeat(32));
    expect(toHex(first?.signingPublicKey ?? new Uint8Array())).toBe(SIGNING_PUBLIC);
    expect(
      [...(first?.skipped.values() ?? [])].map((k) => [
        k.iteration,
        toHex(k.messageKey),
        k.storedAt,
      ]),
    ).toEqual([
      [1, 'a1'.repeat(32), 1_700_000_000_000],
      [3, 'a3'.repeat(32), 1_700_000_000_500],
    ]);
    expect(second?.chainId).toBe(9);
    expect(second?.skipped.size).toBe(0);
    expect(toHex(serializeSenderKeyRecord(record))).toBe(RECORD_V1);
  });

  it('decodes a stored sending state and re-encodes it to the same bytes', async () => {
    const state = await deserializeSenderKeyState(fromHex(SENDER_STATE_V1));
    expect(state.chainId).toBe(77);
    expect(state.iteration).toBe(12);
    expect(toHex(state.chainKey)).toBe('c3'.repeat(32));
    expect(toHex(state.signingKey.publicKey)).toBe(SIGNING_PUBLIC);
    expect(toHex(await serializeSenderKeyState(state))).toBe(SENDER_STATE_V1);
  });

  it('keeps refusing damaged stored records with STATE_CORRUPT', async () => {
    const bytes = fromHex(RECORD_V1);
    expect((await errorOf(() => deserializeSenderKeyRecord(bytes.subarray(0, 50)))).code).toBe(
      ErrorCode.STATE_CORRUPT,
    );
    const skippedAfterChain = bytes.slice();
    skippedAfterChain[96] = 9; // skipped iteration 9 on a chain at iteration 5
    expect((await errorOf(() => deserializeSenderKeyRecord(skippedAfterChain))).code).toBe(
      ErrorCode.STATE_CORRUPT,
    );
  });
});

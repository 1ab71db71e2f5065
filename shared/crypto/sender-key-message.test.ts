import { describe, expect, it } from 'vitest';
import { type Bytes, concat, toHex, utf8 } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { errorOf } from '../testing/errors.ts';
import {
  createDistributionMessage,
  createSenderKey,
  processDistributionMessage,
} from './sender-key-chain.ts';
import {
  DISTRIBUTION_MESSAGE_BYTES,
  decodeDistributionMessage,
  parseGroupMessageHeader,
} from './sender-key-message.ts';
import { decryptGroupMessage, encryptGroupMessage } from './sender-keys.ts';
import {
  aliceIdentity,
  clock,
  deps,
  distributionId,
  encryptMany,
  setup,
} from './testing/sender-key-fixtures.ts';

describe('sender keys: formats', () => {
  it('distribution message: version 1, type 4, fixed 90-byte layout', async () => {
    const { sender } = await setup();
    const bytes = createDistributionMessage(sender);
    expect(bytes).toHaveLength(DISTRIBUTION_MESSAGE_BYTES);
    expect(DISTRIBUTION_MESSAGE_BYTES).toBe(90);
    expect([bytes[0], bytes[1]]).toEqual([1, 4]);
    const decoded = decodeDistributionMessage(bytes);
    expect(toHex(decoded.distributionId)).toBe(toHex(distributionId));
    expect(decoded.chainId).toBe(sender.chainId);
    expect(decoded.iteration).toBe(0);
    expect(toHex(decoded.chainKey)).toBe(toHex(sender.chainKey));
    expect(toHex(decoded.signingPublicKey)).toBe(toHex(sender.signingKey.publicKey));
  });

  it('group message: version 1, type 3, padded to 160-byte blocks, 64-byte signature', async () => {
    const { sender, record } = await setup();
    let s = sender;
    let r = record;
    for (const size of [0, 1, 159, 160, 161, 1000]) {
      const plaintext = new Uint8Array(size).fill(size & 0xff);
      const out = await encryptGroupMessage(s, plaintext, aliceIdentity);
      const padded = Math.ceil((size + 1) / 160) * 160;
      expect(out.message).toHaveLength(26 + padded + 16 + 64);
      expect([out.message[0], out.message[1]]).toEqual([1, 3]);
      const header = parseGroupMessageHeader(out.message);
      expect(header.chainId).toBe(sender.chainId);
      expect(header.iteration).toBe(s.iteration);
      const dec = await decryptGroupMessage(clock(), r, out.message, aliceIdentity);
      expect(toHex(dec.plaintext)).toBe(toHex(plaintext));
      s = out.state;
      r = dec.record;
    }
  });

  it('rejects wrong version, wrong type and truncation with stable codes', async () => {
    const { sender, record } = await setup();
    const { messages } = await encryptMany(sender, 1);
    const message = messages[0] as Bytes;
    const distribution = createDistributionMessage(sender);
    // A distribution is not a group message and the reverse.
    expect(
      (await errorOf(() => decryptGroupMessage(clock(), record, distribution, aliceIdentity))).code,
    ).toBe(ErrorCode.MESSAGE_TYPE);
    expect(errorOf(() => processDistributionMessage(record, message)).code).toBe(
      ErrorCode.MESSAGE_TYPE,
    );
    // Pairwise payloads (other type bytes) are never taken as group messages.
    for (const type of [0, 1, 2, 5, 255]) {
      const other = message.slice();
      other[1] = type;
      expect(
        (await errorOf(() => decryptGroupMessage(clock(), record, other, aliceIdentity))).code,
      ).toBe(ErrorCode.MESSAGE_TYPE);
    }
    const v2 = message.slice();
    v2[0] = 2;
    expect(
      (await errorOf(() => decryptGroupMessage(clock(), record, v2, aliceIdentity))).code,
    ).toBe(ErrorCode.MESSAGE_VERSION);
    expect(
      (
        await errorOf(() =>
          decryptGroupMessage(clock(), record, message.slice(0, 100), aliceIdentity),
        )
      ).code,
    ).toBe(ErrorCode.MESSAGE_MALFORMED);
    expect(
      (await errorOf(() => decryptGroupMessage(clock(), record, new Uint8Array(0), aliceIdentity)))
        .code,
    ).toBe(ErrorCode.MESSAGE_MALFORMED);
    expect(errorOf(() => decodeDistributionMessage(distribution.slice(0, 89))).code).toBe(
      ErrorCode.MESSAGE_MALFORMED,
    );
    expect(
      errorOf(() => decodeDistributionMessage(concat(distribution, new Uint8Array(1)))).code,
    ).toBe(ErrorCode.MESSAGE_MALFORMED);
  });

  it('rejects bad arguments with BAD_ARGUMENT', async () => {
    const { sender, record } = await setup();
    expect((await errorOf(() => createSenderKey(deps, new Uint8Array(15)))).code).toBe(
      ErrorCode.BAD_ARGUMENT,
    );
    expect(
      (await errorOf(() => encryptGroupMessage(sender, utf8('x'), new Uint8Array(33)))).code,
    ).toBe(ErrorCode.BAD_ARGUMENT);
    const { messages } = await encryptMany(sender, 1);
    expect(
      (
        await errorOf(() =>
          decryptGroupMessage(clock(), record, messages[0] as Bytes, new Uint8Array(64)),
        )
      ).code,
    ).toBe(ErrorCode.BAD_ARGUMENT);
    const other = await createSenderKey(deps, new Uint8Array(16));
    expect(
      errorOf(() => processDistributionMessage(record, createDistributionMessage(other))).code,
    ).toBe(ErrorCode.BAD_ARGUMENT);
  });
});

import { describe, it } from 'vitest';
import { ErrorCode } from '../errors.ts';
import { assertDecoderTotal, untrustedBytes } from '../testing/decoder-property.ts';
import { createDistributionMessage, processDistributionMessage } from './sender-key-chain.ts';
import { SenderKeyMessageType } from './sender-key-message.ts';
import { decryptGroupMessage } from './sender-keys.ts';
import { aliceIdentity, clock, encryptMany, setup } from './testing/sender-key-fixtures.ts';

/** Everything a received group message may legitimately fail with. */
const RECEIVE_CODES = [
  ErrorCode.MESSAGE_MALFORMED,
  ErrorCode.MESSAGE_VERSION,
  ErrorCode.MESSAGE_TYPE,
  ErrorCode.SENDER_KEY_MISSING,
  ErrorCode.SIGNATURE_INVALID,
  ErrorCode.DECRYPT_FAILED,
  ErrorCode.PADDING_INVALID,
  ErrorCode.DUPLICATE_MESSAGE,
  ErrorCode.TOO_MANY_SKIPPED,
  ErrorCode.MESSAGE_KEY_EXPIRED,
];

describe('Sender Key receiving: any bytes give a value or a receive error', () => {
  it('decryptGroupMessage against a real record', async () => {
    const { sender, record } = await setup();
    const { messages } = await encryptMany(sender, 2);
    // The sample header names the record's distribution and chain, so damaged
    // copies reach the signature check and beyond.
    await assertDecoderTotal(
      untrustedBytes({
        prefixes: [new Uint8Array([1, SenderKeyMessageType.GROUP_MESSAGE])],
        samples: messages,
        maxLength: 400,
      }),
      (bytes) => decryptGroupMessage(clock(), record, bytes, aliceIdentity),
      RECEIVE_CODES,
      { numRuns: 500 },
    );
  });

  it('processDistributionMessage into a real record', async () => {
    const { sender, record } = await setup();
    const distribution = createDistributionMessage(sender);
    // A valid distribution for another distribution id is BAD_ARGUMENT (the caller's mix-up).
    await assertDecoderTotal(
      untrustedBytes({ samples: [distribution], maxLength: 200 }),
      (bytes) => processDistributionMessage(record, bytes),
      [...RECEIVE_CODES, ErrorCode.BAD_ARGUMENT],
    );
  });
});

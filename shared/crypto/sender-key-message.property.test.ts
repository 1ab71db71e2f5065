import { describe, it } from 'vitest';
import { ErrorCode } from '../errors.ts';
import { assertDecoderTotal, untrustedBytes } from '../testing/decoder-property.ts';
import { createDistributionMessage } from './sender-key-chain.ts';
import {
  decodeDistributionMessage,
  parseGroupMessageHeader,
  SenderKeyMessageType,
} from './sender-key-message.ts';
import { encryptMany, setup } from './testing/sender-key-fixtures.ts';

const MESSAGE_CODES = [
  ErrorCode.MESSAGE_MALFORMED,
  ErrorCode.MESSAGE_VERSION,
  ErrorCode.MESSAGE_TYPE,
];
const prefixes = [
  new Uint8Array([1, SenderKeyMessageType.DISTRIBUTION]),
  new Uint8Array([1, SenderKeyMessageType.GROUP_MESSAGE]),
];

describe('Sender Key message decoders: any bytes give a value or a MESSAGE_* error', () => {
  it('decodeDistributionMessage', async () => {
    const { sender } = await setup();
    const samples = [createDistributionMessage(sender)];
    await assertDecoderTotal(
      untrustedBytes({ prefixes, samples, maxLength: 200 }),
      decodeDistributionMessage,
      MESSAGE_CODES,
    );
  });

  it('parseGroupMessageHeader', async () => {
    const { sender } = await setup();
    const { messages } = await encryptMany(sender, 1);
    await assertDecoderTotal(
      untrustedBytes({ prefixes, samples: messages, maxLength: 400 }),
      parseGroupMessageHeader,
      MESSAGE_CODES,
    );
  });
});

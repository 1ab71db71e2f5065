import { describe, it } from 'vitest';
import type { Bytes } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { assertDecoderTotal, untrustedBytes } from '../testing/decoder-property.ts';
import {
  deserializeSenderKeyRecord,
  deserializeSenderKeyState,
  serializeSenderKeyRecord,
  serializeSenderKeyState,
} from './sender-key-record.ts';
import { decryptGroupMessage } from './sender-keys.ts';
import { aliceIdentity, clock, encryptMany, setup } from './testing/sender-key-fixtures.ts';

const STATE_CODES = [ErrorCode.STATE_CORRUPT, ErrorCode.STATE_VERSION];

describe('Sender Key state decoders: any bytes give a value or a STATE_* error', () => {
  it('deserializeSenderKeyRecord', async () => {
    const { sender, record } = await setup();
    const { messages } = await encryptMany(sender, 4);
    // A record with skipped keys, so damage lands in every part of the layout.
    const withSkipped = (
      await decryptGroupMessage(clock(), record, messages[3] as Bytes, aliceIdentity)
    ).record;
    await assertDecoderTotal(
      untrustedBytes({
        prefixes: [new Uint8Array([1, 1])],
        samples: [serializeSenderKeyRecord(record), serializeSenderKeyRecord(withSkipped)],
        maxLength: 400,
      }),
      deserializeSenderKeyRecord,
      STATE_CODES,
      { numRuns: 2000 },
    );
  });

  it('deserializeSenderKeyState', async () => {
    const { sender } = await setup();
    await assertDecoderTotal(
      untrustedBytes({
        prefixes: [new Uint8Array([1, 2])],
        samples: [await serializeSenderKeyState(sender)],
        maxLength: 200,
      }),
      deserializeSenderKeyState,
      STATE_CODES,
      { numRuns: 500 },
    );
  });
});

import { describe, it } from 'vitest';
import { fromHex } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { assertDecoderTotal, untrustedBytes } from '../testing/decoder-property.ts';
import { open } from './sealed-box.ts';
import vector from './vectors/sealed-box.json' with { type: 'json' };
import { dhKeyPairFromPrivate } from './x25519.ts';

describe('sealed box: any bytes open to a value or fail with a key or decrypt error', () => {
  it('open', async () => {
    const recipient = await dhKeyPairFromPrivate(fromHex(vector.recipientPrivate));
    // Low-order or otherwise unusable ephemeral keys are refused by the DH step.
    await assertDecoderTotal(
      untrustedBytes({ samples: vector.boxes.map((b) => fromHex(b.sealed)), maxLength: 200 }),
      (sealed) => open(recipient, sealed, vector.info),
      [
        ErrorCode.DECRYPT_FAILED,
        ErrorCode.KEY_LOW_ORDER,
        ErrorCode.KEY_ZERO_SHARED_SECRET,
        ErrorCode.KEY_INVALID,
      ],
      { numRuns: 500 },
    );
  });
});

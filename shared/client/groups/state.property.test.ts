import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ErrorCode } from '../../errors.ts';
import { assertDecoderTotal, untrustedBytes } from '../../testing/decoder-property.ts';
import { decodeGroupState, parseSignedGroupState } from './state.ts';
import { cast, genesis } from './testing/fixtures.ts';

const STATE_CODES = [ErrorCode.GROUP_STATE_INVALID, ErrorCode.GROUP_STATE_VERSION];

describe('group state codec: any bytes give a state or a GROUP_STATE_* error', () => {
  it('decodeGroupState', async () => {
    const signed = await genesis(await cast());
    await assertDecoderTotal(
      untrustedBytes({ samples: [signed.body], maxLength: 800 }),
      decodeGroupState,
      STATE_CODES,
    );
  });

  it('parseSignedGroupState', async () => {
    const signed = await genesis(await cast());
    await assertDecoderTotal(
      fc.tuple(
        untrustedBytes({ samples: [signed.body], maxLength: 800 }),
        fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.constant(signed.signature)),
      ),
      ([body, signature]) => parseSignedGroupState(body, signature),
      STATE_CODES,
      { numRuns: 500 },
    );
  });
});

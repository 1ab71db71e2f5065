import fc from 'fast-check';
import { describe, it } from 'vitest';
import { assertDecoderTotal } from '../testing/decoder-property.ts';
import { verifyDeviceAuth } from './device-auth.ts';
import { deviceIdArb, userIdArb } from './testing/arbitraries.ts';

describe('device auth: any key and signature bytes give true or false, never an error', () => {
  it('verifyDeviceAuth', async () => {
    const bytes = (max: number) => fc.uint8Array({ maxLength: max });
    const inputs = fc.record({
      key: fc.oneof(bytes(40), fc.uint8Array({ minLength: 32, maxLength: 32 })),
      nonce: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      user: userIdArb,
      device: deviceIdArb,
      signature: fc.oneof(bytes(80), fc.uint8Array({ minLength: 64, maxLength: 64 })),
    });
    await assertDecoderTotal(
      inputs,
      ({ key, nonce, user, device, signature }) =>
        verifyDeviceAuth(key, nonce, { user, device, signature }),
      [],
      { numRuns: 500 },
    );
  });
});

import { describe, it } from 'vitest';
import { utf8 } from '../../../shared/bytes.ts';
import { generateDhKeyPair } from '../../../shared/crypto/x25519.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { assertDecoderTotal, untrustedBytes } from '../../../shared/testing/decoder-property.ts';
import { openFromInbox, sealForInbox } from './locked-inbox.ts';

describe('locked inbox: any stored bytes open to a frame or fail with a key or decrypt error', () => {
  it('openFromInbox', async () => {
    const inbox = await generateDhKeyPair(false);
    const sealed = await sealForInbox(inbox.publicKey, utf8('a ciphertext frame'));
    await assertDecoderTotal(
      untrustedBytes({ samples: [sealed], maxLength: 200 }),
      (bytes) => openFromInbox(inbox, bytes),
      [ErrorCode.DECRYPT_FAILED, ErrorCode.KEY_LOW_ORDER, ErrorCode.KEY_ZERO_SHARED_SECRET],
      { numRuns: 300 },
    );
  });
});

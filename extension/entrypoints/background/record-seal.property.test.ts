import fc from 'fast-check';
import { describe, it } from 'vitest';
import { utf8 } from '../../../shared/bytes.ts';
import { systemRandom } from '../../../shared/crypto/random.ts';
import { ErrorCode } from '../../../shared/errors.ts';
import { assertDecoderTotal, untrustedBytes } from '../../../shared/testing/decoder-property.ts';
import {
  decodeEntry,
  ENTRY_FORMAT,
  openEntryKey,
  openEntryValue,
  openRecord,
  RECORD_FORMAT,
  sealEntry,
  sealRecord,
} from './record-seal.ts';

const STORED = 'm.0123456789abcdef';
const LOGICAL = 'msg/c1/0001';
/** A damaged stored value is corrupt, or fails its tag. */
const OPEN_CODES = [ErrorCode.STATE_CORRUPT, ErrorCode.DECRYPT_FAILED];

function vaultKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

describe('stored records: any bytes open to a value or fail with STATE_CORRUPT or DECRYPT_FAILED', () => {
  it('decodeEntry', async () => {
    const key = await vaultKey();
    const entry = await sealEntry(key, STORED, LOGICAL, utf8('v'), ['t1', 't2'], systemRandom);
    await assertDecoderTotal(
      untrustedBytes({ prefixes: [new Uint8Array([ENTRY_FORMAT])], samples: [entry] }),
      (bytes) => decodeEntry(STORED, bytes),
      [ErrorCode.STATE_CORRUPT],
      { numRuns: 2000 },
    );
  });

  it('openRecord', async () => {
    const key = await vaultKey();
    const sealed = await sealRecord(key, LOGICAL, utf8('value'), systemRandom);
    await assertDecoderTotal(
      untrustedBytes({ prefixes: [new Uint8Array([RECORD_FORMAT])], samples: [sealed] }),
      (bytes) => openRecord(key, LOGICAL, bytes),
      OPEN_CODES,
      { numRuns: 500 },
    );
  });

  it('openEntryKey and openEntryValue', async () => {
    const key = await vaultKey();
    const entry = await sealEntry(key, STORED, LOGICAL, utf8('value'), [], systemRandom);
    await assertDecoderTotal(
      fc.tuple(untrustedBytes({ samples: [entry] }), fc.boolean()),
      ([bytes, asKey]) =>
        asKey ? openEntryKey(key, STORED, bytes) : openEntryValue(key, STORED, LOGICAL, bytes),
      OPEN_CODES,
      { numRuns: 500 },
    );
  });
});

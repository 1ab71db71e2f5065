/**
 * ML-KEM-768 vectors through Parley's wrappers (kemKeyPairFromSeed,
 * validateKemPublic, encapsulate, decapsulate).
 *  - mlkem_768_test.json (keygen + decapsulation): the seed must give exactly
 *    the listed encapsulation key, and decapsulating the listed ciphertext must
 *    give exactly K, including modified and random ciphertexts, for which
 *    implicit rejection yields the listed pseudo-random K. Invalid cases: a seed
 *    of the wrong length (KEY_LENGTH) or a ciphertext of the wrong length
 *    (MESSAGE_MALFORMED).
 *  - mlkem_768_encaps_test.json: validateKemPublic must accept the key and
 *    encapsulation with the listed randomness m must give exactly c and K.
 *    Invalid keys (wrong length, coefficients not reduced mod q) must be
 *    refused by validateKemPublic and by encapsulate.
 */
import { type Bytes, copy, fromHex } from '../../bytes.ts';
import { ErrorCode } from '../../errors.ts';
import {
  decapsulate,
  encapsulate,
  kemKeyPairFromSeed,
  MLKEM768_CIPHERTEXT_BYTES,
  MLKEM768_SEED_BYTES,
  validateKemPublic,
} from '../mlkem.ts';
import type { Random } from '../random.ts';
import {
  attempt,
  caseName,
  SuiteRecorder,
  type SuiteResult,
  type Transcript,
  type WycheproofCase,
  type WycheproofFile,
} from './suite.ts';
import encapsJson from './wycheproof/mlkem_768_encaps_test.json' with { type: 'json' };
import decapsJson from './wycheproof/mlkem_768_test.json' with { type: 'json' };

interface KemCase extends WycheproofCase {
  readonly seed: string;
  readonly ek?: string;
  readonly c: string;
  readonly K: string;
}

interface EncapsCase extends WycheproofCase {
  readonly ek: string;
  readonly m: string;
  readonly c: string;
  readonly K: string;
}

interface KemGroup<Case> {
  readonly parameterSet: string;
  readonly tests: readonly Case[];
}

const decapsVectors: WycheproofFile<KemGroup<KemCase>> = decapsJson;
const encapsVectors: WycheproofFile<KemGroup<EncapsCase>> = encapsJson;

const PARAMETER_SET = 'ML-KEM-768';

/** A Random that hands out exactly the vector's bytes, once, at the expected length. */
function fixedRandom(bytes: Bytes): Random {
  let used = false;
  return (length) => {
    if (used || length !== bytes.length) {
      throw new RangeError(`fixed randomness: expected one request for ${bytes.length} bytes`);
    }
    used = true;
    return copy(bytes);
  };
}

export async function checkMlKemWycheproof(transcript: Transcript): Promise<SuiteResult> {
  const r = new SuiteRecorder('wycheproof/ml-kem-768', transcript);
  for (const group of decapsVectors.testGroups) {
    for (const test of group.tests) {
      if (group.parameterSet !== PARAMETER_SET) {
        r.skip(group.parameterSet);
        continue;
      }
      const id = caseName(test);
      r.checked();
      const keys = await attempt(() => kemKeyPairFromSeed(fromHex(test.seed)));
      r.record(id, 'keygen', keys.ok ? { ok: true, value: keys.value.publicKey } : keys);
      if (!keys.ok) {
        if (test.result === 'valid') {
          r.fail(id, `kemKeyPairFromSeed threw ${keys.error}`);
        } else if (fromHex(test.seed).length === MLKEM768_SEED_BYTES) {
          r.fail(id, `a ${MLKEM768_SEED_BYTES}-byte seed was refused (${keys.error})`);
        } else if (r.expectError(id, 'kemKeyPairFromSeed', keys, [ErrorCode.KEY_LENGTH])) {
          r.count('invalid: seed length refused (KEY_LENGTH)');
        }
        continue;
      }
      const publicKey = { ok: true, value: keys.value.publicKey } as const;
      const keyMatches =
        test.ek === undefined || r.expectBytes(id, 'keygen', publicKey, fromHex(test.ek));
      const cipherText = fromHex(test.c);
      const shared = await attempt(() => decapsulate(cipherText, keys.value.secretKey));
      r.record(id, 'decapsulate', shared);
      if (test.result === 'valid') {
        if (r.expectBytes(id, 'decapsulate', shared, fromHex(test.K)) && keyMatches) {
          r.count('valid: exact key pair and K');
        }
      } else if (cipherText.length === MLKEM768_CIPHERTEXT_BYTES) {
        r.fail(id, 'invalid case with a well-formed ciphertext: no expectation to check');
      } else if (r.expectError(id, 'decapsulate', shared, [ErrorCode.MESSAGE_MALFORMED])) {
        r.count('invalid: ciphertext length refused (MESSAGE_MALFORMED)');
      }
    }
  }
  return r.result();
}

export async function checkMlKemEncapsWycheproof(transcript: Transcript): Promise<SuiteResult> {
  const r = new SuiteRecorder('wycheproof/ml-kem-768-encaps', transcript);
  for (const group of encapsVectors.testGroups) {
    for (const test of group.tests) {
      if (group.parameterSet !== PARAMETER_SET) {
        r.skip(group.parameterSet);
        continue;
      }
      const id = caseName(test);
      const publicKey = fromHex(test.ek);
      r.checked();
      const validated = await attempt(() => validateKemPublic(publicKey));
      r.recordValidation(id, 'validate', validated);
      const sealed = await attempt(() => encapsulate(publicKey, fixedRandom(fromHex(test.m))));
      r.record(
        id,
        'encapsulate ciphertext',
        sealed.ok ? { ok: true, value: sealed.value.cipherText } : sealed,
      );
      r.record(
        id,
        'encapsulate secret',
        sealed.ok ? { ok: true, value: sealed.value.sharedSecret } : sealed,
      );
      if (test.result === 'valid') {
        if (!validated.ok) r.fail(id, `validateKemPublic threw ${validated.error}`);
        if (!sealed.ok) {
          r.fail(id, `encapsulate threw ${sealed.error}`);
          continue;
        }
        const c = r.expectBytes(
          id,
          'ciphertext',
          { ok: true, value: sealed.value.cipherText },
          fromHex(test.c),
        );
        const k = r.expectBytes(
          id,
          'shared secret',
          { ok: true, value: sealed.value.sharedSecret },
          fromHex(test.K),
        );
        if (validated.ok && c && k) r.count('valid: exact ciphertext and K');
      } else {
        const codes = [ErrorCode.KEY_LENGTH, ErrorCode.KEY_INVALID];
        const v = r.expectError(id, 'validateKemPublic', validated, codes);
        const e = r.expectError(id, 'encapsulate', sealed, codes);
        if (v && e && !validated.ok) r.count(`invalid: key refused (${validated.error})`);
      }
    }
  }
  return r.result();
}

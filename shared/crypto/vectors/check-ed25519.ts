/**
 * Ed25519 vectors through Parley's wrappers (verify, validateEd25519Public,
 * importSigningPrivate, sign). Wycheproof's ed25519_test.json holds
 * verification cases only: `verify` must return true exactly for "valid" cases
 * and false for "invalid" ones. RFC 8032 §7.1 additionally checks signing,
 * which is deterministic. Parley's own regression cases cover what Wycheproof's
 * file does not: small-order and non-canonical public keys, on which raw
 * WebCrypto accepts forgeries (both runtimes) or disagrees (Node vs Deno).
 */
import { fromHex } from '../../bytes.ts';
import { ErrorCode } from '../../errors.ts';
import { importSigningPrivate, sign, validateEd25519Public, verify } from '../ed25519.ts';
import smallOrder from './parley/ed25519-small-order.json' with { type: 'json' };
import rfc8032 from './rfc/rfc8032-ed25519.json' with { type: 'json' };
import {
  attempt,
  caseName,
  SuiteRecorder,
  type SuiteResult,
  type Transcript,
  type WycheproofCase,
  type WycheproofFile,
} from './suite.ts';
import wycheproofJson from './wycheproof/ed25519_test.json' with { type: 'json' };

interface EddsaVerifyCase extends WycheproofCase {
  readonly msg: string;
  readonly sig: string;
}

interface EddsaVerifyGroup {
  readonly publicKey: { readonly curve: string; readonly pk: string };
  readonly tests: readonly EddsaVerifyCase[];
}

const wycheproof: WycheproofFile<EddsaVerifyGroup> = wycheproofJson;

export async function checkEd25519Wycheproof(transcript: Transcript): Promise<SuiteResult> {
  const r = new SuiteRecorder('wycheproof/ed25519', transcript);
  for (const group of wycheproof.testGroups) {
    if (group.publicKey.curve !== 'edwards25519') {
      for (const _ of group.tests) r.skip(`curve ${group.publicKey.curve}`);
      continue;
    }
    const publicKey = fromHex(group.publicKey.pk);
    const keyCheck = await attempt(() => validateEd25519Public(publicKey));
    r.recordValidation(`key ${group.publicKey.pk}`, 'validate', keyCheck);
    if (!keyCheck.ok) {
      r.fail(`key ${group.publicKey.pk}`, `validateEd25519Public threw ${keyCheck.error}`);
    }
    for (const test of group.tests) {
      const id = caseName(test);
      const verified = await attempt(() => verify(publicKey, fromHex(test.sig), fromHex(test.msg)));
      r.record(id, 'verify', verified);
      r.checked();
      if (!verified.ok) {
        r.fail(id, `verify threw ${verified.error}; it must return a boolean`);
        continue;
      }
      if (test.result === 'acceptable') {
        r.count(`acceptable: verify ${verified.value}`);
        continue;
      }
      const expected = test.result === 'valid';
      if (verified.value !== expected) {
        r.fail(
          id,
          `verify returned ${verified.value} for a ${test.result} case [${test.flags.join(', ')}]`,
        );
      } else {
        r.count(expected ? 'valid: verified' : 'invalid: rejected');
      }
    }
  }
  return r.result();
}

export async function checkEd25519Rfc8032(transcript: Transcript): Promise<SuiteResult> {
  const r = new SuiteRecorder('rfc8032/ed25519', transcript);
  for (const v of rfc8032.tests) {
    const message = fromHex(v.message);
    const publicKey = fromHex(v.publicKey);
    const signature = fromHex(v.signature);

    const keyCheck = await attempt(() => validateEd25519Public(publicKey));
    r.recordValidation(v.name, 'validate', keyCheck);
    if (!keyCheck.ok) r.fail(v.name, `validateEd25519Public threw ${keyCheck.error}`);

    const privateKey = await importSigningPrivate(fromHex(v.secretKey));
    const signed = await attempt(() => sign(privateKey, message));
    r.checkBytes(v.name, 'sign', signed, signature);

    const verified = await attempt(() => verify(publicKey, signature, message));
    r.record(v.name, 'verify', verified);
    r.checked();
    if (!verified.ok || !verified.value) r.fail(v.name, 'the published signature does not verify');

    // The same signature over a message one bit away must not verify.
    const altered = message.length > 0 ? message.slice() : new Uint8Array(1);
    if (message.length > 0) altered[0] = (altered[0] as number) ^ 1;
    const forged = await attempt(() => verify(publicKey, signature, altered));
    r.record(v.name, 'verify altered', forged);
    r.checked();
    if (!forged.ok || forged.value) r.fail(v.name, 'the signature verifies for an altered message');
  }
  return r.result();
}

const VALIDATE_CODES: Readonly<Record<string, string>> = {
  KEY_INVALID: ErrorCode.KEY_INVALID,
  KEY_LOW_ORDER: ErrorCode.KEY_LOW_ORDER,
};

export async function checkEd25519SmallOrder(transcript: Transcript): Promise<SuiteResult> {
  const r = new SuiteRecorder('parley/ed25519-small-order', transcript);
  for (const v of smallOrder.cases) {
    const publicKey = fromHex(v.publicKey);
    const verified = await attempt(() =>
      verify(publicKey, fromHex(v.signature), fromHex(v.message)),
    );
    r.record(v.name, 'verify', verified);
    r.checked();
    if (!verified.ok || verified.value) {
      r.fail(
        v.name,
        `verify must return false, got ${verified.ok ? verified.value : verified.error}`,
      );
    } else {
      r.count('forgery rejected by verify');
    }
    const expectedCode = VALIDATE_CODES[v.expectedValidateError];
    const validated = await attempt(() => validateEd25519Public(publicKey));
    r.recordValidation(v.name, 'validate', validated);
    if (expectedCode === undefined) {
      r.fail(v.name, `unknown expectedValidateError ${v.expectedValidateError}`);
    } else if (r.expectError(v.name, 'validateEd25519Public', validated, [expectedCode])) {
      r.count(`key rejected ${expectedCode}`);
    }
  }
  return r.result();
}

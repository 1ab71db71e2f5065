/**
 * X25519 vectors through Parley's wrappers (importDhPrivate, dh,
 * dhKeyPairFromPrivate, validateX25519Public).
 *
 * Policy for Wycheproof results (x25519_test.json has only "valid" and
 * "acceptable" cases):
 *  - valid: dh must give exactly the listed shared secret;
 *  - acceptable and flagged LowOrderPublic or ZeroSharedSecret: Parley must
 *    reject (KEY_LOW_ORDER from validateX25519Public, or KEY_ZERO_SHARED_SECRET
 *    from dh); a forced all-zero secret is what Parley's protocol must never use;
 *  - every other acceptable case (Twist, NonCanonicalPublic, SpecialPublicKey,
 *    edge cases) is accepted and must give exactly the listed secret: RFC 7748
 *    §5 defines X25519 on the twist and on non-canonical u-coordinates (reduce
 *    mod p, ignore bit 255), §7 recommends accepting them, and their output is
 *    never all-zero. (In this file every SmallPublicKey case is also flagged
 *    LowOrderPublic, so all of them are rejected.)
 * The rejected cases are also run with the public key passed as a CryptoKey,
 * which skips validateX25519Public, to prove dh's own all-zero check holds.
 */
import { copy, fromHex } from '../../bytes.ts';
import { ErrorCode } from '../../errors.ts';
import { dh, dhKeyPairFromPrivate, importDhPrivate, validateX25519Public } from '../x25519.ts';
import rfc7748 from './rfc/rfc7748-x25519.json' with { type: 'json' };
import {
  attempt,
  caseName,
  SuiteRecorder,
  type SuiteResult,
  type Transcript,
  type WycheproofCase,
  type WycheproofFile,
} from './suite.ts';
import wycheproofJson from './wycheproof/x25519_test.json' with { type: 'json' };

interface XdhCase extends WycheproofCase {
  readonly public: string;
  readonly private: string;
  readonly shared: string;
}

const wycheproof: WycheproofFile<{ readonly curve: string; readonly tests: readonly XdhCase[] }> =
  wycheproofJson;

/** Flags whose cases Parley must reject (DESIGN.md: low-order keys and all-zero secrets). */
const MUST_REJECT_FLAGS: readonly string[] = ['LowOrderPublic', 'ZeroSharedSecret'];
const REJECTION_CODES: readonly string[] = [
  ErrorCode.KEY_LOW_ORDER,
  ErrorCode.KEY_ZERO_SHARED_SECRET,
];

export async function checkX25519Wycheproof(transcript: Transcript): Promise<SuiteResult> {
  const r = new SuiteRecorder('wycheproof/x25519', transcript);
  for (const group of wycheproof.testGroups) {
    if (group.curve !== 'curve25519') {
      for (const _ of group.tests) r.skip(`curve ${group.curve}`);
      continue;
    }
    for (const test of group.tests) {
      const id = caseName(test);
      const mustReject =
        test.result === 'invalid' || test.flags.some((flag) => MUST_REJECT_FLAGS.includes(flag));
      const privateKey = await importDhPrivate(fromHex(test.private));
      const publicKey = fromHex(test.public);
      const validated = await attempt(() => validateX25519Public(publicKey));
      r.recordValidation(id, 'validate', validated);
      const secret = await attempt(() => dh(privateKey, publicKey));
      r.record(id, 'dh', secret);
      r.checked();
      if (mustReject) {
        if (r.expectError(id, 'dh', secret, REJECTION_CODES) && !secret.ok) {
          r.count(`rejected ${secret.error}`);
        }
        // Second line of defence: a public key handed over as a CryptoKey skips
        // validateX25519Public, so dh's own all-zero check must still refuse it.
        const unvalidated = await attempt(async () =>
          dh(privateKey, await importUnvalidated(publicKey)),
        );
        r.record(id, 'dh unvalidated', unvalidated);
        r.expectError(id, 'dh with a CryptoKey public key', unvalidated, [
          ErrorCode.KEY_ZERO_SHARED_SECRET,
        ]);
      } else if (r.expectBytes(id, 'dh', secret, fromHex(test.shared))) {
        r.count(
          test.result === 'valid' ? 'valid: exact secret' : 'acceptable: accepted, exact secret',
        );
      }
    }
  }
  return r.result();
}

function importUnvalidated(publicKey: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', copy(publicKey), { name: 'X25519' }, true, []);
}

export async function checkX25519Rfc7748(transcript: Transcript): Promise<SuiteResult> {
  const r = new SuiteRecorder('rfc7748/x25519', transcript);

  for (const v of rfc7748.functionVectors) {
    const privateKey = await importDhPrivate(fromHex(v.scalar));
    const out = await attempt(() => dh(privateKey, fromHex(v.u)));
    r.checkBytes(v.name, 'dh', out, fromHex(v.output));
  }

  // Section 5.2 iterated vector: k = X25519(k, u), u = old k. The 1,000,000-iteration
  // result is recorded in the JSON but not run (minutes of WebCrypto round trips).
  const { iterated } = rfc7748;
  let k = fromHex(iterated.start);
  let u = fromHex(iterated.start);
  for (let i = 1; i <= 1000; i++) {
    const privateKey = await importDhPrivate(k);
    const next = await attempt(() => dh(privateKey, u));
    if (!next.ok) {
      r.fail('iterated', `iteration ${i} threw ${next.error}`);
      break;
    }
    u = k;
    k = next.value;
    if (i === 1) {
      r.checkBytes('iterated', 'after 1', next, fromHex(iterated.after1), 'after 1 iteration');
    }
    if (i === 1000) {
      r.checkBytes(
        'iterated',
        'after 1000',
        next,
        fromHex(iterated.after1000),
        'after 1,000 iterations',
      );
    }
  }
  r.skip('1,000,000-iteration vector: too slow for a unit test');

  const v = rfc7748.diffieHellman;
  const alice = await dhKeyPairFromPrivate(fromHex(v.alicePrivate));
  const bob = await dhKeyPairFromPrivate(fromHex(v.bobPrivate));
  const steps: [string, Uint8Array, string][] = [
    ['alice public', alice.publicKey, v.alicePublic],
    ['bob public', bob.publicKey, v.bobPublic],
  ];
  for (const [step, actual, expected] of steps) {
    r.checkBytes('6.1', step, { ok: true, value: actual }, fromHex(expected));
  }
  const aliceShared = await attempt(() => dh(alice.privateKey, fromHex(v.bobPublic)));
  const bobShared = await attempt(() => dh(bob.privateKey, fromHex(v.alicePublic)));
  r.checkBytes('6.1', 'alice shared', aliceShared, fromHex(v.shared), 'X25519(a, K_B)');
  r.checkBytes('6.1', 'bob shared', bobShared, fromHex(v.shared), 'X25519(b, K_A)');
  return r.result();
}

/**
 * HKDF-SHA-256 and HMAC-SHA-256 vectors through Parley's wrappers (hkdf,
 * hmacSha256).
 *  - HKDF: valid cases must give exactly the listed OKM; Wycheproof's invalid
 *    cases ask for more than 255 * 32 bytes, which Parley must refuse
 *    (RangeError). RFC 5869 cases also check the extract step as
 *    HMAC-SHA-256(salt, IKM) (RFC 5869 §2.2), and that "no salt" equals an
 *    explicit empty salt.
 *  - HMAC: Parley's HMAC is full length; Wycheproof's 128-bit tag groups are
 *    checked by truncating Parley's 256-bit output to the tag size. Valid tags
 *    must match, invalid (modified) tags must not.
 */
import { equalBytes, fromHex } from '../../bytes.ts';
import { hkdf, hmacSha256 } from '../kdf.ts';
import rfc5869 from './rfc/rfc5869-hkdf-sha256.json' with { type: 'json' };
import {
  attempt,
  caseName,
  SuiteRecorder,
  type SuiteResult,
  type Transcript,
  type WycheproofCase,
  type WycheproofFile,
} from './suite.ts';
import hkdfJson from './wycheproof/hkdf_sha256_test.json' with { type: 'json' };
import hmacJson from './wycheproof/hmac_sha256_test.json' with { type: 'json' };

interface HkdfCase extends WycheproofCase {
  readonly ikm: string;
  readonly salt: string;
  readonly info: string;
  readonly size: number;
  readonly okm: string;
}

interface MacCase extends WycheproofCase {
  readonly key: string;
  readonly msg: string;
  readonly tag: string;
}

const hkdfVectors: WycheproofFile<{ readonly tests: readonly HkdfCase[] }> = hkdfJson;
const hmacVectors: WycheproofFile<{
  readonly tagSize: number;
  readonly tests: readonly MacCase[];
}> = hmacJson;

const HMAC_SHA256_BITS = 256;

export async function checkHkdfWycheproof(transcript: Transcript): Promise<SuiteResult> {
  const r = new SuiteRecorder('wycheproof/hkdf-sha256', transcript);
  for (const group of hkdfVectors.testGroups) {
    for (const test of group.tests) {
      const id = caseName(test);
      const okm = await attempt(() =>
        hkdf(fromHex(test.ikm), fromHex(test.salt), fromHex(test.info), test.size),
      );
      r.record(id, 'hkdf', okm);
      r.checked();
      if (test.result === 'valid') {
        if (r.expectBytes(id, 'hkdf', okm, fromHex(test.okm))) r.count('valid: exact OKM');
      } else if (r.expectError(id, 'hkdf', okm, ['RangeError'])) {
        r.count('invalid: refused (RangeError)');
      }
    }
  }
  return r.result();
}

export async function checkHkdfRfc5869(transcript: Transcript): Promise<SuiteResult> {
  const r = new SuiteRecorder('rfc5869/hkdf-sha256', transcript);
  for (const v of rfc5869.testCases) {
    const ikm = fromHex(v.ikm);
    const salt = fromHex(v.salt);
    const info = fromHex(v.info);
    // RFC 5869 §2.2: a salt that is not provided is HashLen zero bytes.
    const extractKey = salt.length > 0 ? salt : new Uint8Array(32);
    const prk = await attempt(() => hmacSha256(extractKey, ikm));
    r.checkBytes(v.name, 'extract', prk, fromHex(v.prk), 'HKDF-Extract as HMAC(salt, IKM)');

    const okm = await attempt(() => hkdf(ikm, salt, info, v.length));
    r.checkBytes(v.name, 'hkdf', okm, fromHex(v.okm));

    if (salt.length === 0) {
      const defaultSalt = await attempt(() => hkdf(ikm, undefined, info, v.length));
      r.checkBytes(
        v.name,
        'hkdf default salt',
        defaultSalt,
        fromHex(v.okm),
        'hkdf with salt omitted',
      );
    }
  }
  return r.result();
}

export async function checkHmacWycheproof(transcript: Transcript): Promise<SuiteResult> {
  const r = new SuiteRecorder('wycheproof/hmac-sha256', transcript);
  for (const group of hmacVectors.testGroups) {
    for (const test of group.tests) {
      const id = caseName(test);
      if (group.tagSize > HMAC_SHA256_BITS || group.tagSize % 8 !== 0) {
        r.skip(`${group.tagSize}-bit tag`);
        continue;
      }
      const full = await attempt(() => hmacSha256(fromHex(test.key), fromHex(test.msg)));
      r.record(id, 'hmac', full);
      r.checked();
      if (!full.ok) {
        r.fail(id, `hmacSha256 threw ${full.error}`);
        continue;
      }
      const tag = full.value.subarray(0, group.tagSize / 8);
      const matches = equalBytes(tag, fromHex(test.tag));
      const truncated = group.tagSize < HMAC_SHA256_BITS ? ' (truncated)' : '';
      if (test.result === 'valid' && !matches) {
        r.fail(id, `tag mismatch for a valid case${truncated}`);
      } else if (test.result === 'invalid' && matches) {
        r.fail(id, `a modified tag matched${truncated}`);
      } else {
        r.count(
          `${test.result}: ${test.result === 'valid' ? 'tag matches' : 'tag differs'}${truncated}`,
        );
      }
    }
  }
  return r.result();
}

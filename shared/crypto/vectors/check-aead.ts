/**
 * AES-GCM vectors through both of Parley's back ends: sealSmall/openSmall
 * (@noble/ciphers) and importAesKey + sealLarge/openLarge (WebCrypto).
 *
 * Parley only ever uses AES-256 with 96-bit nonces and 128-bit tags, so:
 *  - 256-bit keys, 96-bit nonces: valid cases must encrypt to exactly ct || tag
 *    and decrypt back; invalid cases (modified tags) must fail with
 *    DECRYPT_FAILED in both back ends;
 *  - 256-bit keys with any other nonce size (including the insecure empty
 *    nonce): Parley must refuse the nonce (RangeError from the argument check)
 *    rather than compute anything;
 *  - 128- and 192-bit keys: skipped, Parley never uses them.
 */
import { concat, fromHex } from '../../bytes.ts';
import { ErrorCode } from '../../errors.ts';
import { importAesKey, openLarge, openSmall, sealLarge, sealSmall } from '../aead.ts';
import {
  attempt,
  caseName,
  SuiteRecorder,
  type SuiteResult,
  type Transcript,
  type WycheproofCase,
  type WycheproofFile,
} from './suite.ts';
import wycheproofJson from './wycheproof/aes_gcm_test.json' with { type: 'json' };

interface AeadCase extends WycheproofCase {
  readonly key: string;
  readonly iv: string;
  readonly aad: string;
  readonly msg: string;
  readonly ct: string;
  readonly tag: string;
}

interface AeadGroup {
  readonly keySize: number;
  readonly ivSize: number;
  readonly tagSize: number;
  readonly tests: readonly AeadCase[];
}

const wycheproof: WycheproofFile<AeadGroup> = wycheproofJson;

const PARLEY_KEY_BITS = 256;
const PARLEY_NONCE_BITS = 96;
const PARLEY_TAG_BITS = 128;

export async function checkAesGcmWycheproof(transcript: Transcript): Promise<SuiteResult> {
  const r = new SuiteRecorder('wycheproof/aes-gcm', transcript);
  for (const group of wycheproof.testGroups) {
    for (const test of group.tests) {
      if (group.keySize !== PARLEY_KEY_BITS) {
        r.skip(`AES-${group.keySize} key (Parley uses AES-256 only)`);
      } else if (group.tagSize !== PARLEY_TAG_BITS) {
        r.skip(`${group.tagSize}-bit tag (Parley uses 128-bit tags only)`);
      } else if (group.ivSize !== PARLEY_NONCE_BITS) {
        await checkRefusedNonce(r, test);
      } else {
        await checkCase(r, test);
      }
    }
  }
  return r.result();
}

async function checkCase(r: SuiteRecorder, test: AeadCase): Promise<void> {
  const id = caseName(test);
  const key = fromHex(test.key);
  const nonce = fromHex(test.iv);
  const aad = fromHex(test.aad);
  const plaintext = fromHex(test.msg);
  const sealed = concat(fromHex(test.ct), fromHex(test.tag));
  const webKey = await importAesKey(key);
  r.checked();

  const openedSmall = await attempt(() => openSmall(key, nonce, sealed, aad));
  const openedLarge = await attempt(() => openLarge(webKey, nonce, sealed, aad));
  r.record(id, 'openSmall', openedSmall);
  r.record(id, 'openLarge', openedLarge);

  if (test.result === 'valid') {
    const sealedSmall = await attempt(() => sealSmall(key, nonce, plaintext, aad));
    const sealedLarge = await attempt(() => sealLarge(webKey, nonce, plaintext, aad));
    r.record(id, 'sealSmall', sealedSmall);
    r.record(id, 'sealLarge', sealedLarge);
    const ok = [
      r.expectBytes(id, 'sealSmall', sealedSmall, sealed),
      r.expectBytes(id, 'sealLarge', sealedLarge, sealed),
      r.expectBytes(id, 'openSmall', openedSmall, plaintext),
      r.expectBytes(id, 'openLarge', openedLarge, plaintext),
    ];
    if (ok.every(Boolean)) r.count('valid: sealed and opened exactly (both back ends)');
  } else {
    const codes = [ErrorCode.DECRYPT_FAILED];
    const small = r.expectError(id, 'openSmall', openedSmall, codes);
    const large = r.expectError(id, 'openLarge', openedLarge, codes);
    if (small && large) r.count('invalid: DECRYPT_FAILED (both back ends)');
  }
}

/** A nonce that is not 12 bytes must be refused before any AES work is done. */
async function checkRefusedNonce(r: SuiteRecorder, test: AeadCase): Promise<void> {
  const id = caseName(test);
  const key = fromHex(test.key);
  const nonce = fromHex(test.iv);
  const aad = fromHex(test.aad);
  const webKey = await importAesKey(key);
  r.checked();
  const sealedSmall = await attempt(() => sealSmall(key, nonce, fromHex(test.msg), aad));
  const sealedLarge = await attempt(() => sealLarge(webKey, nonce, fromHex(test.msg), aad));
  const sealed = concat(fromHex(test.ct), fromHex(test.tag));
  const openedSmall = await attempt(() => openSmall(key, nonce, sealed, aad));
  const openedLarge = await attempt(() => openLarge(webKey, nonce, sealed, aad));
  r.record(id, 'sealSmall', sealedSmall);
  r.record(id, 'sealLarge', sealedLarge);
  r.record(id, 'openSmall', openedSmall);
  r.record(id, 'openLarge', openedLarge);
  const refusals = [
    r.expectError(id, 'sealSmall', sealedSmall, ['RangeError']),
    r.expectError(id, 'sealLarge', sealedLarge, ['RangeError']),
    r.expectError(id, 'openSmall', openedSmall, ['RangeError']),
    r.expectError(id, 'openLarge', openedLarge, ['RangeError']),
  ];
  if (refusals.every(Boolean)) r.count('other nonce size: refused by all four calls');
}

/**
 * Every vector suite, in one fixed order, sharing one transcript. The same
 * function runs under vitest (Node) and `deno test` (Deno); both compare the
 * transcript digest with the constant in outputs-digest.json, so a single
 * differing byte of output (or a differently rejected input) in either runtime
 * fails the build.
 */
import { toHex } from '../../bytes.ts';
import { checkAesGcmWycheproof } from './check-aead.ts';
import {
  checkEd25519Rfc8032,
  checkEd25519SmallOrder,
  checkEd25519Wycheproof,
} from './check-ed25519.ts';
import { checkHkdfRfc5869, checkHkdfWycheproof, checkHmacWycheproof } from './check-kdf.ts';
import { checkMlKemEncapsWycheproof, checkMlKemWycheproof } from './check-mlkem.ts';
import { checkX25519Rfc7748, checkX25519Wycheproof } from './check-x25519.ts';
import { type SuiteResult, Transcript } from './suite.ts';

export { checkAesGcmWycheproof } from './check-aead.ts';
export {
  checkEd25519Rfc8032,
  checkEd25519SmallOrder,
  checkEd25519Wycheproof,
} from './check-ed25519.ts';
export { checkHkdfRfc5869, checkHkdfWycheproof, checkHmacWycheproof } from './check-kdf.ts';
export { checkMlKemEncapsWycheproof, checkMlKemWycheproof } from './check-mlkem.ts';
export { checkX25519Rfc7748, checkX25519Wycheproof } from './check-x25519.ts';
export { type SuiteResult, Transcript } from './suite.ts';

/** The run order is part of the digest: append new suites at the end. */
export const VECTOR_SUITES: readonly ((transcript: Transcript) => Promise<SuiteResult>)[] = [
  checkX25519Rfc7748,
  checkX25519Wycheproof,
  checkEd25519Rfc8032,
  checkEd25519Wycheproof,
  checkEd25519SmallOrder,
  checkAesGcmWycheproof,
  checkHkdfRfc5869,
  checkHkdfWycheproof,
  checkHmacWycheproof,
  checkMlKemWycheproof,
  checkMlKemEncapsWycheproof,
];

export interface VectorRun {
  readonly results: readonly SuiteResult[];
  /** SHA-256 (hex) of everything Parley produced, in run order. */
  readonly digest: string;
  readonly transcriptEntries: number;
}

export async function runAllVectorSuites(): Promise<VectorRun> {
  const transcript = new Transcript();
  const results: SuiteResult[] = [];
  for (const suite of VECTOR_SUITES) results.push(await suite(transcript));
  return { results, digest: toHex(transcript.digest()), transcriptEntries: transcript.entries };
}

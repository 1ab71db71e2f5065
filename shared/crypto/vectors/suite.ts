/**
 * Bookkeeping shared by the vector checks: each check runs published vectors
 * through Parley's wrappers, collects failures (never throws on a mismatch, so
 * one run reports every bad case), and appends everything Parley produced to a
 * Transcript. The transcript's SHA-256 is compared against a recorded constant
 * in Node and in Deno, which proves the two runtimes agree byte for byte,
 * including on which inputs are rejected and with which error code.
 *
 * Runtime-neutral on purpose: no test framework, no file system access.
 */
import { type Bytes, concat, toHex, u32be, utf8 } from '../../bytes.ts';
import { isParleyError } from '../../errors.ts';
import { sha256Digest } from '../kdf.ts';

/** What one published vector suite did when run through Parley. */
export interface SuiteResult {
  readonly suite: string;
  /** Cases run through Parley's wrappers and asserted. */
  readonly checked: number;
  /** Cases deliberately not run, by reason (e.g. a key size Parley never uses). */
  readonly skipped: Readonly<Record<string, number>>;
  /** How the checked cases came out (e.g. "rejected KEY_LOW_ORDER"), for the report. */
  readonly tally: Readonly<Record<string, number>>;
  /** One line per case that disagreed with the vector; empty when all agree. */
  readonly failures: readonly string[];
}

/** A wrapper call's result: its value, or the stable code (or class name) of what it threw. */
export type Attempt<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

export async function attempt<T>(run: () => T | Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (e) {
    return { ok: false, error: errorName(e) };
  }
}

function errorName(e: unknown): string {
  if (isParleyError(e)) return e.code;
  if (e instanceof Error) return e.name;
  return 'non-Error throw';
}

const KIND_BYTES = 1;
const KIND_BOOLEAN = 2;
const KIND_ERROR = 3;

/** Everything Parley output, in run order, length-prefixed so no two transcripts encode alike. */
export class Transcript {
  private readonly parts: Uint8Array[] = [];
  private count = 0;

  add(label: string, outcome: Attempt<Uint8Array | boolean>): void {
    const name = utf8(label);
    let kind: number;
    let payload: Uint8Array;
    if (!outcome.ok) {
      kind = KIND_ERROR;
      payload = utf8(outcome.error);
    } else if (typeof outcome.value === 'boolean') {
      kind = KIND_BOOLEAN;
      payload = new Uint8Array([outcome.value ? 1 : 0]);
    } else {
      kind = KIND_BYTES;
      payload = outcome.value;
    }
    this.parts.push(
      u32be(name.length),
      name,
      new Uint8Array([kind]),
      u32be(payload.length),
      payload,
    );
    this.count++;
  }

  get entries(): number {
    return this.count;
  }

  digest(): Bytes {
    return sha256Digest(concat(...this.parts));
  }
}

/** Collects one suite's counts and failures while its cases run. */
export class SuiteRecorder {
  private checkedCount = 0;
  private readonly failureLines: string[] = [];
  private readonly skips: Record<string, number> = {};
  private readonly counts: Record<string, number> = {};

  constructor(
    readonly suite: string,
    private readonly transcript: Transcript,
  ) {}

  record(caseId: string, step: string, outcome: Attempt<Uint8Array | boolean>): void {
    this.transcript.add(`${this.suite}/${caseId}/${step}`, outcome);
  }

  checked(): void {
    this.checkedCount++;
  }

  skip(reason: string): void {
    this.skips[reason] = (this.skips[reason] ?? 0) + 1;
  }

  count(category: string): void {
    this.counts[category] = (this.counts[category] ?? 0) + 1;
  }

  fail(caseId: string, message: string): void {
    this.failureLines.push(`${this.suite} ${caseId}: ${message}`);
  }

  /** Records what a validation did: `true` when it passed, else what it threw. */
  recordValidation(caseId: string, step: string, outcome: Attempt<unknown>): void {
    this.record(caseId, step, outcome.ok ? { ok: true, value: true } : outcome);
  }

  /**
   * Records `outcome` as one checked step and fails the case unless it is
   * exactly `expected` (`description` names the step in the failure line).
   */
  checkBytes(
    caseId: string,
    step: string,
    outcome: Attempt<Uint8Array>,
    expected: Uint8Array,
    description = step,
  ): boolean {
    this.record(caseId, step, outcome);
    this.checked();
    return this.expectBytes(caseId, description, outcome, expected);
  }

  /** Fails the case unless `outcome` is exactly `expected` bytes. */
  expectBytes(
    caseId: string,
    step: string,
    outcome: Attempt<Uint8Array>,
    expected: Uint8Array,
  ): boolean {
    if (!outcome.ok) {
      this.fail(caseId, `${step}: expected ${toHex(expected)}, threw ${outcome.error}`);
      return false;
    }
    if (toHex(outcome.value) !== toHex(expected)) {
      this.fail(caseId, `${step}: expected ${toHex(expected)}, got ${toHex(outcome.value)}`);
      return false;
    }
    return true;
  }

  /** Fails the case unless `outcome` threw one of `codes` (ParleyError codes or Error class names). */
  expectError(
    caseId: string,
    step: string,
    outcome: Attempt<unknown>,
    codes: readonly string[],
  ): boolean {
    if (outcome.ok) {
      this.fail(caseId, `${step}: expected rejection (${codes.join(' or ')}), but it was accepted`);
      return false;
    }
    if (!codes.includes(outcome.error)) {
      this.fail(caseId, `${step}: expected ${codes.join(' or ')}, threw ${outcome.error}`);
      return false;
    }
    return true;
  }

  result(): SuiteResult {
    return {
      suite: this.suite,
      checked: this.checkedCount,
      skipped: { ...this.skips },
      tally: { ...this.counts },
      failures: [...this.failureLines],
    };
  }
}

/** The fields every Wycheproof testvectors_v1 file shares. */
export interface WycheproofFile<Group> {
  readonly algorithm: string;
  readonly numberOfTests: number;
  readonly testGroups: readonly Group[];
}

export interface WycheproofCase {
  readonly tcId: number;
  readonly flags: readonly string[];
  readonly result: string;
}

export function caseName(test: WycheproofCase): string {
  return `tc${test.tcId}`;
}

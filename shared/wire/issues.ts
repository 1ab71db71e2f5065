/**
 * Turns a valibot issue into error details that are safe to send back and to
 * log: the field path and a short reason, never the offending value (valibot's
 * own messages quote it). Map keys are attacker-chosen text, so only keys that
 * look like field names are printed; anything else shows as "?".
 */
import type { BaseIssue } from 'valibot';

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9]{0,31}$/;

export interface IssueSummary {
  /** e.g. "to[3].devices[0].body"; "" for the value itself. */
  readonly path: string;
  /**
   * valibot's validation type ("length", "max_length", "regex", "min_value", ...),
   * wrong_type, missing_field, unknown_field, or the word a custom check chose
   * ("duplicate", "base64url", ...).
   */
  readonly reason: string;
}

export function summarizeIssue(issue: BaseIssue<unknown>): IssueSummary {
  let path = '';
  for (const item of issue.path ?? []) {
    const key: unknown = item.key;
    if (typeof key === 'number') path += `[${key}]`;
    else if (typeof key === 'string' && FIELD_NAME.test(key)) path += path === '' ? key : `.${key}`;
    else path += path === '' ? '?' : '.?';
  }
  let reason: string = issue.type;
  if (issue.type === 'strict_object' || issue.type === 'loose_object' || issue.type === 'object') {
    // valibot reports an unknown key with expected "never", a missing one with input undefined.
    if (issue.expected === 'never') reason = 'unknown_field';
    else if (issue.input === undefined) reason = 'missing_field';
    else reason = 'wrong_type';
  } else if (issue.type === 'raw_check' || issue.type === 'raw_transform') {
    // Our own checks put a fixed reason word (never input) in `expected`.
    reason = issue.expected ?? issue.type;
  } else if (issue.kind === 'schema') {
    reason = 'wrong_type';
  }
  return { path, reason };
}

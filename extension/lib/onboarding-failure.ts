/**
 * Where a failed onboarding step is shown, and with which sentence: beside
 * the relay field, beside the handle field, or under the card. A taken handle
 * also sends the person back to the handle field (docs/extension.md,
 * "Onboarding").
 *
 * Runs in: pages (pure).
 */
import { ErrorCode, isParleyError } from '../../shared/errors.ts';
import { describeError, ExtErrorCode, errorCode } from './errors.ts';
import { canonicalHandle, handleProblem } from './handles.ts';

export type OnboardingFailure =
  | { readonly field: 'relay'; readonly text: string }
  | { readonly field: 'handle'; readonly text: string; readonly taken: boolean }
  | { readonly field: 'page'; readonly text: string };

function relayHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** `relayUrl` and `handle`: what the fields hold when the step failed. */
export function onboardingFailure(e: unknown, relayUrl: string, handle: string): OnboardingFailure {
  const code = errorCode(e);
  if (code === ErrorCode.RELAY_UNREACHABLE) {
    return {
      field: 'relay',
      text: `Relay unreachable at ${relayHost(relayUrl)}. Is it running? (npm start starts one locally.)`,
    };
  }
  if (code === ExtErrorCode.RELAY_PERMISSION_DENIED) {
    return {
      field: 'relay',
      text: 'Parley needs your permission to talk to this relay. Continue again and allow it.',
    };
  }
  if (code === ErrorCode.HANDLE_TAKEN) {
    return {
      field: 'handle',
      taken: true,
      text: `@${canonicalHandle(handle) ?? handle} is already taken. Try another handle.`,
    };
  }
  if (code === ErrorCode.HANDLE_INVALID) {
    return { field: 'handle', taken: false, text: handleProblem(handle) };
  }
  // Rendered from the details (docs/errors.md), never from the worker's message text.
  if (isParleyError(e, ErrorCode.BODY_INVALID) && e.details?.path === 'relayUrl') {
    return { field: 'relay', text: describeError(e) };
  }
  return { field: 'page', text: describeError(e) };
}

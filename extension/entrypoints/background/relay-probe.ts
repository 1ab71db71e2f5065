/**
 * "Is there a Parley relay at this address?" for the onboarding form, before
 * any passkey is created: GET <relay>/healthz with a short timeout. An https
 * relay also needs the host permission the onboarding page asked for.
 *
 * Runs in: the service worker.
 */
import { ErrorCode } from '../../../shared/errors.ts';
import { ExtErrorCode, extError } from '../../lib/errors.ts';
import type { RelayCheck } from '../../lib/protocol.ts';

export const PROBE_TIMEOUT_MS = 5_000;

export interface ProbeDeps {
  readonly fetch: typeof fetch;
  readonly hasPermission: (origin: string) => Promise<boolean>;
  readonly now: () => number;
}

export async function probeRelay(relayUrl: string, deps: ProbeDeps): Promise<RelayCheck> {
  const origin = new URL(relayUrl).origin;
  if (origin.startsWith('https:') && !(await deps.hasPermission(origin))) {
    throw extError(
      ExtErrorCode.RELAY_PERMISSION_DENIED,
      'Parley has no permission to reach this relay',
      { origin },
    );
  }
  const started = deps.now();
  let response: Response;
  try {
    response = await deps.fetch(`${relayUrl}/healthz`, {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw extError(ErrorCode.RELAY_UNREACHABLE, 'The relay could not be reached', { origin });
  }
  if (!response.ok) {
    throw extError(ErrorCode.RELAY_UNREACHABLE, 'The relay answered with an error', {
      origin,
      status: response.status,
    });
  }
  return { relayUrl, latencyMs: Math.max(0, Math.round(deps.now() - started)) };
}

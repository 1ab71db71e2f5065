/**
 * Page side of "Let my passkey restore backups" (docs/extension.md,
 * "Backups"): a fresh passkey verification that also evaluates the PRF for
 * the recovery key wrap; the relay checks the assertion, the worker gets the
 * PRF output.
 *
 * Runs in: pages.
 */
import { browser } from 'wxt/browser';
import type { RequestOf } from './messaging.ts';
import { call } from './rpc-client.ts';
import { assertWithRecoveryPrf } from './webauthn.ts';

export interface PasskeyPrfAnswer {
  readonly credentialId: string;
  readonly prfOutput: string;
}

/** Answers a passkey login the worker started (`options`) with UV and the PRF. */
export async function finishLoginWithPrf(
  options: Readonly<Record<string, unknown>>,
): Promise<PasskeyPrfAnswer> {
  const { assertion, credentialId, prfOutput } = await assertWithRecoveryPrf(
    options,
    browser.runtime.id,
  );
  await call('finishUserVerification', {
    assertion: assertion as RequestOf<'finishUserVerification'>['assertion'],
  });
  return { credentialId, prfOutput };
}

/** Settings: turns the option on with a fresh verification of the account's passkey. */
export async function enablePasskeyRestore(): Promise<void> {
  const prf = await finishLoginWithPrf(await call('beginUserVerification'));
  await call('passkeyRestoreEnable', prf);
}

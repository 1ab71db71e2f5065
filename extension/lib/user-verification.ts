/**
 * Page side of a fresh passkey user verification (docs/extension.md, "Linked
 * devices"): the worker starts a passkey login, this page runs the WebAuthn
 * ceremony with user verification required, the worker has the relay check
 * the assertion. Afterwards the worker allows one approval or removal.
 *
 * Runs in: pages.
 */
import { browser } from 'wxt/browser';
import type { RequestOf } from './messaging.ts';
import { call } from './rpc-client.ts';
import { assertWithUserVerification } from './webauthn.ts';

export async function verifyUser(): Promise<void> {
  const options = await call('beginUserVerification');
  const assertion = await assertWithUserVerification(options, browser.runtime.id);
  await call('finishUserVerification', {
    // The worker checks the shape (and the relay the signature).
    assertion: assertion as RequestOf<'finishUserVerification'>['assertion'],
  });
}

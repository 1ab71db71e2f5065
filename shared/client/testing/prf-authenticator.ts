/**
 * A software passkey that also evaluates the PRF for the recovery key wrap
 * (PASSKEY_WRAP_PRF_SALT), as the extension's pages ask a real one: the
 * output stays with the caller, and the assertion handed on carries no
 * extension results (the relay never sees a PRF output).
 */
import { PASSKEY_WRAP_PRF_SALT } from '../../backup/passkey-wrap.ts';
import { toBase64Url } from '../../bytes.ts';
import { prfFirst, type SoftAuthenticator } from '../../testing/soft-authenticator.ts';
import type { AuthenticationResponse, RegistrationResponse } from '../../wire/rest-auth.ts';
import type { Authenticator } from '../account/account.ts';
import type { PasskeyPrf } from '../backup/passkey-restore.ts';

export interface PrfAuthenticator extends Authenticator {
  /** The credential and PRF output of the last assertion. */
  last(): PasskeyPrf;
}

export function prfAuthenticator(soft: SoftAuthenticator): PrfAuthenticator {
  let last: PasskeyPrf | undefined;
  return {
    createCredential: async (options) =>
      (await soft.createCredential(options as never)) as unknown as RegistrationResponse,
    async getAssertion(options) {
      const response = await soft.getAssertion({
        ...(options as never as Parameters<SoftAuthenticator['getAssertion']>[0]),
        extensions: { prf: { eval: { first: toBase64Url(PASSKEY_WRAP_PRF_SALT) } } },
      });
      const prfOutput = prfFirst(response);
      if (prfOutput === undefined) throw new Error('no PRF output');
      last = { credentialId: response.id, prfOutput };
      return { ...response, clientExtensionResults: {} } as unknown as AuthenticationResponse;
    },
    last() {
      if (last === undefined) throw new Error('no assertion yet');
      return last;
    },
  };
}

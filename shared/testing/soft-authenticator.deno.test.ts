// The software authenticator under Deno (where the relay verifies it): a
// registration and two logins pass @simplewebauthn/server's real checks, and a
// response for another RP id does not.
import { ok, rejects, strictEqual } from 'node:assert/strict';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { SoftAuthenticator } from './soft-authenticator.ts';

const ORIGIN = 'chrome-extension://bmdomknieihcmbmhfmajogfncjkidlbh';

Deno.test('soft authenticator: registration and logins verify under Deno', async () => {
  const auth = new SoftAuthenticator({ origin: ORIGIN });
  const options = await generateRegistrationOptions({
    rpName: 'Parley',
    rpID: ORIGIN,
    userName: 'alice',
    attestationType: 'none',
    authenticatorSelection: { userVerification: 'required', residentKey: 'required' },
  });
  const reg = await verifyRegistrationResponse({
    response: await auth.createCredential(options),
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: ORIGIN,
    requireUserVerification: true,
  });
  ok(reg.verified);
  let counter = reg.registrationInfo.credential.counter;
  for (let i = 0; i < 2; i++) {
    const login = await generateAuthenticationOptions({
      rpID: ORIGIN,
      userVerification: 'required',
    });
    const result = await verifyAuthenticationResponse({
      response: await auth.getAssertion(login),
      expectedChallenge: login.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: ORIGIN,
      credential: { ...reg.registrationInfo.credential, counter },
      requireUserVerification: true,
    });
    ok(result.verified);
    strictEqual(result.authenticationInfo.newCounter, counter + 1);
    counter = result.authenticationInfo.newCounter;
  }
  const other = await generateAuthenticationOptions({ rpID: ORIGIN, userVerification: 'required' });
  await rejects(
    verifyAuthenticationResponse({
      response: await auth.getAssertion(other),
      expectedChallenge: other.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: 'localhost',
      credential: { ...reg.registrationInfo.credential, counter },
      requireUserVerification: true,
    }),
    /RP ID/,
  );
});

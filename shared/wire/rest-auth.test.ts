import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ErrorCode, ParleyError } from '../errors.ts';
import { rpIdFor, SoftAuthenticator } from '../testing/soft-authenticator.ts';
import { summarizeIssue } from './issues.ts';
import { WEBAUTHN_CLIENT_DATA_MAX_CHARS } from './limits.ts';
import {
  AuthenticationResponseSchema,
  CreationOptionsResponseSchema,
  LoginOptionsRequestSchema,
  LoginVerifyRequestSchema,
  RegistrationVerifyRequestSchema,
  RequestOptionsResponseSchema,
  SessionResponseSchema,
} from './rest-auth.ts';
import { parseRestBody } from './rest-codec.ts';
import { ALICE } from './testing/samples.ts';

const ORIGIN = 'chrome-extension://bmdomknieihcmbmhfmajogfncjkidlbh';
const RP_ID = rpIdFor(ORIGIN);

// The schemas' outputs are what @simplewebauthn's functions take: no casts needed.
type Assignable<T, U extends T> = U;
type _registration = Assignable<
  RegistrationResponseJSON,
  v.InferOutput<typeof RegistrationVerifyRequestSchema>['response']
>;
type _authentication = Assignable<
  AuthenticationResponseJSON,
  v.InferOutput<typeof LoginVerifyRequestSchema>['response']
>;
type _creation = Assignable<
  PublicKeyCredentialCreationOptionsJSON,
  v.InferOutput<typeof CreationOptionsResponseSchema>['options']
>;
type _request = Assignable<
  PublicKeyCredentialRequestOptionsJSON,
  v.InferOutput<typeof RequestOptionsResponseSchema>['options']
>;

/** Both directions through JSON text, as over HTTP. */
const overHttp = <S extends v.GenericSchema>(schema: S, value: unknown) =>
  parseRestBody(schema, JSON.stringify(value));

describe('passkey ceremonies through the wire schemas', () => {
  it('registration and login verify with @simplewebauthn/server after parsing', async () => {
    const authenticator = new SoftAuthenticator({ origin: ORIGIN });
    const creation = await generateRegistrationOptions({
      rpName: 'Parley',
      rpID: RP_ID,
      userName: 'alice',
      attestationType: 'none',
      authenticatorSelection: { userVerification: 'required', residentKey: 'required' },
    });
    const { options } = overHttp(CreationOptionsResponseSchema, { options: creation });
    const { response } = overHttp(RegistrationVerifyRequestSchema, {
      response: await authenticator.createCredential(options),
    });
    const registered = await verifyRegistrationResponse({
      response,
      expectedChallenge: creation.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserVerification: true,
    });
    expect(registered.verified).toBe(true);
    if (!registered.verified) return;

    const request = await generateAuthenticationOptions({
      rpID: RP_ID,
      userVerification: 'required',
    });
    const parsedRequest = overHttp(RequestOptionsResponseSchema, { options: request });
    const assertion = overHttp(LoginVerifyRequestSchema, {
      response: await authenticator.getAssertion(parsedRequest.options),
    });
    const loggedIn = await verifyAuthenticationResponse({
      response: assertion.response,
      expectedChallenge: request.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      credential: registered.registrationInfo.credential,
      requireUserVerification: true,
    });
    expect(loggedIn.verified).toBe(true);
  });

  it('keeps unknown WebAuthn members (browsers add them) but caps known ones', async () => {
    const authenticator = new SoftAuthenticator({ origin: ORIGIN });
    const creation = await generateRegistrationOptions({
      rpName: 'Parley',
      rpID: RP_ID,
      userName: 'bob',
    });
    await authenticator.createCredential(creation);
    const request = await generateAuthenticationOptions({ rpID: RP_ID });
    const response = await authenticator.getAssertion(request);
    const withExtra = { ...response, futureMember: { x: 1 } };
    expect(v.parse(AuthenticationResponseSchema, withExtra)).toHaveProperty('futureMember');

    const outcome = (value: unknown) => {
      const r = v.safeParse(AuthenticationResponseSchema, value, { abortEarly: true });
      return r.success ? 'ok' : summarizeIssue(r.issues[0]);
    };
    expect(outcome({ ...response, type: 'password' })).toEqual({
      path: 'type',
      reason: 'wrong_type',
    });
    expect(
      outcome({
        ...response,
        response: {
          ...response.response,
          clientDataJSON: 'A'.repeat(WEBAUTHN_CLIENT_DATA_MAX_CHARS + 1),
        },
      }),
    ).toEqual({ path: 'response.clientDataJSON', reason: 'max_length' });
    expect(outcome({ ...response, response: { ...response.response, signature: 'a+b/' } })).toEqual(
      {
        path: 'response.signature',
        reason: 'regex',
      },
    );
    const { clientExtensionResults: _, ...withoutExtensions } = response;
    expect(outcome(withoutExtensions)).toEqual({
      path: 'clientExtensionResults',
      reason: 'missing_field',
    });
  });

  it('login options may name a handle or not', () => {
    expect(v.parse(LoginOptionsRequestSchema, {})).toEqual({});
    expect(v.parse(LoginOptionsRequestSchema, { handle: 'alice' })).toEqual({ handle: 'alice' });
    expect(() => v.parse(LoginOptionsRequestSchema, { handle: '@alice' })).toThrow();
  });

  it('session responses carry a token of JWT characters', () => {
    const good = {
      user: ALICE,
      handle: 'alice',
      token: 'eyJhbGciOiJIUzI1NiJ9.e30.sig-_',
      expiresAt: 1,
    };
    expect(overHttp(SessionResponseSchema, good)).toEqual(good);
    let error: unknown;
    try {
      overHttp(SessionResponseSchema, { ...good, token: 'has space' });
    } catch (e) {
      error = e;
    }
    expect(error instanceof ParleyError && error.code === ErrorCode.BODY_INVALID).toBe(true);
  });
});

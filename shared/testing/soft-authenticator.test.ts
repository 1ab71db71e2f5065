import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import {
  effectiveRpId,
  p1363ToDer,
  prfFirst,
  rpIdFor,
  SoftAuthenticator,
} from './soft-authenticator.ts';

const ORIGIN = 'chrome-extension://bmdomknieihcmbmhfmajogfncjkidlbh';

async function register(auth: SoftAuthenticator, rpID: string, expectedRPID = rpID) {
  const options = await generateRegistrationOptions({
    rpName: 'Parley',
    rpID,
    userName: 'alice',
    attestationType: 'none',
    authenticatorSelection: { userVerification: 'required', residentKey: 'required' },
  });
  const response = await auth.createCredential(options);
  return verifyRegistrationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: auth.origin,
    expectedRPID,
    requireUserVerification: true,
  });
}

describe('SoftAuthenticator', () => {
  it('produces registrations and assertions that @simplewebauthn/server verifies (extension origin as RP id)', async () => {
    const auth = new SoftAuthenticator({ origin: ORIGIN });
    const reg = await register(auth, rpIdFor(ORIGIN));
    expect(reg.verified).toBe(true);
    if (!reg.verified) return;
    const { credential } = reg.registrationInfo;
    for (let i = 1; i <= 2; i++) {
      const options = await generateAuthenticationOptions({
        rpID: ORIGIN,
        userVerification: 'required',
      });
      const response = await auth.getAssertion(options);
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: options.challenge,
        expectedOrigin: ORIGIN,
        expectedRPID: ORIGIN,
        credential: { ...credential, counter: i - 1 },
        requireUserVerification: true,
      });
      expect(result.verified).toBe(true);
      expect(result.authenticationInfo.newCounter).toBe(i);
    }
  });

  it('is rejected for the wrong RP id and without user verification', async () => {
    const auth = new SoftAuthenticator({ origin: 'http://localhost:8787' });
    await expect(register(auth, 'localhost', 'example.com')).rejects.toThrow(/RP ID/);
    await expect(register(auth, 'example.com')).rejects.toThrow(/SecurityError/);
    const noUv = new SoftAuthenticator({
      origin: 'http://localhost:8787',
      userVerification: false,
    });
    await expect(register(noUv, 'localhost')).rejects.toThrow(/verif/i);
  });

  it('answers PRF deterministically per credential and salt', async () => {
    const auth = new SoftAuthenticator({ origin: ORIGIN });
    await register(auth, ORIGIN);
    const salt = 'c2FsdA';
    const a = await auth.getAssertion({
      challenge: 'AAAA',
      extensions: { prf: { eval: { first: salt } } },
    });
    const b = await auth.getAssertion({
      challenge: 'BBBB',
      extensions: { prf: { eval: { first: salt } } },
    });
    const out = prfFirst(a);
    expect(out?.length).toBe(32);
    expect(prfFirst(b)).toEqual(out);
    const other = await auth.getAssertion({
      challenge: 'CCCC',
      extensions: { prf: { eval: { first: 'b3RoZXI' } } },
    });
    expect(prfFirst(other)).not.toEqual(out);
  });

  it('maps a bare extension id to the hashed extension origin, as Chromium does', () => {
    expect(effectiveRpId(ORIGIN, 'bmdomknieihcmbmhfmajogfncjkidlbh')).toBe(ORIGIN);
    expect(effectiveRpId(ORIGIN, undefined)).toBe(ORIGIN);
    expect(() => effectiveRpId(ORIGIN, 'evil')).toThrow(/SecurityError/);
  });

  it('encodes DER integers with a leading zero when the high bit is set', () => {
    const sig = new Uint8Array(64);
    sig[0] = 0x80;
    sig[63] = 1;
    const der = p1363ToDer(sig);
    expect([...der.subarray(0, 5)]).toEqual([0x30, 0x26, 0x02, 0x21, 0x00]);
    expect([...der.subarray(der.length - 3)]).toEqual([0x02, 0x01, 0x01]);
  });
});

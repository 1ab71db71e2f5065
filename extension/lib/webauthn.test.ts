/**
 * The PRF output as the page reads it from a ceremony (webauthn.ts): the
 * authenticator's bytes as base64url, whether the browser hands an
 * ArrayBuffer or a view into a larger one, and the typed error of each
 * ceremony that needs one when the passkey gives none. The browser's
 * WebAuthn objects are stand-ins here (Node has none); what the browser
 * really does is the passkey E2E specs' part.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toBase64Url } from '../../shared/bytes.ts';
import { rejectionCode } from '../../shared/testing/errors.ts';
import { ExtErrorCode } from './errors.ts';
import { assertWithRecoveryPrf, evaluatePrf, prfOutputOf } from './webauthn.ts';

const OUTPUT = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

/** A stand-in credential answering with these client extension results. */
class FakeCredential {
  readonly id = 'cred-1';
  readonly #results: AuthenticationExtensionsClientOutputs;

  constructor(results: AuthenticationExtensionsClientOutputs) {
    this.#results = results;
  }

  getClientExtensionResults(): AuthenticationExtensionsClientOutputs {
    return this.#results;
  }

  toJSON(): Record<string, unknown> {
    return { id: this.id, clientExtensionResults: this.#results };
  }

  static parseRequestOptionsFromJSON(json: unknown): unknown {
    return json;
  }
}

function credential(results: AuthenticationExtensionsClientOutputs): PublicKeyCredential {
  return new FakeCredential(results) as unknown as PublicKeyCredential;
}

function withPrf(first: BufferSource): AuthenticationExtensionsClientOutputs {
  return { prf: { results: { first } } };
}

/** The browser as far as the page's get() ceremonies use it, answering with `results`. */
function browserAnswering(results: AuthenticationExtensionsClientOutputs): void {
  vi.stubGlobal('PublicKeyCredential', FakeCredential);
  vi.stubGlobal('navigator', {
    credentials: { get: () => Promise.resolve(new FakeCredential(results)) },
  });
}

const UNLOCK = { rpId: 'ext.test', credentialIds: ['cred-1'], salt: toBase64Url(OUTPUT) };

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('prfOutputOf', () => {
  it('reads the first PRF output as base64url, from a buffer or a view into one', () => {
    expect(prfOutputOf(credential(withPrf(OUTPUT.slice().buffer)))).toBe(toBase64Url(OUTPUT));
    const larger = new Uint8Array(48);
    larger.set(OUTPUT, 8);
    expect(prfOutputOf(credential(withPrf(larger.subarray(8, 40))))).toBe(toBase64Url(OUTPUT));
  });

  it('is undefined when the authenticator gave no PRF output', () => {
    expect(prfOutputOf(credential({}))).toBeUndefined();
    expect(prfOutputOf(credential({ prf: { enabled: true } }))).toBeUndefined();
    expect(prfOutputOf(credential({ prf: { results: {} as never } }))).toBeUndefined();
  });
});

describe('the ceremonies that need a PRF output', () => {
  it('unlock returns the output and the credential', async () => {
    browserAnswering(withPrf(OUTPUT));
    expect(await evaluatePrf(UNLOCK)).toEqual({
      credentialId: 'cred-1',
      prfOutput: toBase64Url(OUTPUT),
    });
  });

  it('the recovery key wrap returns the output apart from the assertion, which carries none', async () => {
    browserAnswering(withPrf(OUTPUT));
    const got = await assertWithRecoveryPrf({ challenge: 'x' }, 'ext.test');
    expect(got.credentialId).toBe('cred-1');
    expect(got.prfOutput).toBe(toBase64Url(OUTPUT));
    expect(got.assertion.clientExtensionResults).toEqual({});
  });

  it('each fails with its own code when the passkey gives no output', async () => {
    browserAnswering({ prf: { enabled: false } });
    expect(await rejectionCode(evaluatePrf(UNLOCK))).toBe(ExtErrorCode.PASSKEY_UNSUPPORTED);
    expect(await rejectionCode(assertWithRecoveryPrf({ challenge: 'x' }, 'ext.test'))).toBe(
      ExtErrorCode.PASSKEY_PRF_UNSUPPORTED,
    );
  });
});

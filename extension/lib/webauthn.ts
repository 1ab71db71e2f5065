/**
 * Passkeys, page side. WebAuthn only runs in documents, so the page runs the
 * ceremony and hands the worker plain JSON: the registration response (with
 * any PRF output removed: it goes to the relay) and, separately, the PRF
 * output that opens the vault (it goes to the worker only).
 *
 * Parley's RP ID is always the extension id; Chromium then scopes the
 * credential to `chrome-extension://<id>` (see docs/extension.md).
 *
 * Runs in: pages.
 */
import { PASSKEY_WRAP_PRF_SALT } from '../../shared/backup/passkey-wrap.ts';
import { fromBase64Url, toBase64Url } from '../../shared/bytes.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { ExtErrorCode, extError } from './errors.ts';
import type { CreationOptionsJson, RegistrationCredentialJson, UnlockOptions } from './protocol.ts';

const PRF_SALT_BYTES = 32;

export interface CreatedPasskey {
  readonly credential: RegistrationCredentialJson;
  readonly credentialId: string;
  /** The PRF input used; the vault stores it to ask for the same output at unlock. */
  readonly prfSalt: string;
  /** The PRF output, when the authenticator returned one at creation. */
  readonly prfOutput: string | null;
  /** The authenticator supports PRF (an output can be had with a get() if create() gave none). */
  readonly prfEnabled: boolean;
}

function toBytes(source: BufferSource): Uint8Array {
  return source instanceof ArrayBuffer
    ? new Uint8Array(source)
    : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
}

/**
 * The PRF output a ceremony returned (base64url), undefined when the
 * authenticator gave none: one reading for creation, unlock and the recovery
 * key wrap.
 */
export function prfOutputOf(credential: PublicKeyCredential): string | undefined {
  const first = credential.getClientExtensionResults().prf?.results?.first;
  return first === undefined ? undefined : toBase64Url(toBytes(first));
}

/** Maps the browser's DOMExceptions to errors a person can act on. */
export function passkeyError(e: unknown): Error {
  const name = e instanceof DOMException ? e.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'AbortError':
      return extError(ExtErrorCode.PASSKEY_CANCELLED, 'The passkey dialog was closed');
    case 'NotSupportedError':
    case 'SecurityError':
      return extError(ExtErrorCode.PASSKEY_UNSUPPORTED, 'Passkeys are not available here', {
        reason: name,
      });
    default:
      return extError(
        ErrorCode.PASSKEY_FAILED,
        'The passkey could not be used',
        name === '' ? {} : { reason: name },
      );
  }
}

function assertSupported(): void {
  if (typeof PublicKeyCredential === 'undefined' || navigator.credentials === undefined) {
    throw extError(ExtErrorCode.PASSKEY_UNSUPPORTED, 'Passkeys are not available here');
  }
}

/** Creates the account's passkey with the relay's options, asking for PRF. */
export async function createPasskey(
  optionsJson: CreationOptionsJson,
  rpId: string,
): Promise<CreatedPasskey> {
  assertSupported();
  const salt = crypto.getRandomValues(new Uint8Array(PRF_SALT_BYTES));
  const parsed = PublicKeyCredential.parseCreationOptionsFromJSON(
    optionsJson as unknown as PublicKeyCredentialCreationOptionsJSON,
  );
  const publicKey: PublicKeyCredentialCreationOptions = {
    ...parsed,
    rp: { ...parsed.rp, id: rpId },
    extensions: { ...parsed.extensions, prf: { eval: { first: salt } } },
  };
  let credential: PublicKeyCredential;
  try {
    const created = await navigator.credentials.create({ publicKey });
    if (!(created instanceof PublicKeyCredential))
      throw new DOMException('no credential', 'UnknownError');
    credential = created;
  } catch (e) {
    throw passkeyError(e);
  }
  const prf = credential.getClientExtensionResults().prf;
  const prfOutput = prfOutputOf(credential);
  const json = credential.toJSON() as unknown as RegistrationCredentialJson;
  const credProps = credential.getClientExtensionResults().credProps;
  const clean: RegistrationCredentialJson = {
    ...json,
    clientExtensionResults: {
      ...(prf?.enabled === undefined ? {} : { prf: { enabled: prf.enabled } }),
      ...(credProps?.rk === undefined ? {} : { credProps: { rk: credProps.rk } }),
    },
  };
  return {
    credential: clean,
    credentialId: credential.id,
    prfSalt: toBase64Url(salt),
    prfOutput: prfOutput ?? null,
    prfEnabled: prf?.enabled === true || prfOutput !== undefined,
  };
}

/** Asks the authenticator for the vault's PRF output (unlock, or right after creation). */
export async function evaluatePrf(
  prf: NonNullable<UnlockOptions['prf']>,
): Promise<{ credentialId: string; prfOutput: string }> {
  assertSupported();
  let assertion: PublicKeyCredential;
  try {
    const got = await navigator.credentials.get({
      publicKey: {
        // No server verifies this assertion: the PRF output either opens the vault or not.
        challenge: crypto.getRandomValues(new Uint8Array(32)),
        rpId: prf.rpId,
        allowCredentials: prf.credentialIds.map((id) => ({
          type: 'public-key',
          id: fromBase64Url(id),
        })),
        userVerification: 'required',
        extensions: { prf: { eval: { first: fromBase64Url(prf.salt) } } },
      },
    });
    if (!(got instanceof PublicKeyCredential))
      throw new DOMException('no credential', 'UnknownError');
    assertion = got;
  } catch (e) {
    throw passkeyError(e);
  }
  const prfOutput = prfOutputOf(assertion);
  if (prfOutput === undefined) {
    throw extError(
      ExtErrorCode.PASSKEY_UNSUPPORTED,
      'This passkey cannot unlock Parley (no PRF support)',
    );
  }
  return { credentialId: assertion.id, prfOutput };
}

async function getWithUserVerification(
  optionsJson: Readonly<Record<string, unknown>>,
  rpId: string,
  extensions?: AuthenticationExtensionsClientInputs,
): Promise<PublicKeyCredential> {
  assertSupported();
  const parsed = PublicKeyCredential.parseRequestOptionsFromJSON(
    optionsJson as unknown as PublicKeyCredentialRequestOptionsJSON,
  );
  try {
    const got = await navigator.credentials.get({
      publicKey: {
        ...parsed,
        rpId,
        userVerification: 'required',
        ...(extensions === undefined
          ? {}
          : { extensions: { ...parsed.extensions, ...extensions } }),
      },
    });
    if (!(got instanceof PublicKeyCredential))
      throw new DOMException('no credential', 'UnknownError');
    return got;
  } catch (e) {
    throw passkeyError(e);
  }
}

/** Only the assertion itself goes on to the relay: no extension outputs. */
function assertionJson(credential: PublicKeyCredential): Record<string, unknown> {
  return { ...(credential.toJSON() as Record<string, unknown>), clientExtensionResults: {} };
}

/**
 * A fresh user verification for the worker (docs/extension.md, "Linked
 * devices"): the relay's login options, answered with `userVerification:
 * 'required'`; the relay, not this page, decides whether it counts.
 */
export async function assertWithUserVerification(
  optionsJson: Readonly<Record<string, unknown>>,
  rpId: string,
): Promise<Record<string, unknown>> {
  return assertionJson(await getWithUserVerification(optionsJson, rpId));
}

/**
 * The same verification, also asking the passkey's PRF for the recovery key
 * wrap (shared/backup/passkey-wrap.ts, its fixed salt): the assertion goes to
 * the relay without it, the PRF output only to the worker.
 * PASSKEY_PRF_UNSUPPORTED when the passkey answers without one.
 */
export async function assertWithRecoveryPrf(
  optionsJson: Readonly<Record<string, unknown>>,
  rpId: string,
): Promise<{ assertion: Record<string, unknown>; credentialId: string; prfOutput: string }> {
  const got = await getWithUserVerification(optionsJson, rpId, {
    prf: { eval: { first: PASSKEY_WRAP_PRF_SALT as Uint8Array<ArrayBuffer> } },
  });
  const prfOutput = prfOutputOf(got);
  if (prfOutput === undefined)
    throw extError(
      ExtErrorCode.PASSKEY_PRF_UNSUPPORTED,
      'This passkey gave no PRF output for the recovery key',
    );
  return { assertion: assertionJson(got), credentialId: got.id, prfOutput };
}

/**
 * Whether this browser can ask a passkey for a PRF output at all (the
 * passkey itself may still say no: PASSKEY_PRF_UNSUPPORTED then).
 */
export async function prfAvailable(): Promise<boolean> {
  if (typeof PublicKeyCredential === 'undefined') return false;
  const capabilities = (
    PublicKeyCredential as unknown as {
      getClientCapabilities?: () => Promise<Record<string, boolean>>;
    }
  ).getClientCapabilities;
  if (capabilities === undefined) return false;
  try {
    return (await capabilities.call(PublicKeyCredential))['extension:prf'] === true;
  } catch {
    return false;
  }
}

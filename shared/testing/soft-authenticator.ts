/**
 * A software WebAuthn authenticator for tests, the CLI and load tools (never
 * shipped in the extension). It builds attestationObject, authenticatorData
 * and clientDataJSON byte for byte as a browser with a platform authenticator
 * does ('none' attestation, ES256 credentials), so the relay's real
 * @simplewebauthn/server verification path runs against it.
 *
 * From a chrome-extension:// page Chromium uses the whole origin as the RP id
 * (it hashes `chrome-extension://<id>`); `rpIdFor` mirrors that.
 *
 * It also answers the PRF extension (hmac-secret) so vault unlocking can be
 * exercised headless: output = HMAC-SHA-256(credential secret,
 * SHA-256("WebAuthn PRF" || 0x00 || salt)), the salt transform the spec defines.
 */
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { Encoder } from 'cbor-x';
import { type Bytes, concat, copy, fromBase64Url, toBase64Url, utf8 } from '../bytes.ts';

// Plain CBOR as authenticators emit it: byte strings untagged, maps without tag 259, minimal headers.
const cbor = new Encoder({
  useRecords: false,
  tagUint8Array: false,
  variableMapSize: true,
  // Present in cbor-x, missing from its typings.
  ...({ useTag259ForMaps: false } as object),
});

const ES256 = -7;
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;
const FLAG_ED = 0x80;

export interface SoftCredential {
  readonly id: Bytes;
  readonly rpId: string;
  readonly userHandle: Bytes;
  readonly privateKey: CryptoKey;
  readonly prfSecret: Bytes;
  counter: number;
}

export interface SoftAuthenticatorOptions {
  /** The origin the "browser" reports in clientDataJSON, e.g. chrome-extension://<id>. */
  readonly origin: string;
  /** Sets the UV flag (user verified). Default true. */
  readonly userVerification?: boolean;
  /** Added to the signature counter per assertion; 0 emulates a counterless (synced) passkey. Default 1. */
  readonly counterStep?: number;
  /** Sets BE/BS flags like a synced passkey. Default false. */
  readonly backedUp?: boolean;
}

interface PrfInputs {
  readonly eval?: { readonly first: string; readonly second?: string };
}

/** The RP id a browser would use for `origin` when the page does not override it. */
export function rpIdFor(origin: string): string {
  if (origin.startsWith('chrome-extension://')) return origin;
  return new URL(origin).hostname;
}

/**
 * The RP id a browser actually hashes for a requested `rp.id`, or a thrown
 * SecurityError as the browser would raise when the page may not claim it.
 */
export function effectiveRpId(origin: string, requested: string | undefined): string {
  const own = rpIdFor(origin);
  if (requested === undefined) return own;
  if (origin.startsWith('chrome-extension://')) {
    // Chromium takes the bare extension id (or the full origin) and hashes the full origin.
    if (requested === own || `chrome-extension://${requested}` === own) return own;
  } else if (own === requested || own.endsWith(`.${requested}`)) {
    return requested;
  }
  throw new Error(`SecurityError: RP id "${requested}" is not valid for origin ${origin}`);
}

async function sha256(data: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', copy(data)));
}

/** IEEE P1363 (r || s) → ASN.1 DER, the form WebAuthn uses for ES256 signatures. */
export function p1363ToDer(signature: Uint8Array): Bytes {
  const integer = (half: Uint8Array): Bytes => {
    let start = 0;
    while (start < half.length - 1 && half[start] === 0) start++;
    let body = half.subarray(start);
    if (((body[0] as number) & 0x80) !== 0) body = concat(new Uint8Array([0]), body);
    return concat(new Uint8Array([0x02, body.length]), body);
  };
  const r = integer(signature.subarray(0, 32));
  const s = integer(signature.subarray(32, 64));
  return concat(new Uint8Array([0x30, r.length + s.length]), r, s);
}

export class SoftAuthenticator {
  readonly origin: string;
  readonly credentials: SoftCredential[] = [];
  readonly #userVerification: boolean;
  readonly #counterStep: number;
  readonly #backedUp: boolean;

  constructor(options: SoftAuthenticatorOptions) {
    this.origin = options.origin;
    this.#userVerification = options.userVerification ?? true;
    this.#counterStep = options.counterStep ?? 1;
    this.#backedUp = options.backedUp ?? false;
  }

  #flags(base: number): number {
    let flags = base | FLAG_UP;
    if (this.#userVerification) flags |= FLAG_UV;
    if (this.#backedUp) flags |= FLAG_BE | FLAG_BS;
    return flags;
  }

  #clientData(type: 'webauthn.create' | 'webauthn.get', challenge: string): Bytes {
    // Same member order as Chromium: type, challenge, origin, crossOrigin.
    return utf8(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }

  /** navigator.credentials.create() */
  async createCredential(
    options: PublicKeyCredentialCreationOptionsJSON,
  ): Promise<RegistrationResponseJSON> {
    if (!options.pubKeyCredParams.some((p) => p.alg === ES256)) {
      throw new Error('SoftAuthenticator: relying party does not accept ES256');
    }
    const rpId = effectiveRpId(this.origin, options.rp.id);
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (this.credentials.some((c) => c.rpId === rpId && excluded.has(toBase64Url(c.id)))) {
      throw new Error('InvalidStateError: credential already registered');
    }
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
    const cose = cbor.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, ES256],
        [-1, 1], // crv: P-256
        [-2, fromBase64Url(jwk.x ?? '')],
        [-3, fromBase64Url(jwk.y ?? '')],
      ]),
    );
    const id = crypto.getRandomValues(new Uint8Array(16));
    const credential: SoftCredential = {
      id,
      rpId,
      userHandle: fromBase64Url(options.user.id),
      privateKey: pair.privateKey,
      prfSecret: crypto.getRandomValues(new Uint8Array(32)),
      counter: 0,
    };
    const attested = concat(
      new Uint8Array(16),
      new Uint8Array([0, id.length]),
      id,
      new Uint8Array(cose),
    );
    const authData = concat(
      await sha256(utf8(rpId)),
      new Uint8Array([this.#flags(FLAG_AT)]),
      new Uint8Array(4),
      attested,
    );
    const attestationObject = new Uint8Array(cbor.encode({ fmt: 'none', attStmt: {}, authData }));
    const clientDataJSON = this.#clientData('webauthn.create', options.challenge);
    this.credentials.push(credential);
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
    return {
      id: toBase64Url(id),
      rawId: toBase64Url(id),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: toBase64Url(clientDataJSON),
        attestationObject: toBase64Url(attestationObject),
        authenticatorData: toBase64Url(authData),
        transports: ['internal'],
        publicKeyAlgorithm: ES256,
        publicKey: toBase64Url(spki),
      },
    };
  }

  /** navigator.credentials.get() */
  async getAssertion(
    options: Omit<PublicKeyCredentialRequestOptionsJSON, 'extensions'> & {
      readonly extensions?: unknown;
    },
  ): Promise<AuthenticationResponseJSON> {
    const rpId = effectiveRpId(this.origin, options.rpId);
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const candidates = this.credentials.filter(
      (c) => c.rpId === rpId && (allowed.size === 0 || allowed.has(toBase64Url(c.id))),
    );
    const credential = candidates[candidates.length - 1];
    if (credential === undefined) throw new Error('NotAllowedError: no matching credential');
    credential.counter += this.#counterStep;
    const counter = new Uint8Array(4);
    new DataView(counter.buffer).setUint32(0, credential.counter);
    const authData = concat(await sha256(utf8(rpId)), new Uint8Array([this.#flags(0)]), counter);
    const clientDataJSON = this.#clientData('webauthn.get', options.challenge);
    const signed = concat(authData, await sha256(clientDataJSON));
    const p1363 = new Uint8Array(
      await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, credential.privateKey, signed),
    );
    const prf = (options.extensions as { prf?: PrfInputs } | undefined)?.prf?.eval;
    const clientExtensionResults =
      prf === undefined
        ? {}
        : {
            prf: {
              enabled: true,
              results: {
                first: toBase64Url(await this.#prf(credential, prf.first)),
                ...(prf.second === undefined
                  ? {}
                  : { second: toBase64Url(await this.#prf(credential, prf.second)) }),
              },
            },
          };
    return {
      id: toBase64Url(credential.id),
      rawId: toBase64Url(credential.id),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults:
        clientExtensionResults as AuthenticationResponseJSON['clientExtensionResults'],
      response: {
        clientDataJSON: toBase64Url(clientDataJSON),
        authenticatorData: toBase64Url(authData),
        signature: toBase64Url(p1363ToDer(p1363)),
        userHandle: toBase64Url(credential.userHandle),
      },
    };
  }

  async #prf(credential: SoftCredential, saltB64: string): Promise<Bytes> {
    const salt = await sha256(
      concat(utf8('WebAuthn PRF'), new Uint8Array([0]), fromBase64Url(saltB64)),
    );
    const key = await crypto.subtle.importKey(
      'raw',
      credential.prfSecret,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    return new Uint8Array(await crypto.subtle.sign('HMAC', key, salt));
  }
}

/** The PRF output (first salt) of an assertion made with the PRF extension, if any. */
export function prfFirst(response: AuthenticationResponseJSON): Bytes | undefined {
  const results = response.clientExtensionResults as unknown as {
    prf?: { results?: { first?: string } };
  };
  const first = results.prf?.results?.first;
  return first === undefined ? undefined : fromBase64Url(first);
}

/** Flags exported for tests that forge unusual authenticator data. */
export const AuthenticatorFlags = {
  UP: FLAG_UP,
  UV: FLAG_UV,
  BE: FLAG_BE,
  BS: FLAG_BS,
  AT: FLAG_AT,
  ED: FLAG_ED,
} as const;

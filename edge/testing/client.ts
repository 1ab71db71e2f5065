/**
 * Test client for the relay's REST side: passkey accounts (through the
 * software authenticator, so the real verification path runs), devices with
 * real keys from shared/crypto (identity, device-key-set), and device-signed requests. The same
 * helpers drive an in-process app (`app.request`) and a real relay process
 * (`fetch`), through the `Http` function they are given.
 */
import { type Bytes, toBase64Url } from '../../shared/bytes.ts';
import {
  certifyDevice,
  type DeviceCertificate,
  generateDeviceKey,
} from '../../shared/crypto/device-certificate.ts';
import { type DeviceKeySet, generateDeviceKeySet } from '../../shared/crypto/device-key-set.ts';
import type { SigningKeyPair } from '../../shared/crypto/ed25519.ts';
import { generateIdentityKeyPair, type IdentityKeyPair } from '../../shared/crypto/identity.ts';
import { systemRandom } from '../../shared/crypto/random.ts';
import { SoftAuthenticator } from '../../shared/testing/soft-authenticator.ts';
import { createAuthFrame, createUnlockFrame } from '../../shared/wire/device-auth.ts';
import { type RequestKey, signDeviceRequest } from '../../shared/wire/device-request.ts';
import type { AuthFrame, UnlockFrame } from '../../shared/wire/frames.ts';
import { routes } from '../../shared/wire/routes.ts';
import { EXTENSION_ORIGIN } from '../config.ts';

export type Http = (path: string, init?: RequestInit) => Promise<Response>;

export interface TestAccount {
  readonly userId: string;
  readonly handle: string;
  readonly token: string;
  readonly authenticator: SoftAuthenticator;
  readonly identity: IdentityKeyPair;
}

export interface TestDevice {
  readonly account: TestAccount;
  readonly deviceId: number;
  readonly deviceKey: SigningKeyPair;
  readonly certificate: DeviceCertificate;
  readonly keys: DeviceKeySet;
}

/** A fresh message id: random, with a per-process sequence number in front so ids never repeat. */
let messageSequence = 0;
export function uniqueMessageId(): Bytes {
  const id = crypto.getRandomValues(new Uint8Array(16));
  new DataView(id.buffer).setUint32(0, ++messageSequence);
  return id;
}

/** The `auth` frame answering `nonce` with the device's own key. */
export function authFrameFor(device: TestDevice, nonce: Uint8Array): Promise<AuthFrame> {
  return createAuthFrame(
    device.deviceKey.privateKey,
    nonce,
    device.account.userId,
    device.deviceId,
  );
}

/**
 * The `unlock` frame for `nonce`: the account's identity key proves the vault
 * is open, so the socket may send (by default the device's own account).
 */
export function unlockFrameFor(
  device: TestDevice,
  nonce: Uint8Array,
  identity: IdentityKeyPair = device.account.identity,
): Promise<UnlockFrame> {
  return createUnlockFrame(
    identity.signing.privateKey,
    nonce,
    device.account.userId,
    device.deviceId,
  );
}

export function jsonInit(
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): RequestInit {
  return {
    method,
    headers: { 'content-type': 'application/json', origin: EXTENSION_ORIGIN, ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

export async function expectJson<T = Record<string, unknown>>(
  response: Response,
  status: number,
): Promise<T> {
  const text = await response.text();
  if (response.status !== status)
    throw new Error(`Expected HTTP ${status}, got ${response.status}: ${text.slice(0, 300)}`);
  return (text === '' ? {} : JSON.parse(text)) as T;
}

/** Registers a new account with a fresh software passkey. */
export async function registerAccount(
  http: Http,
  handle: string,
  origin = EXTENSION_ORIGIN,
): Promise<TestAccount> {
  const authenticator = new SoftAuthenticator({ origin });
  const { options } = await expectJson<{ options: never }>(
    await http(routes.registerOptions.path, jsonInit('POST', { handle })),
    200,
  );
  const response = await authenticator.createCredential(options);
  const grant = await expectJson<{ user: string; handle: string; token: string }>(
    await http(routes.registerVerify.path, jsonInit('POST', { response })),
    201,
  );
  return {
    userId: grant.user,
    handle: grant.handle,
    token: grant.token,
    authenticator,
    identity: await generateIdentityKeyPair(true),
  };
}

/** Logs in again with the account's passkey; returns a fresh session token. */
export async function login(http: Http, account: TestAccount): Promise<string> {
  const { options } = await expectJson<{ options: never }>(
    await http(routes.loginOptions.path, jsonInit('POST', { handle: account.handle })),
    200,
  );
  const response = await account.authenticator.getAssertion(options);
  const grant = await expectJson<{ token: string }>(
    await http(routes.loginVerify.path, jsonInit('POST', { response })),
    200,
  );
  return grant.token;
}

let nextDeviceId = 1000;

/** Keys for a new device of `account` (not yet registered). */
export interface DeviceOptions {
  readonly deviceId?: number;
  /** Default 10. */
  readonly oneTimePreKeys?: number;
  /** One-time ML-KEM prekeys generated with the key set (default 0; upload them with oneTimeKemUpload). */
  readonly oneTimeKemPreKeys?: number;
}

export async function createDevice(
  account: TestAccount,
  options: DeviceOptions = {},
): Promise<TestDevice> {
  const deviceId = options.deviceId ?? nextDeviceId++;
  const keys = await generateDeviceKeySet(
    { random: systemRandom, now: () => Date.now() },
    {
      identity: account.identity,
      oneTimePreKeyCount: options.oneTimePreKeys ?? 10,
      oneTimeKemPreKeyCount: options.oneTimeKemPreKeys ?? 0,
    },
  );
  const deviceKey = await generateDeviceKey();
  const certificate = await certifyDevice(account.identity, {
    userId: account.userId,
    deviceId,
    deviceKey: deviceKey.publicKey,
    createdAt: Date.now(),
  });
  return { account, deviceId, deviceKey, certificate, keys };
}

/** The JSON body of POST /v1/devices for `device`. */
export function registrationBody(device: TestDevice, name?: string): Record<string, unknown> {
  const b64 = toBase64Url;
  const { keys, certificate } = device;
  return {
    identity: {
      dh: b64(keys.identity.dh.publicKey),
      sig: b64(keys.identity.signing.publicKey),
      binding: b64(keys.identity.binding),
    },
    device: {
      id: certificate.deviceId,
      key: b64(certificate.deviceKey),
      certificate: b64(certificate.signature),
      createdAt: certificate.createdAt,
      ...(name === undefined ? {} : { name }),
    },
    signedPreKey: {
      id: keys.signedPreKey.id,
      publicKey: b64(keys.signedPreKey.keyPair.publicKey),
      signature: b64(keys.signedPreKey.signature),
    },
    kemPreKey: {
      id: keys.kemPreKey.id,
      publicKey: b64(keys.kemPreKey.keyPair.publicKey),
      signature: b64(keys.kemPreKey.signature),
    },
    oneTimePreKeys: keys.oneTimePreKeys.map((k) => ({
      id: k.id,
      publicKey: b64(k.keyPair.publicKey),
    })),
  };
}

/** The JSON body of PUT /v1/prekeys carrying one-time ML-KEM prekeys (default: all of the device's). */
export function oneTimeKemUpload(
  keys: readonly { id: number; keyPair: { publicKey: Uint8Array }; signature: Uint8Array }[],
): Record<string, unknown> {
  return {
    oneTimeKemPreKeys: keys.map((k) => ({
      id: k.id,
      publicKey: toBase64Url(k.keyPair.publicKey),
      signature: toBase64Url(k.signature),
    })),
  };
}

/**
 * POST /v1/devices with the session of `device`'s account: its registration
 * body (named `name`, if given), or `body` as given (a tampered one).
 */
export function postDevice(
  http: Http,
  device: TestDevice,
  options: { readonly name?: string; readonly body?: Record<string, unknown> } = {},
): Promise<Response> {
  const body = options.body ?? registrationBody(device, options.name);
  return http(
    routes.registerDevice.path,
    jsonInit('POST', body, { authorization: `Bearer ${device.account.token}` }),
  );
}

export async function registerDevice(http: Http, device: TestDevice): Promise<void> {
  await expectJson(await postDevice(http, device), 201);
}

/** A new account with one registered device. */
export async function accountWithDevice(
  http: Http,
  handle: string,
  deviceOptions: DeviceOptions = {},
) {
  const account = await registerAccount(http, handle);
  const device = await createDevice(account, deviceOptions);
  await registerDevice(http, device);
  // Registration carries no one-time ML-KEM prekeys: they go up like a client's first refill.
  if (device.keys.oneTimeKemPreKeys.length > 0) {
    const body = oneTimeKemUpload(device.keys.oneTimeKemPreKeys);
    await expectJson(await managementRequest(http, device, 'PUT', '/v1/prekeys', body), 200);
  }
  return device;
}

let lastTs = 0;

/**
 * A device-signed request; `ts` strictly increases so no two requests share a
 * signature input. A Uint8Array body is sent raw (application/octet-stream).
 */
export function deviceRequest(
  http: Http,
  device: TestDevice,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return signedRequest(http, device, 'device', method, path, body);
}

/** A management request: the same, signed by the account's identity key (docs/wire.md, "Authentication"). */
export function managementRequest(
  http: Http,
  device: TestDevice,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  return signedRequest(http, device, 'management', method, path, body);
}

async function signedRequest(
  http: Http,
  device: TestDevice,
  signer: RequestKey,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const raw =
    body === undefined
      ? new Uint8Array()
      : body instanceof Uint8Array
        ? body
        : new TextEncoder().encode(JSON.stringify(body));
  lastTs = Math.max(Date.now(), lastTs + 1);
  const authorization = await signDeviceRequest(
    signer === 'device' ? device.deviceKey.privateKey : device.account.identity.signing.privateKey,
    { method, path, body: raw },
    { user: device.account.userId, device: device.deviceId, ts: lastTs },
    signer,
  );
  const contentType = body instanceof Uint8Array ? 'application/octet-stream' : 'application/json';
  return http(path, {
    method,
    headers: { authorization, ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { body: raw as Uint8Array<ArrayBuffer> }),
  });
}

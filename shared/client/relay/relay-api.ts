/**
 * Typed REST client over the shared route table (shared/wire/routes.ts):
 * request bodies are checked against the same schemas the relay uses before
 * they leave, responses are parsed and validated, and every failure is a
 * ParleyError with a stable code (the relay's own code for error responses,
 * RELAY_UNREACHABLE for network failures and timeouts, RELAY_PROTOCOL for a
 * response that breaks the contract). Device-authenticated routes are signed
 * with the device key, management routes (device removal, blocks, prekey
 * upload) with the identity key (shared/wire/device-request.ts).
 */
import type * as v from 'valibot';
import { type Bytes, utf8 } from '../../bytes.ts';
import { ErrorCode, type ErrorDetails, ParleyError } from '../../errors.ts';
import { type RequestKey, signDeviceRequest } from '../../wire/device-request.ts';
import { REST_RESPONSE_MAX_BYTES } from '../../wire/limits.ts';
import type {
  AuthenticationResponse,
  CreationOptions,
  RegistrationResponse,
  RequestOptions,
  SessionResponse,
} from '../../wire/rest-auth.ts';
import { parseRestBody, serializeRestBody } from '../../wire/rest-codec.ts';
import type {
  DeviceListResponse as DeviceList,
  DeviceRegistration,
  OwnDevice,
  PrekeyBundlesResponse,
  PrekeyStatusResponse,
  PrekeyUpload,
} from '../../wire/rest-devices.ts';
import { ErrorResponseSchema } from '../../wire/rest-fields.ts';
import { buildPath, type RouteName, routes } from '../../wire/routes.ts';
import type { FetchLike, Timers } from '../deps.ts';

type Routes = typeof routes;
type BodyOf<B> = B extends v.GenericSchema ? v.InferOutput<B> : undefined;
export type RouteRequest<N extends RouteName> = BodyOf<Routes[N]['request']>;
export type RouteResponse<N extends RouteName> = BodyOf<Routes[N]['response']>;

/** Who signs device-authenticated requests. */
export interface DeviceSigner {
  readonly user: string;
  readonly device: number;
  /** The device's Ed25519 private key (non-extractable in the extension). */
  readonly key: CryptoKey;
  /**
   * The identity Ed25519 private key, for management routes. Absent while the
   * extension is locked (only the device key is usable then): those routes
   * fail with NOT_REGISTERED before anything is sent.
   */
  readonly manager?: CryptoKey;
}

export interface RelayApiOptions {
  /** e.g. http://127.0.0.1:8787 (no trailing path: signed paths are the relay's own). */
  readonly baseUrl: string;
  /** Pass `(url, init) => fetch(url, init)` in browsers (an unbound fetch is an illegal invocation). */
  readonly fetch: FetchLike;
  readonly now: () => number;
  readonly timers: Timers;
  readonly signer?: DeviceSigner;
  /** Per-request timeout; default 15 s. */
  readonly timeoutMs?: number;
  /**
   * Sent as the Origin header by non-browser callers (CLI, tests), so the relay
   * picks the RP id of the passkey origin they emulate. Browsers set it themselves.
   */
  readonly origin?: string;
}

export interface CallInput<N extends RouteName> {
  readonly params?: Readonly<Record<string, string | number>>;
  readonly body?: RouteRequest<N>;
  /** Session token for `session` routes (and `either` routes when given); upload token for `upload` routes. */
  readonly token?: string;
}

/** An error answer from the relay: the relay's code plus the HTTP status. */
export class RelayRequestError extends ParleyError<string> {
  readonly status: number;
  /** From Retry-After on 429 answers. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: string,
    message: string,
    status: number,
    details?: ErrorDetails,
    retryAfterMs?: number,
  ) {
    super(code, message, details);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

const DEFAULT_TIMEOUT_MS = 15_000;

function unreachable(message: string): ParleyError {
  return new ParleyError(ErrorCode.RELAY_UNREACHABLE, message);
}

function protocolError(message: string, status: number): ParleyError {
  return new ParleyError(ErrorCode.RELAY_PROTOCOL, message, { status });
}

export class RelayApi {
  readonly baseUrl: string;
  readonly #o: RelayApiOptions;
  #signer: DeviceSigner | undefined;
  #lastTs = 0;

  constructor(options: RelayApiOptions) {
    this.#o = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#signer = options.signer;
  }

  /** Device-signed routes need this (set after the device is registered). */
  setSigner(signer: DeviceSigner): void {
    this.#signer = signer;
  }

  get signer(): DeviceSigner | undefined {
    return this.#signer;
  }

  /** One route of the table: checked body out, validated body back. */
  async call<N extends RouteName>(name: N, input: CallInput<N> = {}): Promise<RouteResponse<N>> {
    const route = routes[name];
    const path = buildPath(route.path, input.params);
    let body: Bytes | undefined;
    const headers: Record<string, string> = {};
    if (this.#o.origin !== undefined) headers.origin = this.#o.origin;
    if (route.request !== null && route.request !== 'bytes') {
      const text = serializeRestBody(route.request as v.GenericSchema, input.body as never);
      body = utf8(text);
      headers['content-type'] = 'application/json';
    }
    const auth = route.auth;
    const sessionAllowed = auth === 'either' || auth === 'session-or-management';
    // `upload` routes carry the attachment's upload token the same way as a session token.
    if (auth === 'session' || auth === 'upload' || (sessionAllowed && input.token !== undefined)) {
      if (input.token === undefined) {
        throw new ParleyError(ErrorCode.AUTH_REQUIRED, `${name} needs a bearer token`);
      }
      headers.authorization = `Bearer ${input.token}`;
    } else if (auth === 'device' || auth === 'either') {
      headers.authorization = await this.#sign(route.method, path, body ?? new Uint8Array());
    } else if (auth === 'management' || auth === 'session-or-management') {
      headers.authorization = await this.#sign(
        route.method,
        path,
        body ?? new Uint8Array(),
        'management',
      );
    }
    const response = await this.#fetch(route.method, path, headers, body);
    const raw = new Uint8Array(await this.#read(response));
    if (response.status !== route.status) throw this.#errorFrom(response, raw);
    if (route.response === null) return undefined as RouteResponse<N>;
    if (route.response === 'bytes') return raw as RouteResponse<N>;
    try {
      return parseRestBody(route.response as v.GenericSchema, raw, {
        maxBytes: REST_RESPONSE_MAX_BYTES,
      }) as RouteResponse<N>;
    } catch {
      throw protocolError(
        `Relay answered ${name} with a body that breaks the contract`,
        response.status,
      );
    }
  }

  async #sign(
    method: string,
    path: string,
    body: Uint8Array,
    kind: RequestKey = 'device',
  ): Promise<string> {
    const signer = this.#signer;
    if (signer === undefined) {
      throw new ParleyError(ErrorCode.NOT_REGISTERED, 'This request needs a registered device');
    }
    const key = kind === 'device' ? signer.key : signer.manager;
    if (key === undefined) {
      throw new ParleyError(
        ErrorCode.NOT_REGISTERED,
        'This request needs the identity key (the account is locked or not loaded)',
      );
    }
    // The relay refuses a repeated signature input: ts strictly increases per device.
    this.#lastTs = Math.max(this.#o.now(), this.#lastTs + 1);
    return signDeviceRequest(
      key,
      { method, path, body },
      {
        user: signer.user,
        device: signer.device,
        ts: this.#lastTs,
      },
      kind,
    );
  }

  async #fetch(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Bytes | undefined,
  ) {
    const controller = new AbortController();
    const timers = this.#o.timers;
    const timeoutMs = this.#o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = timers.setTimeout(() => controller.abort(), timeoutMs);
    try {
      return await this.#o.fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        signal: controller.signal,
        ...(body === undefined ? {} : { body }),
      });
    } catch {
      throw unreachable(
        controller.signal.aborted
          ? `Relay did not answer within ${timeoutMs} ms`
          : 'Relay is unreachable',
      );
    } finally {
      timers.clearTimeout(timer);
    }
  }

  async #read(response: { arrayBuffer(): Promise<ArrayBuffer> }): Promise<ArrayBuffer> {
    try {
      const buffer = await response.arrayBuffer();
      if (buffer.byteLength > REST_RESPONSE_MAX_BYTES) {
        throw protocolError('Relay response is too large', 0);
      }
      return buffer;
    } catch (e) {
      if (e instanceof ParleyError) throw e;
      throw unreachable('Relay connection broke while reading the response');
    }
  }

  #errorFrom(
    response: { status: number; headers: { get(name: string): string | null } },
    raw: Uint8Array,
  ): RelayRequestError {
    const retryHeader = response.headers.get('retry-after');
    const retrySeconds = retryHeader === null ? Number.NaN : Number(retryHeader);
    const retryAfterMs = Number.isFinite(retrySeconds)
      ? Math.max(0, retrySeconds * 1000)
      : undefined;
    try {
      const { error } = parseRestBody(ErrorResponseSchema, raw, {
        maxBytes: REST_RESPONSE_MAX_BYTES,
      });
      return new RelayRequestError(
        error.code,
        error.message,
        response.status,
        error.details as ErrorDetails | undefined,
        retryAfterMs,
      );
    } catch {
      return new RelayRequestError(
        ErrorCode.RELAY_PROTOCOL,
        `Relay answered HTTP ${response.status} without an error body`,
        response.status,
        { status: response.status },
        retryAfterMs,
      );
    }
  }

  // -------------------------------------------------------------------------
  // The routes the client uses, by name.

  registerOptions(handle: string): Promise<CreationOptions> {
    return this.call('registerOptions', { body: { handle } }).then((r) => r.options);
  }

  registerVerify(response: RegistrationResponse): Promise<SessionResponse> {
    return this.call('registerVerify', { body: { response } });
  }

  loginOptions(handle?: string): Promise<RequestOptions> {
    return this.call('loginOptions', { body: handle === undefined ? {} : { handle } }).then(
      (r) => r.options,
    );
  }

  loginVerify(response: AuthenticationResponse): Promise<SessionResponse> {
    return this.call('loginVerify', { body: { response } });
  }

  registerDevice(token: string, registration: DeviceRegistration) {
    return this.call('registerDevice', { token, body: registration });
  }

  /** POST /v1/identity/reset: the new identity, this device under it, list v1 (fresh session). */
  resetIdentity(token: string, registration: DeviceRegistration, list: Bytes) {
    return this.call('resetIdentity', { token, body: { registration, list } });
  }

  /**
   * GET /v1/devices with a passkey login's session: the account's registered
   * devices, when each was added and last connected (a restore's "is another
   * device alive?", shared/client/backup/account-activity.ts).
   */
  async ownDevices(token: string): Promise<OwnDevice[]> {
    const { devices } = await this.call('ownDevices', { token });
    return devices;
  }

  removeDevice(device: number, token?: string): Promise<void> {
    return this.call('removeDevice', {
      params: { device },
      ...(token === undefined ? {} : { token }),
    }) as Promise<void>;
  }

  /** PUT /v1/device-name: this device's own name (device-signed). */
  renameDevice(name: string): Promise<void> {
    return this.call('renameDevice', { body: { name } }) as Promise<void>;
  }

  /** PUT /v1/device-list: the next signed device list (identity-signed request). */
  publishDeviceList(list: Bytes): Promise<{ version: number; removed: number[] }> {
    return this.call('publishDeviceList', { body: { list } });
  }

  deviceList(user: string): Promise<DeviceList> {
    return this.call('deviceList', { params: { user } });
  }

  bundles(user: string): Promise<PrekeyBundlesResponse> {
    return this.call('bundles', { params: { user } });
  }

  bundle(user: string, device: number): Promise<PrekeyBundlesResponse> {
    return this.call('bundle', { params: { user, device } });
  }

  prekeyStatus(): Promise<PrekeyStatusResponse> {
    return this.call('prekeyStatus');
  }

  uploadPrekeys(upload: PrekeyUpload): Promise<PrekeyStatusResponse> {
    return this.call('prekeyUpload', { body: upload });
  }

  lookupHandle(handle: string): Promise<{ user: string; handle: string }> {
    return this.call('lookupHandle', { params: { handle } });
  }

  /** The relay drops sends from `user` to this account from now on. */
  block(user: string): Promise<void> {
    return this.call('block', { params: { user } }) as Promise<void>;
  }

  unblock(user: string): Promise<void> {
    return this.call('unblock', { params: { user } }) as Promise<void>;
  }

  blockList(): Promise<{ users: string[] }> {
    return this.call('blockList');
  }

  /** PUT /v1/recovery-wraps/:credential (identity-signed): the passkey-wrapped recovery key. */
  putRecoveryWrap(credential: string, wrapped: Bytes): Promise<void> {
    return this.call('recoveryWrapPut', {
      params: { credential },
      body: { wrapped },
    }) as Promise<void>;
  }

  /** GET /v1/recovery-wraps/:credential with the session of a fresh passkey login. */
  async getRecoveryWrap(credential: string, token: string): Promise<Bytes> {
    const { wrapped } = await this.call('recoveryWrapGet', { params: { credential }, token });
    return wrapped;
  }

  /** One credential's wrap, or every wrap of the account (identity-signed). */
  deleteRecoveryWraps(credential?: string): Promise<void> {
    return (
      credential === undefined
        ? this.call('recoveryWrapsDelete')
        : this.call('recoveryWrapDelete', { params: { credential } })
    ) as Promise<void>;
  }
}

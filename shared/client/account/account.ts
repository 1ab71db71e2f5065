/**
 * The account on this device: creating it on a relay (handle -> passkey ->
 * session token -> identity, device key, prekeys -> device registration),
 * loading it back, passkey login for device management, and prekey
 * maintenance (prekeys.ts has the policy).
 *
 * Where the secrets live:
 *   - identity private keys: in the `account` record (the extension seals
 *     every record with the vault key), so they are generated extractable;
 *   - the device key: a CryptoKey in the KeyHandleStore, non-extractable by
 *     default, so it can authenticate to the relay while the vault is locked
 *     and no script can read it. (The CLI asks for an extractable one because
 *     its key store is a file; see scripts/lib/file-store.ts.)
 *
 * The passkey ceremony itself happens outside: an `Authenticator` (the
 * software one in tests and the CLI) or, in the extension, a page that runs
 * navigator.credentials and hands the JSON result to `completeRegistration`.
 */
import * as v from 'valibot';
import type { Bytes } from '../../bytes.ts';
import { certifyDevice } from '../../crypto/device-certificate.ts';
import {
  exportSigningPrivate,
  generateSigningKeyPair,
  importSigningPrivate,
  type SigningKeyPair,
} from '../../crypto/ed25519.ts';
import {
  generateIdentityKeyPair,
  type IdentityKeyPair,
  type PublicIdentity,
  publicIdentity,
} from '../../crypto/identity.ts';
import { PreKeyKind } from '../../crypto/prekeys.ts';
import { exportDhPrivateRaw, importDhKeyPair } from '../../crypto/x25519.ts';
import { ErrorCode, fail, isParleyError, ParleyError } from '../../errors.ts';
import { normalizeHandle } from '../../wire/handle.ts';
import { DEVICE_ID_MAX } from '../../wire/limits.ts';
import type {
  AuthenticationResponse,
  CreationOptions,
  RegistrationResponse,
  RequestOptions,
  SessionResponse,
} from '../../wire/rest-auth.ts';
import type { DeviceRegistration, PrekeyUpload } from '../../wire/rest-devices.ts';
import type { CoreDeps } from '../deps.ts';
import type { RelayApi } from '../relay/relay-api.ts';
import {
  handedOutKemOps,
  kemPreKeyUpload,
  newKemPreKey,
  newOneTimeKemPreKeys,
  newOneTimePreKeys,
  newSignedPreKey,
  oneTimeKemPreKeyUpload,
  oneTimePreKeyUpload,
  planPrekeyMaintenance,
  readInventory,
  recordPreKeyLookup,
  retireOps,
  signedPreKeyUpload,
} from '../sessions/prekeys.ts';
import { bytesOf, decodeRecord, encodeRecord, IntField } from '../store/record-codec.ts';
import { DEVICE_KEY_NAME, Keys } from '../store/storage-keys.ts';
import type { ClientStorage, RecordStore, StoreOperation } from '../store/store.ts';

/** A WebAuthn authenticator as the client core sees it (JSON in, JSON out). */
export interface Authenticator {
  createCredential(options: CreationOptions): Promise<RegistrationResponse>;
  getAssertion(options: RequestOptions): Promise<AuthenticationResponse>;
}

const AccountRecordSchema = v.object({
  v: v.literal(1),
  user: v.string(),
  handle: v.string(),
  device: IntField,
  relayUrl: v.string(),
  registered: v.boolean(),
  createdAt: IntField,
  identity: v.object({
    dhPublic: bytesOf(32),
    dhPrivate: bytesOf(32),
    sigPublic: bytesOf(32),
    sigPrivate: bytesOf(32),
    binding: bytesOf(64),
  }),
  deviceKey: bytesOf(32),
  certificate: bytesOf(64),
  certifiedAt: IntField,
  nextOneTimePreKeyId: IntField,
  signedPreKeyId: IntField,
  kemPreKeyId: IntField,
  /** Absent in records from before one-time ML-KEM prekeys: the next id is then 1. */
  nextOneTimeKemPreKeyId: v.optional(IntField),
});

export type AccountRecord = v.InferOutput<typeof AccountRecordSchema>;

/** The account as the rest of the core uses it: ids plus usable keys. */
export interface Account {
  readonly record: AccountRecord;
  readonly userId: string;
  readonly deviceId: number;
  readonly handle: string;
  readonly relayUrl: string;
  readonly identity: IdentityKeyPair;
  readonly publicIdentity: PublicIdentity;
  readonly deviceKey: CryptoKey;
}

/** What identifies this device to the relay; not secret (the extension keeps it unsealed). */
export interface DeviceAddress {
  readonly relayUrl: string;
  readonly userId: string;
  readonly deviceId: number;
}

/** Private identity material for the device-linking channel (and tests). Handle with care. */
export interface IdentityExport {
  readonly dhPublic: Bytes;
  readonly dhPrivate: Bytes;
  readonly sigPublic: Bytes;
  readonly sigPrivate: Bytes;
  readonly binding: Bytes;
}

export function encodeAccount(record: AccountRecord): StoreOperation {
  return { op: 'set', key: Keys.account, value: encodeRecord(record) };
}

export async function readAccountRecord(records: RecordStore): Promise<AccountRecord | undefined> {
  const raw = await records.get(Keys.account);
  return raw === undefined ? undefined : decodeRecord(AccountRecordSchema, raw, 'account');
}

async function identityFromRecord(record: AccountRecord): Promise<IdentityKeyPair> {
  const id = record.identity;
  const [dh, signingPrivate] = await Promise.all([
    importDhKeyPair(id.dhPrivate, id.dhPublic, false),
    importSigningPrivate(id.sigPrivate, false),
  ]);
  return {
    dh,
    signing: { publicKey: id.sigPublic, privateKey: signingPrivate },
    binding: id.binding,
  };
}

/** Loads the registered account, or undefined when there is none (or registration never finished). */
export async function loadAccount(storage: ClientStorage): Promise<Account | undefined> {
  const record = await readAccountRecord(storage.records);
  if (record === undefined || !record.registered) return undefined;
  const deviceKey = await storage.keys.getKey(DEVICE_KEY_NAME);
  if (deviceKey === undefined) {
    throw new ParleyError(ErrorCode.STATE_CORRUPT, 'The device key is missing from the key store');
  }
  return accountFrom(record, await identityFromRecord(record), deviceKey);
}

function accountFrom(
  record: AccountRecord,
  identity: IdentityKeyPair,
  deviceKey: CryptoKey,
): Account {
  return {
    record,
    userId: record.user,
    deviceId: record.device,
    handle: record.handle,
    relayUrl: record.relayUrl,
    identity,
    publicIdentity: publicIdentity(identity),
    deviceKey,
  };
}

/** Reads identity private keys for linking a new device (no linking channel yet: docs/client.md, "Not done yet"). */
export async function exportIdentity(records: RecordStore): Promise<IdentityExport> {
  const record = await readAccountRecord(records);
  if (record === undefined) fail(ErrorCode.NOT_REGISTERED, 'No account on this device');
  return { ...record.identity };
}

// ---------------------------------------------------------------------------
// Registration

export interface RegistrationInput {
  readonly relayUrl: string;
  readonly handle: string;
  /** Shown in the account's own device list. */
  readonly deviceName?: string;
  /**
   * Generate the device key extractable (only for key stores that must
   * serialise it, like the CLI's file store). Default false.
   */
  readonly extractableDeviceKey?: boolean;
  /** Joins an existing account (same identity) instead of creating a new identity. */
  readonly identity?: IdentityExport;
}

export interface AccountDeps extends CoreDeps {
  readonly storage: ClientStorage;
}

/** Step 1 of account creation: creation options for the passkey ceremony. */
export function beginRegistration(api: RelayApi, handle: string): Promise<CreationOptions> {
  return api.registerOptions(normalizeHandle(handle));
}

/** Step 2: the relay verifies the new passkey; then keys are made and the device registered. */
export async function completeRegistration(
  deps: AccountDeps,
  api: RelayApi,
  input: RegistrationInput,
  credential: RegistrationResponse,
): Promise<Account> {
  await assertNoAccount(deps.storage.records);
  const session = await api.registerVerify(credential);
  return registerDevice(deps, api, input, session);
}

/** Both steps with an Authenticator (tests, CLI, bots). */
export async function registerAccount(
  deps: AccountDeps,
  api: RelayApi,
  input: RegistrationInput,
  authenticator: Authenticator,
): Promise<Account> {
  const options = await beginRegistration(api, input.handle);
  const credential = await passkey(() => authenticator.createCredential(options));
  return completeRegistration(deps, api, input, credential);
}

/** A passkey login: a short-lived session token for device management. */
export async function loginWithPasskey(
  api: RelayApi,
  handle: string | undefined,
  authenticator: Authenticator,
): Promise<SessionResponse> {
  const options = await api.loginOptions(
    handle === undefined ? undefined : normalizeHandle(handle),
  );
  const assertion = await passkey(() => authenticator.getAssertion(options));
  return api.loginVerify(assertion);
}

async function passkey<T>(ceremony: () => Promise<T>): Promise<T> {
  try {
    return await ceremony();
  } catch (e) {
    if (isParleyError(e)) throw e;
    // Authenticator errors (cancelled dialog, no credential) name no secrets, but keep them out anyway.
    throw new ParleyError(ErrorCode.PASSKEY_FAILED, 'The passkey ceremony failed or was cancelled');
  }
}

async function assertNoAccount(records: RecordStore): Promise<AccountRecord | undefined> {
  const existing = await readAccountRecord(records);
  if (existing?.registered === true) {
    fail(ErrorCode.ALREADY_REGISTERED, 'This device already has an account');
  }
  return existing;
}

function randomDeviceId(deps: CoreDeps): number {
  const bytes = deps.random(4);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0) & DEVICE_ID_MAX;
  return n === 0 ? 1 : n;
}

const INITIAL_ONE_TIME_PREKEYS = 100;
const DEVICE_ID_ATTEMPTS = 4;

/**
 * Makes the keys, writes them (before the relay knows them: a crash after the
 * upload must not lose a published identity), registers the device, and
 * marks the account registered. A device-id collision picks another id.
 */
/** The keys a registration made, for a caller that submits it itself (identity reset). */
export interface MadeRegistration {
  readonly body: DeviceRegistration;
  readonly identity: IdentityKeyPair;
  readonly deviceKey: SigningKeyPair;
}

export interface RegisterOptions {
  /** Replace the stored account (identity reset) instead of requiring none. */
  readonly replace?: boolean;
  /** Sends the registration (default: POST /v1/devices with the session token). */
  readonly submit?: (made: MadeRegistration) => Promise<unknown>;
}

export async function registerDevice(
  deps: AccountDeps,
  api: RelayApi,
  input: RegistrationInput,
  session: SessionResponse,
  options: RegisterOptions = {},
): Promise<Account> {
  const { storage, now, random } = deps;
  const unfinished = options.replace === true ? undefined : await assertNoAccount(storage.records);
  // A registration interrupted after its keys were written keeps its identity:
  // the relay may already have pinned it to the account.
  const resumed =
    input.identity === undefined && unfinished?.user === session.user
      ? unfinished.identity
      : undefined;
  const given = input.identity ?? resumed;
  const identity =
    given === undefined ? await generateIdentityKeyPair(true) : await importIdentity(given);
  const identityExport = given ?? (await exportIdentityKeys(identity));
  const deviceKey = await generateSigningKeyPair(input.extractableDeviceKey === true);
  const createdAt = now();
  const spk = await newSignedPreKey(identity, 1, createdAt);
  const kem = await newKemPreKey(identity, 1, createdAt, random);
  const opks = await newOneTimePreKeys(1, INITIAL_ONE_TIME_PREKEYS);
  await storage.keys.setKey(DEVICE_KEY_NAME, deviceKey.privateKey);

  for (let attempt = 0; ; attempt++) {
    const deviceId = randomDeviceId(deps);
    const certifiedAt = now();
    const certificate = await certifyDevice(identity, {
      userId: session.user,
      deviceId,
      deviceKey: deviceKey.publicKey,
      createdAt: certifiedAt,
    });
    const record: AccountRecord = {
      v: 1,
      user: session.user,
      handle: session.handle,
      device: deviceId,
      relayUrl: input.relayUrl,
      registered: false,
      createdAt,
      identity: identityExport,
      deviceKey: deviceKey.publicKey,
      certificate: certificate.signature,
      certifiedAt,
      nextOneTimePreKeyId: INITIAL_ONE_TIME_PREKEYS + 1,
      signedPreKeyId: 1,
      kemPreKeyId: 1,
    };
    await storage.records.write([encodeAccount(record), spk.op, kem.op, ...opks.ops]);
    const body: DeviceRegistration = {
      identity: {
        dh: identity.dh.publicKey,
        sig: identity.signing.publicKey,
        binding: identity.binding,
      },
      device: {
        id: deviceId,
        key: deviceKey.publicKey,
        certificate: certificate.signature,
        createdAt: certifiedAt,
        ...(input.deviceName === undefined ? {} : { name: input.deviceName }),
      },
      signedPreKey: signedPreKeyUpload(spk.pair),
      kemPreKey: kemPreKeyUpload(kem.pair),
      oneTimePreKeys: opks.pairs.map(oneTimePreKeyUpload),
    };
    try {
      if (options.submit === undefined) await api.registerDevice(session.token, body);
      else await options.submit({ body, identity, deviceKey });
    } catch (e) {
      if (isParleyError(e, ErrorCode.DEVICE_EXISTS) && attempt + 1 < DEVICE_ID_ATTEMPTS) {
        if (await isOurDevice(api, record, deviceKey.privateKey)) {
          // An earlier attempt registered it and the answer was lost.
        } else {
          continue;
        }
      } else {
        throw e;
      }
    }
    const registered = { ...record, registered: true };
    await storage.records.write([encodeAccount(registered)]);
    const account = accountFrom(registered, identity, deviceKey.privateKey);
    api.setSigner({
      user: account.userId,
      device: account.deviceId,
      key: account.deviceKey,
      manager: account.identity.signing.privateKey,
    });
    return account;
  }
}

/** A device-signed request succeeds only if the relay registered this very key. */
async function isOurDevice(api: RelayApi, record: AccountRecord, key: CryptoKey): Promise<boolean> {
  const previous = api.signer;
  api.setSigner({ user: record.user, device: record.device, key });
  try {
    await api.prekeyStatus();
    return true;
  } catch {
    if (previous !== undefined) api.setSigner(previous);
    return false;
  }
}

/** The identity's key bytes (the keys must be extractable). */
export async function exportIdentityKeys(identity: IdentityKeyPair): Promise<IdentityExport> {
  const [dhPrivate, sigPrivate] = await Promise.all([
    exportDhPrivateRaw(identity.dh.privateKey),
    exportSigningPrivate(identity.signing.privateKey),
  ]);
  return {
    dhPublic: identity.dh.publicKey,
    dhPrivate,
    sigPublic: identity.signing.publicKey,
    sigPrivate,
    binding: identity.binding,
  };
}

async function importIdentity(e: IdentityExport): Promise<IdentityKeyPair> {
  const [dh, signingPrivate] = await Promise.all([
    importDhKeyPair(e.dhPrivate, e.dhPublic, false),
    importSigningPrivate(e.sigPrivate, false),
  ]);
  return {
    dh,
    signing: { publicKey: e.sigPublic, privateKey: signingPrivate },
    binding: e.binding,
  };
}

// ---------------------------------------------------------------------------
// Prekey maintenance

export interface MaintenanceResult {
  readonly uploadedOneTimePreKeys: number;
  readonly uploadedOneTimeKemPreKeys: number;
  readonly rotatedSigned: boolean;
  readonly rotatedKem: boolean;
  readonly purged: number;
}

/**
 * Refills one-time prekeys (X25519 and ML-KEM), rotates the signed and KEM prekeys when due, and
 * deletes retired ones past their grace period. It starts from the relay's
 * own status (GET /v1/prekeys), so a rotation whose upload failed is simply
 * uploaded again next time.
 */
export async function maintainPrekeys(
  deps: AccountDeps,
  api: RelayApi,
  account: Account,
): Promise<MaintenanceResult> {
  const { records } = deps.storage;
  const status = await api.prekeyStatus();
  const now = deps.now();
  const plan = planPrekeyMaintenance(status, await readInventory(records), now);
  const record = (await readAccountRecord(records)) ?? account.record;
  let next = { ...record };
  const ops: StoreOperation[] = [];
  const upload: PrekeyUpload = {};
  if (plan.refill > 0) {
    const fresh = await newOneTimePreKeys(record.nextOneTimePreKeyId, plan.refill);
    ops.push(...fresh.ops);
    upload.oneTimePreKeys = fresh.pairs.map(oneTimePreKeyUpload);
    next = { ...next, nextOneTimePreKeyId: record.nextOneTimePreKeyId + plan.refill };
  }
  if (plan.refillKem > 0) {
    const firstId = record.nextOneTimeKemPreKeyId ?? 1;
    const fresh = await newOneTimeKemPreKeys(
      account.identity,
      firstId,
      plan.refillKem,
      deps.random,
    );
    ops.push(...fresh.ops);
    upload.oneTimeKemPreKeys = fresh.pairs.map(oneTimeKemPreKeyUpload);
    next = { ...next, nextOneTimeKemPreKeyId: firstId + plan.refillKem };
  }
  const lookup = recordPreKeyLookup(records);
  if (plan.rotateSigned) {
    const id = record.signedPreKeyId + 1;
    const spk = await newSignedPreKey(account.identity, id, now);
    ops.push(spk.op, ...(await retireOps(records, 'signed', id, now)));
    upload.signedPreKey = signedPreKeyUpload(spk.pair);
    next = { ...next, signedPreKeyId: id };
  } else if (status.signedPreKeyId !== record.signedPreKeyId) {
    const current = await lookup.getPreKey(PreKeyKind.SIGNED, record.signedPreKeyId);
    if (current?.kind === PreKeyKind.SIGNED) upload.signedPreKey = signedPreKeyUpload(current);
  }
  if (plan.rotateKem) {
    const id = record.kemPreKeyId + 1;
    const kem = await newKemPreKey(account.identity, id, now, deps.random);
    ops.push(kem.op, ...(await retireOps(records, 'kem', id, now)));
    upload.kemPreKey = kemPreKeyUpload(kem.pair);
    next = { ...next, kemPreKeyId: id };
  } else if (status.kemPreKeyId !== record.kemPreKeyId) {
    const current = await lookup.getPreKey(PreKeyKind.KEM, record.kemPreKeyId);
    if (current?.kind === PreKeyKind.KEM) upload.kemPreKey = kemPreKeyUpload(current);
  }
  const handedOut =
    status.oneTimeKemPreKeys === undefined
      ? { ops: [], purged: 0 }
      : await handedOutKemOps(records, status.oneTimeKemPreKeys, now);
  ops.push(...handedOut.ops);
  for (const id of plan.purgeSigned) ops.push({ op: 'delete', key: Keys.signedPreKey(id) });
  for (const id of plan.purgeKem) ops.push({ op: 'delete', key: Keys.kemPreKey(id) });
  if (ops.length > 0) await records.write([...ops, encodeAccount(next)]);
  const uploading =
    upload.oneTimePreKeys !== undefined ||
    upload.oneTimeKemPreKeys !== undefined ||
    upload.signedPreKey !== undefined ||
    upload.kemPreKey !== undefined;
  if (uploading) await api.uploadPrekeys(upload);
  return {
    uploadedOneTimePreKeys: plan.refill,
    uploadedOneTimeKemPreKeys: plan.refillKem,
    rotatedSigned: plan.rotateSigned,
    rotatedKem: plan.rotateKem,
    purged: plan.purgeSigned.length + plan.purgeKem.length + handedOut.purged,
  };
}

/**
 * The vault: one random AES-256-GCM key that seals everything Parley keeps at
 * rest. Its wrapped form lives in a header (stored unencrypted: salts, IVs,
 * the credential id, the wrapped key); the unwrapped key lives only in this
 * object, as a non-extractable CryptoKey, for as long as the vault is open.
 *
 * Chrome stops an idle service worker whenever it likes; an open vault must
 * survive that, so while open a copy of the raw key is kept in memory-only
 * session storage (vault-session.ts: never on disk, gone when the browser
 * exits) and `restore()` picks it up in the next worker. Locking deletes it.
 *
 * Runs in: the service worker and Node (tests).
 */
import { type Bytes, toBase64Url } from '../../../shared/bytes.ts';
import type { Random } from '../../../shared/crypto/random.ts';
import { ExtErrorCode, extError } from '../../lib/errors.ts';
import type { UnlockMethod, UnlockOptions, VaultState } from '../../lib/protocol.ts';
import type { MetaStore } from './idb-store.ts';
import {
  ARGON2_DEFAULTS,
  type Argon2Params,
  exportVaultKey,
  generateWrappableKey,
  IV_BYTES,
  importVaultKey,
  kekFromPassphrase,
  kekFromPrf,
  SALT_BYTES,
  unwrapVaultKey,
  wrapAad,
  wrapVaultKey,
} from './vault-crypto.ts';
import type { VaultSessionStore } from './vault-session.ts';

export const VAULT_HEADER_VERSION = 1;

export interface PrfWrapper {
  readonly kind: 'prf';
  readonly credentialId: string;
  /** PRF input for the authenticator and HKDF salt. Public. */
  readonly salt: Bytes;
  readonly iv: Bytes;
  readonly wrappedKey: Bytes;
}

export interface PassphraseWrapper {
  readonly kind: 'passphrase';
  readonly salt: Bytes;
  readonly argon2: Argon2Params;
  readonly iv: Bytes;
  readonly wrappedKey: Bytes;
}

export type VaultWrapper = PrfWrapper | PassphraseWrapper;

export interface VaultHeader {
  readonly version: typeof VAULT_HEADER_VERSION;
  readonly createdAt: number;
  /** One today; a list so a second way to unlock (backup passphrase) fits later. */
  readonly wrappers: readonly VaultWrapper[];
}

export interface VaultHeaderStore {
  load(): Promise<unknown>;
  save(header: VaultHeader): Promise<void>;
  clear(): Promise<void>;
}

/** The worker keeps the header in its plain meta store, under this key. */
export const VAULT_META = 'vault';

export function vaultHeadersIn(meta: MetaStore): VaultHeaderStore {
  return {
    load: () => meta.get(VAULT_META),
    save: (header) => meta.set(VAULT_META, header),
    clear: () => meta.delete(VAULT_META),
  };
}

export type VaultCreateInput =
  | {
      readonly method: 'prf';
      readonly credentialId: string;
      readonly prfSalt: Bytes;
      readonly prfOutput: Bytes;
    }
  | { readonly method: 'passphrase'; readonly passphrase: string };

export type VaultUnlockInput =
  | { readonly method: 'prf'; readonly credentialId: string; readonly prfOutput: Bytes }
  | { readonly method: 'passphrase'; readonly passphrase: string };

export interface VaultDeps {
  readonly headers: VaultHeaderStore;
  readonly random: Random;
  readonly now: () => number;
  /** Cost of new passphrase wrappers; existing vaults keep the cost they were made with. */
  readonly argon2?: Argon2Params;
  /** Memory-only copy of the open key across worker restarts; absent: the key dies with the worker. */
  readonly session?: VaultSessionStore;
}

export type VaultListener = (state: VaultState) => void;

function isBytes(x: unknown, length?: number): x is Bytes {
  return x instanceof Uint8Array && (length === undefined || x.length === length);
}

function isPositiveInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x > 0;
}

/** The header comes from our own storage, but a damaged one must fail clearly, not half-work. */
export function parseHeader(raw: unknown): VaultHeader | undefined {
  if (raw === undefined) return undefined;
  const corrupt = () => extError(ExtErrorCode.VAULT_CORRUPT, 'The vault header is damaged');
  if (typeof raw !== 'object' || raw === null) throw corrupt();
  const h = raw as Record<string, unknown>;
  if (
    h.version !== VAULT_HEADER_VERSION ||
    typeof h.createdAt !== 'number' ||
    !Array.isArray(h.wrappers)
  ) {
    throw corrupt();
  }
  const wrappers: VaultWrapper[] = [];
  for (const w of h.wrappers as unknown[]) {
    if (typeof w !== 'object' || w === null) throw corrupt();
    const r = w as Record<string, unknown>;
    if (!isBytes(r.salt, SALT_BYTES) || !isBytes(r.iv, IV_BYTES) || !isBytes(r.wrappedKey, 48))
      throw corrupt();
    if (r.kind === 'prf' && typeof r.credentialId === 'string') {
      wrappers.push({
        kind: 'prf',
        credentialId: r.credentialId,
        salt: r.salt,
        iv: r.iv,
        wrappedKey: r.wrappedKey,
      });
    } else if (r.kind === 'passphrase' && typeof r.argon2 === 'object' && r.argon2 !== null) {
      const a = r.argon2 as Record<string, unknown>;
      if (
        !isPositiveInt(a.memoryKiB) ||
        !isPositiveInt(a.iterations) ||
        !isPositiveInt(a.parallelism)
      )
        throw corrupt();
      wrappers.push({
        kind: 'passphrase',
        salt: r.salt,
        iv: r.iv,
        wrappedKey: r.wrappedKey,
        argon2: { memoryKiB: a.memoryKiB, iterations: a.iterations, parallelism: a.parallelism },
      });
    } else {
      throw corrupt();
    }
  }
  if (wrappers.length === 0) throw corrupt();
  return { version: VAULT_HEADER_VERSION, createdAt: h.createdAt, wrappers };
}

export class Vault {
  readonly #deps: VaultDeps;
  #key: CryptoKey | undefined;
  #header: VaultHeader | undefined;
  #headerLoaded = false;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #listeners = new Set<VaultListener>();

  constructor(deps: VaultDeps) {
    this.#deps = deps;
  }

  /** Runs vault operations one at a time (create and unlock must not interleave). */
  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #loadHeader(): Promise<VaultHeader | undefined> {
    if (!this.#headerLoaded) {
      this.#header = parseHeader(await this.#deps.headers.load());
      this.#headerLoaded = true;
    }
    return this.#header;
  }

  async state(): Promise<VaultState> {
    if (this.#key !== undefined) return 'unlocked';
    return (await this.#loadHeader()) === undefined ? 'none' : 'locked';
  }

  isUnlocked(): boolean {
    return this.#key !== undefined;
  }

  /** The vault key, for sealing records. Throws VAULT_LOCKED when locked. */
  key(): CryptoKey {
    if (this.#key === undefined) throw extError(ExtErrorCode.VAULT_LOCKED, 'Parley is locked');
    return this.#key;
  }

  async methods(): Promise<UnlockMethod[]> {
    const header = await this.#loadHeader();
    return header === undefined ? [] : [...new Set(header.wrappers.map((w) => w.kind))];
  }

  async unlockOptions(rpId: string): Promise<UnlockOptions> {
    const header = await this.#loadHeader();
    if (header === undefined)
      throw extError(ExtErrorCode.VAULT_NOT_FOUND, 'Parley is not set up on this browser');
    const prf = header.wrappers.filter((w): w is PrfWrapper => w.kind === 'prf');
    const first = prf[0];
    return {
      methods: await this.methods(),
      prf:
        first === undefined
          ? null
          : { rpId, credentialIds: prf.map((w) => w.credentialId), salt: toBase64Url(first.salt) },
    };
  }

  onChange(listener: VaultListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(state: VaultState): void {
    for (const listener of this.#listeners) listener(state);
  }

  create(input: VaultCreateInput): Promise<void> {
    return this.#serial(async () => {
      if ((await this.#loadHeader()) !== undefined) {
        throw extError(ExtErrorCode.VAULT_EXISTS, 'A vault already exists on this browser');
      }
      const { random, now } = this.#deps;
      const iv = random(IV_BYTES);
      const extractable = await generateWrappableKey();
      let wrapper: VaultWrapper;
      let kek: CryptoKey;
      let aad: Bytes;
      if (input.method === 'prf') {
        aad = wrapAad('prf', input.credentialId);
        kek = await kekFromPrf(input.prfOutput, input.prfSalt);
        const wrappedKey = await wrapVaultKey(extractable, kek, iv, aad);
        wrapper = {
          kind: 'prf',
          credentialId: input.credentialId,
          salt: input.prfSalt,
          iv,
          wrappedKey,
        };
      } else {
        const salt = random(SALT_BYTES);
        const argon2 = this.#deps.argon2 ?? ARGON2_DEFAULTS;
        aad = wrapAad('passphrase', '');
        kek = await kekFromPassphrase(input.passphrase, salt, argon2);
        const wrappedKey = await wrapVaultKey(extractable, kek, iv, aad);
        wrapper = { kind: 'passphrase', salt, argon2, iv, wrappedKey };
      }
      // Keep the non-extractable copy, obtained through the same unwrap an
      // unlock will do: the header about to be written is proven to open.
      const key = await unwrapVaultKey(wrapper.wrappedKey, kek, iv, aad);
      await this.#deps.session?.save(await exportVaultKey(extractable));
      const header: VaultHeader = {
        version: VAULT_HEADER_VERSION,
        createdAt: now(),
        wrappers: [wrapper],
      };
      await this.#deps.headers.save(header);
      this.#header = header;
      this.#headerLoaded = true;
      this.#key = key;
      this.#emit('unlocked');
    });
  }

  async #unwrap(
    wrapper: VaultWrapper,
    input: VaultCreateInput | VaultUnlockInput,
  ): Promise<CryptoKey> {
    const session = this.#deps.session;
    // With a session copy to keep: unwrap extractable once, keep the raw
    // bytes in session memory and use a non-extractable import from then on.
    const open = async (key: Promise<CryptoKey>): Promise<CryptoKey> => {
      if (session === undefined) return key;
      const raw = await exportVaultKey(await key);
      try {
        await session.save(raw);
        return await importVaultKey(raw);
      } finally {
        raw.fill(0);
      }
    };
    const extractable = session !== undefined;
    if (wrapper.kind === 'prf' && input.method === 'prf') {
      const kek = await kekFromPrf(input.prfOutput, wrapper.salt);
      return open(
        unwrapVaultKey(
          wrapper.wrappedKey,
          kek,
          wrapper.iv,
          wrapAad('prf', wrapper.credentialId),
          extractable,
        ),
      );
    }
    if (wrapper.kind === 'passphrase' && input.method === 'passphrase') {
      const kek = await kekFromPassphrase(input.passphrase, wrapper.salt, wrapper.argon2);
      return open(
        unwrapVaultKey(wrapper.wrappedKey, kek, wrapper.iv, wrapAad('passphrase', ''), extractable),
      );
    }
    throw extError(ExtErrorCode.VAULT_METHOD_MISMATCH, 'This vault is unlocked a different way');
  }

  unlock(input: VaultUnlockInput): Promise<void> {
    return this.#serial(async () => {
      const header = await this.#loadHeader();
      if (header === undefined)
        throw extError(ExtErrorCode.VAULT_NOT_FOUND, 'Parley is not set up on this browser');
      if (this.#key !== undefined) return;
      const wrapper = header.wrappers.find(
        (w) =>
          w.kind === input.method &&
          (w.kind !== 'prf' || input.method !== 'prf' || w.credentialId === input.credentialId),
      );
      if (wrapper === undefined) {
        const sameKind = header.wrappers.some((w) => w.kind === input.method);
        throw sameKind
          ? extError(
              ExtErrorCode.VAULT_WRONG_SECRET,
              'Cannot unlock: that passkey does not belong to this vault',
            )
          : extError(ExtErrorCode.VAULT_METHOD_MISMATCH, 'This vault is unlocked a different way');
      }
      this.#key = await this.#unwrap(wrapper, input);
      this.#emit('unlocked');
    });
  }

  /**
   * A new worker: reopens the vault from the session copy a previous worker
   * of this browser session left (the browser has not exited, nobody
   * locked). True when the vault is open afterwards.
   */
  restore(): Promise<boolean> {
    return this.#serial(async () => {
      if (this.#key !== undefined) return true;
      const session = this.#deps.session;
      if (session === undefined) return false;
      const raw = await session.load();
      if (raw === undefined) return false;
      try {
        if ((await this.#loadHeader()) === undefined) {
          await session.clear(); // a copy without a vault: left by a reset
          return false;
        }
        this.#key = await importVaultKey(raw);
      } finally {
        raw.fill(0);
      }
      this.#emit('unlocked');
      return true;
    });
  }

  /** Drops the key and its session copy. Everything sealed stays sealed until the next unlock. */
  lock(): void {
    const session = this.#deps.session;
    // Queued: an unlock already running saves its copy first, then this deletes it.
    if (session !== undefined) void this.#serial(() => session.clear()).catch(() => undefined);
    if (this.#key === undefined) return;
    this.#key = undefined;
    this.#emit('locked');
  }

  /** Deletes the header: everything sealed with the old key becomes unreadable. */
  destroy(): Promise<void> {
    return this.#serial(async () => {
      await this.#deps.session?.clear();
      await this.#deps.headers.clear();
      this.#header = undefined;
      this.#headerLoaded = true;
      const wasOpen = this.#key !== undefined;
      this.#key = undefined;
      if (wasOpen) this.#emit('none');
    });
  }
}

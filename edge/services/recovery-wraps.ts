/**
 * Recovery keys wrapped by a passkey's PRF (docs/relay.md, "Recovery key
 * wrapped by the passkey"). The relay keeps 61 opaque bytes per account and
 * passkey credential: written and deleted by identity-signed requests
 * (management), read with a session from a fresh passkey login (a new
 * browser has no device yet). It never sees the PRF output or the recovery
 * key, so a wrap is useless without the passkey itself; the account id and
 * credential id are bound into the AEAD by the client.
 */
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import type { RecoveryWrap } from '../../shared/wire/rest-recovery-wraps.ts';
import type { Db } from '../db/open.ts';
import {
  deleteRecoveryWraps,
  getRecoveryWrap,
  isAccountPasskey,
  putRecoveryWrap,
} from '../db/recovery-wraps.ts';

export interface RecoveryWrapServiceDeps {
  readonly db: Db;
  readonly now: () => number;
}

function notFound(): ParleyError {
  return new ParleyError(ErrorCode.NOT_FOUND, 'No recovery key wrapped by this passkey', {
    what: 'recovery-wrap',
  });
}

export class RecoveryWrapService {
  readonly #d: RecoveryWrapServiceDeps;

  constructor(deps: RecoveryWrapServiceDeps) {
    this.#d = deps;
  }

  /** Stores (or replaces) the wrap; the credential must be one of the account's passkeys. */
  async put(accountId: string, credentialId: string, wrapped: Uint8Array): Promise<void> {
    if (!(await isAccountPasskey(this.#d.db, accountId, credentialId)))
      throw new ParleyError(ErrorCode.NOT_FOUND, 'No such passkey on this account', {
        what: 'passkey',
      });
    await putRecoveryWrap(this.#d.db, { accountId, credentialId, wrapped, now: this.#d.now() });
  }

  async get(accountId: string, credentialId: string): Promise<RecoveryWrap> {
    const wrapped = await getRecoveryWrap(this.#d.db, accountId, credentialId);
    if (wrapped === undefined) throw notFound();
    return { wrapped };
  }

  /** Idempotent: deleting what is not there succeeds. */
  async delete(accountId: string, credentialId?: string): Promise<void> {
    await deleteRecoveryWraps(this.#d.db, accountId, credentialId);
  }
}

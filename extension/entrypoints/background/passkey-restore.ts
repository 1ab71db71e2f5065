/**
 * "Let my passkey restore backups" (docs/extension.md, "Backups"): the
 * recovery key wrapped by this passkey's PRF (shared/backup/passkey-wrap.ts)
 * and kept on the relay, so a new browser with the same (synced) passkey can
 * restore without typing the key. Turning it on needs the PRF output of a
 * fresh passkey verification; the wrap goes to the relay by an
 * identity-signed request; which credential it was made with stays in a
 * sealed vault record so turning it off deletes exactly that wrap. Turning
 * backups off (a new recovery key next time) deletes it too.
 *
 * Runs in: the service worker and Node (tests).
 */
import * as v from 'valibot';
import { wrapForPasskey } from '../../../shared/client/backup/passkey-restore.ts';
import { decodeRecord, encodeRecord } from '../../../shared/client/store/record-codec.ts';
import type { RecordStore } from '../../../shared/client/store/store.ts';
import type { Random } from '../../../shared/crypto/random.ts';
import { ExtErrorCode, extError } from '../../lib/errors.ts';

/** The vault record (sealed like every client record). Not part of any archive. */
export const PASSKEY_RESTORE_RECORD = 'ext-passkey-restore';

const PasskeyRestoreRecordSchema = v.object({
  v: v.literal(1),
  credentialId: v.string(),
  enabledAt: v.number(),
});

export interface PasskeyRestoreDeps {
  readonly records: RecordStore;
  /** The account's user id, undefined before registration. */
  readonly userId: () => string | undefined;
  /** The recovery key as shown (NOT_FOUND `backup` while backups are off). */
  readonly recoveryKey: () => Promise<string>;
  /** The relay: identity-signed writes and deletes (ParleyClient). */
  readonly putWrap: (credentialId: string, wrapped: Uint8Array) => Promise<void>;
  readonly deleteWraps: (credentialId?: string) => Promise<void>;
  readonly random: Random;
  readonly now: () => number;
  readonly changed: () => void;
}

export class PasskeyRestore {
  readonly #d: PasskeyRestoreDeps;

  constructor(deps: PasskeyRestoreDeps) {
    this.#d = deps;
  }

  async #read(): Promise<v.InferOutput<typeof PasskeyRestoreRecordSchema> | undefined> {
    const raw = await this.#d.records.get(PASSKEY_RESTORE_RECORD);
    return raw === undefined
      ? undefined
      : decodeRecord(PasskeyRestoreRecordSchema, raw, 'passkey restore');
  }

  async #dropRecord(): Promise<void> {
    await this.#d.records.write([{ op: 'delete', key: PASSKEY_RESTORE_RECORD }]);
    this.#d.changed();
  }

  async status(): Promise<{ on: boolean }> {
    return { on: (await this.#read()) !== undefined };
  }

  /** Wraps the recovery key under this passkey's PRF output and stores it on the relay. */
  async enable(prf: { credentialId: string; prfOutput: Uint8Array }): Promise<void> {
    const userId = this.#d.userId();
    if (userId === undefined) throw extError(ExtErrorCode.VAULT_NOT_FOUND, 'No account here');
    const wrapped = wrapForPasskey(await this.#d.recoveryKey(), userId, prf, this.#d.random);
    const before = await this.#read();
    await this.#d.putWrap(prf.credentialId, wrapped);
    // Another passkey's wrap made earlier from this browser goes: one switch, one passkey.
    if (before !== undefined && before.credentialId !== prf.credentialId)
      await this.#d.deleteWraps(before.credentialId).catch(() => undefined);
    await this.#d.records.write([
      {
        op: 'set',
        key: PASSKEY_RESTORE_RECORD,
        value: encodeRecord({ v: 1, credentialId: prf.credentialId, enabledAt: this.#d.now() }),
      },
    ]);
    this.#d.changed();
  }

  /** Deletes this browser's wrap on the relay, then forgets it. */
  async disable(): Promise<void> {
    const record = await this.#read();
    if (record === undefined) return;
    await this.#d.deleteWraps(record.credentialId);
    await this.#dropRecord();
  }

  /**
   * Backups went off (this browser's recovery key is gone): its wrap goes too,
   * best effort (an unreachable relay keeps a wrap of a key nothing uses any more).
   */
  async forget(): Promise<void> {
    const record = await this.#read();
    if (record === undefined) return;
    await this.#dropRecord();
    await this.#d.deleteWraps(record.credentialId).catch(() => undefined);
  }
}

/**
 * The worker's "Let my passkey restore backups": the wrap it stores opens with
 * the same PRF output and binding to the backup's recovery key; nothing is
 * stored while backups are off; off deletes exactly this browser's wrap;
 * turning backups off forgets it even with the relay unreachable.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { unwrapRecoveryKey } from '../../../shared/backup/passkey-wrap.ts';
import { formatRecoveryKey } from '../../../shared/backup/recovery-key.ts';
import { createMemoryStorage, type RecordStore } from '../../../shared/client/store/store.ts';
import { systemRandom } from '../../../shared/crypto/random.ts';
import { ErrorCode, ParleyError } from '../../../shared/errors.ts';
import { rejectionCode } from '../../../shared/testing/errors.ts';
import { PASSKEY_RESTORE_RECORD, PasskeyRestore } from './passkey-restore.ts';

const USER = '6f1c2b7e-3a0d-4c55-9e21-8b4f0d9a7c13';
const RK = formatRecoveryKey(new Uint8Array(32).fill(0x42));
const PRF = { credentialId: 'Y3JlZGVudGlhbC1vbmU', prfOutput: new Uint8Array(32).fill(7) };

describe('PasskeyRestore', () => {
  let records: RecordStore;
  let stored: Map<string, Uint8Array>;
  let backupsOn: boolean;
  let relayDown: boolean;
  let service: PasskeyRestore;

  beforeEach(() => {
    records = createMemoryStorage().records;
    stored = new Map();
    backupsOn = true;
    relayDown = false;
    const relay = async () => {
      if (relayDown) throw new ParleyError(ErrorCode.RELAY_UNREACHABLE, 'offline');
    };
    service = new PasskeyRestore({
      records,
      userId: () => USER,
      recoveryKey: async () => {
        if (!backupsOn) throw new ParleyError(ErrorCode.NOT_FOUND, 'off', { what: 'backup' });
        return RK;
      },
      putWrap: async (credentialId, wrapped) => {
        await relay();
        stored.set(credentialId, wrapped);
      },
      deleteWraps: async (credentialId) => {
        await relay();
        if (credentialId === undefined) stored.clear();
        else stored.delete(credentialId);
      },
      random: systemRandom,
      now: () => 1_700_000_000_000,
      changed: () => undefined,
    });
  });

  it('stores a wrap that opens to the recovery key with the same PRF output, account and credential', async () => {
    await service.enable(PRF);
    expect(await service.status()).toEqual({ on: true });
    const wrapped = stored.get(PRF.credentialId);
    if (wrapped === undefined) throw new Error('nothing stored');
    const rk = unwrapRecoveryKey(wrapped, PRF.prfOutput, {
      accountId: USER,
      credentialId: PRF.credentialId,
    });
    expect(formatRecoveryKey(rk)).toBe(RK);
  });

  it('stores nothing while backups are off', async () => {
    backupsOn = false;
    expect(await rejectionCode(service.enable(PRF))).toBe(ErrorCode.NOT_FOUND);
    expect(stored.size).toBe(0);
    expect(await service.status()).toEqual({ on: false });
  });

  it('another passkey replaces the first one’s wrap; off deletes it', async () => {
    await service.enable(PRF);
    const other = { credentialId: 'Y3JlZGVudGlhbC10d28', prfOutput: new Uint8Array(32).fill(8) };
    await service.enable(other);
    expect([...stored.keys()]).toEqual([other.credentialId]);
    await service.disable();
    expect(stored.size).toBe(0);
    expect(await service.status()).toEqual({ on: false });
  });

  it('turning backups off forgets the wrap, even when the relay cannot be told', async () => {
    await service.enable(PRF);
    relayDown = true;
    await service.forget();
    expect(await service.status()).toEqual({ on: false });
    expect(await records.get(PASSKEY_RESTORE_RECORD)).toBeUndefined();
    relayDown = false;
    await service.forget();
    expect(stored.size).toBe(1);
  });
});

/**
 * The recovery key wrapped by a passkey's PRF, as the account manages it on
 * the relay (docs/protocol.md, "Backups"; the format is
 * shared/backup/passkey-wrap.ts). Writing and deleting are identity-signed
 * (management requests), so they need the unlocked account; the relay only
 * ever gets the 61 opaque bytes.
 */
import type { Bytes } from '../../bytes.ts';
import type { OwnDevicesHost } from './own-devices.ts';

/** The public part (ParleyClient.putRecoveryWrap, deleteRecoveryWraps). */
export function recoveryWrapsApi(host: OwnDevicesHost) {
  return {
    /** Stores (or replaces) the wrap made with the passkey `credentialId`. */
    putRecoveryWrap: (credentialId: string, wrapped: Bytes): Promise<void> => {
      host.requireUnlocked();
      return host.requireApi().putRecoveryWrap(credentialId, wrapped);
    },
    /** Deletes one passkey's wrap, or without `credentialId` every wrap of the account. */
    deleteRecoveryWraps: (credentialId?: string): Promise<void> => {
      host.requireUnlocked();
      return host.requireApi().deleteRecoveryWraps(credentialId);
    },
  };
}

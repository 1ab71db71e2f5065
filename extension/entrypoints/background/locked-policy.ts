/**
 * What the sealed record store does while the vault is locked, in one place
 * for the IndexedDB store (idb-store.ts) and the Node test fakes: reads are
 * refused, except listing the keys under an allowed prefix (values come back
 * as `LOCKED_VALUE`, nothing is unsealed); writes that only delete go through
 * (deleting needs no key and reveals nothing); anything that sets a value is
 * refused. That is exactly what the client core's disappearing-message sweep
 * needs to run from an alarm while locked (expiry.ts: keys say everything).
 *
 * Runs anywhere (pure).
 */
import type { StoreOperation } from '../../../shared/client/store/store.ts';

/** The value `list` returns for each key while the vault is locked. */
export const LOCKED_VALUE: Uint8Array = new Uint8Array(0);

export const lockedPolicy = {
  canList(prefix: string, allowed: readonly string[]): boolean {
    return allowed.some((p) => prefix.startsWith(p));
  },
  canWrite(ops: readonly StoreOperation[]): boolean {
    return ops.every((o) => o.op === 'delete');
  },
};

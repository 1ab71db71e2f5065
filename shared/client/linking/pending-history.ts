/**
 * The history offer a new device keeps until its archive is imported and
 * ACKed (docs/protocol.md, "History transfer"), so a device stopped
 * mid-download (an MV3 worker stopped, a closed CLI) downloads the blob again
 * on its next start, within the blob's hour. The offer holds the archive's
 * root key, so it is a record like the identity (the extension seals every
 * record with its vault key), never host metadata.
 */
import { ErrorCode, isParleyError } from '../../errors.ts';
import { Keys } from '../store/storage-keys.ts';
import type { RecordStore } from '../store/store.ts';
import {
  decodeHistoryOffer,
  encodeHistoryOffer,
  type HistoryArchiveOffer,
  hasArchive,
} from './history-offer.ts';

export interface PendingHistoryStore {
  /** The offer kept from an unfinished download, if any. */
  get(): Promise<HistoryArchiveOffer | undefined>;
  /** Keeps `offer`; `undefined` forgets it (imported, gone or altered). */
  set(offer: HistoryArchiveOffer | undefined): Promise<void>;
}

export function pendingHistoryIn(records: RecordStore): PendingHistoryStore {
  return {
    async get() {
      const raw = await records.get(Keys.pendingHistory);
      if (raw === undefined) return undefined;
      try {
        const offer = decodeHistoryOffer(raw);
        return hasArchive(offer) ? offer : undefined;
      } catch (error) {
        // A record we cannot read is one we cannot resume from: forget it.
        if (!isParleyError(error, ErrorCode.LINK_FAILED)) throw error;
        await records.write([{ op: 'delete', key: Keys.pendingHistory }]);
        return undefined;
      }
    },
    async set(offer) {
      await records.write([
        offer === undefined
          ? { op: 'delete', key: Keys.pendingHistory }
          : { op: 'set', key: Keys.pendingHistory, value: encodeHistoryOffer(offer) },
      ]);
    },
  };
}

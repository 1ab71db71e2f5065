/**
 * Resuming a new device's history download after it was stopped mid-way
 * (docs/protocol.md, "History transfer"): the offer kept by
 * `HistoryReceiver.remember` (pending-history.ts) is downloaded, verified,
 * imported and ACKed again, as long as the blob is still on the relay (one
 * hour). A blob that is gone is not an error of the account: the device stays
 * linked without the history, and the host says so plainly.
 */
import { ErrorCode, isParleyError } from '../../errors.ts';
import type { HistoryArchiveOffer } from './history-offer.ts';
import {
  type HistoryReceiver,
  receiveHistory,
  type TransferDeps,
  type TransferProgress,
} from './history-transfer.ts';
import type { HistoryResult } from './new-device.ts';

export interface ResumeHistoryInput {
  /** The kept offer (`client.archive.pendingTransfer.get`). */
  pending(): Promise<HistoryArchiveOffer | undefined>;
  /** Bound to the registered client (historyReceiverFor): it forgets the offer after the ACK. */
  readonly receiver: HistoryReceiver;
  /** The account's relay (the blob is there). */
  readonly relayUrl: string;
  readonly deps: TransferDeps;
  onProgress?(progress: TransferProgress): void;
}

/**
 * Undefined when nothing is pending; else what came of it: imported, or
 * `expired` (the blob's hour ended or it was ACKed already: the offer is
 * forgotten). A damaged blob throws ARCHIVE_DAMAGED (forgotten too); any
 * other error (network, locked store) keeps the offer for the next start.
 */
export async function resumePendingHistory(
  input: ResumeHistoryInput,
): Promise<HistoryResult | undefined> {
  const offer = await input.pending();
  if (offer === undefined) return undefined;
  try {
    const { records, skipped } = await receiveHistory(
      input.receiver,
      input.relayUrl,
      offer,
      input.deps,
      input.onProgress,
    );
    return { imported: true, records, skipped: skipped ?? 0, bytes: offer.size };
  } catch (error) {
    if (isParleyError(error, ErrorCode.ATTACHMENT_EXPIRED))
      return { imported: false, reason: 'expired' };
    throw error;
  } finally {
    offer.root.fill(0);
  }
}

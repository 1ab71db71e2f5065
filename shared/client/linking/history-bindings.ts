/**
 * The history transfer bound to a client (docs/protocol.md, "History
 * transfer"): the existing device exports `client.archive` (kind `transfer`)
 * and creates the transfer blob with its device signature; the new device
 * imports with `client.archive.import` (all or nothing, records it already
 * holds skipped) and ACKs with `deleteAttachment`. Hosts (CLI, extension)
 * pass these to approveLink and linkAsNewDevice.
 */
import type { FetchLike } from '../../attachments/relay-http.ts';
import type { ParleyClient } from '../parley-client.ts';
import type { HistoryReceiver, HistorySender } from './history-transfer.ts';

export function historySenderFor(
  client: Pick<ParleyClient, 'archive' | 'createAttachmentUpload' | 'idle'>,
  fetch: FetchLike,
): HistorySender {
  return {
    async *exportArchive(root, messages) {
      // What this device already received goes into the archive rather than only the queue.
      await client.idle();
      yield* client.archive.export({ kind: 'transfer', root, history: messages, seq: 0 });
    },
    createUpload: (size) => client.createAttachmentUpload(size, 'transfer'),
    fetch,
  };
}

export function historyReceiverFor(
  client: Pick<ParleyClient, 'archive' | 'deleteAttachment'>,
  fetch: FetchLike,
): HistoryReceiver {
  return {
    importArchive: async (source, root) => {
      const result = await client.archive.import(source, root);
      return { records: result.written, skipped: result.skipped };
    },
    acknowledge: (id) => client.deleteAttachment(id),
    // Kept as a record until the ACK, so a stopped device resumes (pending-history.ts).
    remember: (offer) => client.archive.pendingTransfer.set(offer),
    fetch,
  };
}

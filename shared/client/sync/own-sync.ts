/**
 * Sending a sync (docs/client.md, "Own-device sync"): a change made on this
 * device becomes one `sync` content queued in the outbox, addressed to our
 * own user only (the outbox encrypts it for our other devices, never for a
 * peer), in the same write as the change itself, so it is durable and
 * retried like any message. Applying a received sync never queues one
 * (apply-sync.ts): no loops.
 */
import type { Random } from '../../crypto/random.ts';
import { newOutboxEntry, type OutboxEntry, OutboxKind, stageEntry } from '../outbox/outbox.ts';
import { CONTENT_VERSION, encodeContent, type SyncPayload } from '../sessions/content.ts';
import type { Batch } from '../store/batch.ts';
import type { StampClock } from '../store/stamps.ts';

export interface OwnSyncHost {
  readonly now: () => number;
  readonly random: Random;
  readonly stamps: StampClock;
}

/** Stages the sync in `batch`; the caller pumps the outbox after committing. */
export async function stageOwnSync(
  host: OwnSyncHost,
  batch: Batch,
  ownUser: string,
  payload: SyncPayload,
): Promise<void> {
  const entry = newOutboxEntry({
    id: host.random(16) as OutboxEntry['id'],
    stamp: await host.stamps.next(batch),
    kind: OutboxKind.SYNC,
    content: encodeContent({ v: CONTENT_VERSION, t: 'sync', ...payload }),
    recipients: [ownUser],
    createdAt: host.now(),
  });
  stageEntry(batch, entry);
}

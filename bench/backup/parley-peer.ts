/**
 * The backup bench's subject: Parley's backup flows as a client runs them
 * (scripts/lib/cli-backup.ts, shared/client/backup/client-backup.test.ts):
 * `createBackups` over the client core's archive API (`createArchiveApi`,
 * what `client.archive` is) through `clientArchiveAccess`. A backup parses
 * the recovery key, derives the keys, lists the relay's snapshots, walks the
 * store into frames, deflates, seals (signed header, streaming AEAD) and
 * uploads in 1 MiB chunks; a restore downloads, checks the header and key,
 * opens and validates every frame and merges them into a fresh store of the
 * account in one write.
 */

import type { Account } from '../../shared/client/account/account.ts';
import { createArchiveApi } from '../../shared/client/archive/archive-api.ts';
import type { FetchLike } from '../../shared/client/backup/backup-relay.ts';
import { type Backups, createBackups } from '../../shared/client/backup/backups.ts';
import { clientArchiveAccess } from '../../shared/client/backup/client-archive-access.ts';
import { SerialQueue } from '../../shared/client/store/serial.ts';
import type { RecordStore } from '../../shared/client/store/store.ts';
import { offlineSessionContext } from '../../shared/client/testing/local-account.ts';

export interface ParleyPeerDeps {
  readonly relayUrl: string;
  readonly fetch: FetchLike;
  /** Never repeats a value, across every flow of the run (the relay refuses a replayed signature). */
  readonly now: () => number;
}

/** The backup flows of one device of `account` whose store is `records`. */
export function parleyBackups(
  records: RecordStore,
  account: Account,
  deps: ParleyPeerDeps,
): Backups {
  const archive = createArchiveApi({
    records,
    queue: new SerialQueue(),
    now: deps.now,
    requireSessions: () => offlineSessionContext(account),
  });
  return createBackups({
    accountId: account.userId,
    relayUrl: deps.relayUrl,
    fetch: deps.fetch,
    now: deps.now,
    archive: clientArchiveAccess(archive, account.identity.signing.publicKey),
  });
}

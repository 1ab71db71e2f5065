/**
 * The backup store (docs/relay.md, "Backups"): opaque encrypted snapshots
 * under a backup id, owned by the auth key pinned at the first upload. The
 * relay never learns whose they are: no account, no device, no session; a
 * backup id is unlinkable to an account without the backup key.
 *
 * Per backup id it holds at most the BACKUP_SNAPSHOTS_KEPT complete snapshots
 * with the highest seq and one unfinished upload (starting another drops it),
 * each at most `maxBytes`: a bounded cost per id, while new ids are bounded by
 * the per-IP upload budget (edge/app.ts). An upload not completed within
 * `incompleteMs` of its start is refused from then on and swept
 * (edge/expiry/sweeper.ts).
 */
import { equalBytes } from '../../shared/bytes.ts';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import {
  BACKUP_CHUNK_BYTES,
  BACKUP_INCOMPLETE_MS,
  BACKUP_SNAPSHOTS_KEPT,
} from '../../shared/wire/limits.ts';
import type {
  SnapshotInfo,
  SnapshotListResponse,
  SnapshotUploadResponse,
} from '../../shared/wire/rest-backups.ts';
import type { ByteRange } from '../attachments/blob-store.ts';
import {
  completeSnapshot,
  deleteBackup,
  findBackupKey,
  findSnapshot,
  getSnapshotChunk,
  listSnapshots,
  pinBackupKey,
  putSnapshotChunk,
  type SnapshotRow,
  snapshotChunkLengths,
  startSnapshot,
} from '../db/backups.ts';
import type { Db } from '../db/open.ts';
import { AuthFailure } from '../http/codes.ts';

export interface BackupServiceDeps {
  readonly db: Db;
  readonly now: () => number;
  /** Largest snapshot stored (BACKUP_MAX_BYTES in the relay config). */
  readonly maxBytes: number;
  /**
   * An upload this long after its start is gone for its client (404), as it
   * will be from the database at the next sweep (default BACKUP_INCOMPLETE_MS).
   */
  readonly incompleteMs?: number;
  readonly chunkBytes?: number;
}

/** Who asks: the backup id of the path and the auth key that signed the request. */
export interface BackupCaller {
  readonly backupId: string;
  readonly key: Uint8Array;
}

function notFound(what: 'backup' | 'snapshot' | 'chunk'): ParleyError {
  return new ParleyError(ErrorCode.NOT_FOUND, `No such ${what}`, { what });
}

function invalid(reason: string): ParleyError {
  return new ParleyError(ErrorCode.BODY_INVALID, `Backup upload: ${reason}`, { reason });
}

export class BackupService {
  readonly #db: Db;
  readonly #now: () => number;
  readonly maxBytes: number;
  readonly chunkBytes: number;
  readonly #incompleteMs: number;

  constructor(deps: BackupServiceDeps) {
    this.#db = deps.db;
    this.#now = deps.now;
    this.maxBytes = deps.maxBytes;
    this.chunkBytes = deps.chunkBytes ?? BACKUP_CHUNK_BYTES;
    this.#incompleteMs = deps.incompleteMs ?? BACKUP_INCOMPLETE_MS;
  }

  /** The pinned key must be the caller's; an unknown backup id is 404. */
  async #authorize(caller: BackupCaller): Promise<void> {
    const pinned = await findBackupKey(this.#db, caller.backupId);
    if (pinned === undefined) throw notFound('backup');
    if (!equalBytes(pinned, caller.key)) {
      throw new ParleyError(ErrorCode.AUTH_FAILED, 'Not signed by the key of this backup', {
        reason: AuthFailure.BACKUP_KEY,
      });
    }
  }

  async #unfinished(caller: BackupCaller, seq: number): Promise<SnapshotRow> {
    await this.#authorize(caller);
    const row = await findSnapshot(this.#db, caller.backupId, seq);
    if (row === undefined || row.complete) throw notFound('snapshot');
    // Stale: the sweeper may delete it at any moment, so it takes no more chunks and never
    // completes (the same moment for every client, whenever the sweep runs).
    if (row.startedAt <= this.#now() - this.#incompleteMs) throw notFound('snapshot');
    return row;
  }

  /** Starts snapshot `seq`; the first upload of a backup id pins the caller's key to it. */
  async start(caller: BackupCaller, seq: number): Promise<SnapshotUploadResponse> {
    const now = this.#now();
    await pinBackupKey(this.#db, caller.backupId, caller.key, now);
    await this.#authorize(caller);
    await startSnapshot(this.#db, { backupId: caller.backupId, authKey: caller.key, seq, now });
    return { seq, chunkBytes: this.chunkBytes, maxBytes: this.maxBytes };
  }

  async putChunk(
    caller: BackupCaller,
    seq: number,
    index: number,
    read: () => Promise<Uint8Array>,
  ): Promise<void> {
    await this.#unfinished(caller, seq);
    const maxChunks = Math.ceil(this.maxBytes / this.chunkBytes);
    if (index >= maxChunks) throw this.#tooLarge();
    const data = await read();
    if (data.length === 0 || data.length > this.chunkBytes)
      throw invalid(`a chunk is 1..${this.chunkBytes} bytes`);
    const lengths = await snapshotChunkLengths(this.#db, caller.backupId, seq);
    lengths.set(index, data.length);
    let total = 0;
    for (const n of lengths.values()) total += n;
    if (total > this.maxBytes) throw this.#tooLarge();
    if (!(await putSnapshotChunk(this.#db, caller.backupId, seq, index, data)))
      throw notFound('snapshot');
  }

  #tooLarge(): ParleyError {
    return new ParleyError(
      ErrorCode.BODY_TOO_LARGE,
      `A snapshot is at most ${this.maxBytes} bytes`,
      {
        max: this.maxBytes,
      },
    );
  }

  /** Chunks 0..n-1 all present, each full but the last: the snapshot becomes listable. */
  async complete(caller: BackupCaller, seq: number): Promise<SnapshotInfo> {
    await this.#unfinished(caller, seq);
    const lengths = await snapshotChunkLengths(this.#db, caller.backupId, seq);
    const chunks = lengths.size;
    if (chunks === 0) throw invalid('no chunks');
    let size = 0;
    for (let i = 0; i < chunks; i++) {
      const n = lengths.get(i);
      if (n === undefined) throw invalid(`chunk ${i} is missing`);
      if (i < chunks - 1 && n !== this.chunkBytes) throw invalid(`chunk ${i} is not full`);
      size += n;
    }
    const now = this.#now();
    const snapshot = { backupId: caller.backupId, seq, size, chunks, now };
    if (!(await completeSnapshot(this.#db, snapshot, BACKUP_SNAPSHOTS_KEPT)))
      throw notFound('snapshot');
    return { seq, size, chunks, chunkBytes: this.chunkBytes, storedAt: now };
  }

  async list(caller: BackupCaller): Promise<SnapshotListResponse> {
    await this.#authorize(caller);
    const rows = await listSnapshots(this.#db, caller.backupId);
    return {
      snapshots: rows.map((r) => ({
        seq: r.seq,
        size: r.size,
        chunks: r.chunks,
        chunkBytes: this.chunkBytes,
        storedAt: r.storedAt ?? r.startedAt,
      })),
    };
  }

  /** One chunk of a complete snapshot, or the range of it `rangeOf` picks from its length. */
  async getChunk(
    caller: BackupCaller,
    seq: number,
    index: number,
    rangeOf: (length: number) => ByteRange | undefined,
  ): Promise<{ data: Uint8Array; length: number; range: ByteRange | undefined }> {
    await this.#authorize(caller);
    const row = await findSnapshot(this.#db, caller.backupId, seq);
    if (row === undefined || !row.complete) throw notFound('snapshot');
    if (index >= row.chunks) throw notFound('chunk');
    const length = index < row.chunks - 1 ? this.chunkBytes : row.size - index * this.chunkBytes;
    const range = rangeOf(length);
    const slice = range && { start: range.start, length: range.end - range.start + 1 };
    const data = await getSnapshotChunk(this.#db, caller.backupId, seq, index, slice);
    if (data === undefined) throw notFound('chunk');
    return { data, length, range };
  }

  async deleteAll(caller: BackupCaller): Promise<void> {
    await this.#authorize(caller);
    await deleteBackup(this.#db, caller.backupId);
  }
}

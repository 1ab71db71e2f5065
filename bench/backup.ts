/**
 * Backup suite: `npm run bench -- backup` (a benchmark, never a test).
 *
 * One relay process (Deno, libSQL file, backup rate limits raised for
 * 127.0.0.1) and, per profile size, one client store of an account filled
 * with contacts, their conversations and text messages (bench/backup/profile.ts;
 * full: 10,000 and 50,000 messages, smoke: 50). For each size, in one run and
 * interleaved, `REPS` times each:
 *  - parley (bench/backup/parley-peer.ts): `createBackup` (export, deflate,
 *    seal, upload) from the profile's store and `restoreBackup` (download,
 *    verify, import) into a fresh store of the account, as the client runs them;
 *  - plain (bench/backup/plain-peer.ts): the same records as one JSON
 *    document, deflated the same way, uploaded and downloaded through the same
 *    relay routes, then parsed and written into a fresh store.
 * Each restore is checked to hold every message (outside the timing). Also
 * timed alone: the paged walk over the store that both peers start with, so
 * the part of the wall time that is the test store's own cost is visible.
 *
 * Reported per size: wall seconds and CPU seconds (this process and the
 * relay process together, all threads, from process.cpuUsage and
 * /proc/<pid>/stat; on a shared machine CPU time moves far less than wall
 * time), medians of REPS; messages per second (wall); bytes stored on the
 * relay and per message; and the peak JS heap
 * (`heapUsed` sampled every 10 ms, after a full GC; the profile's store
 * itself is part of the starting heap, so the growth is reported beside it).
 * Ratios are Parley ÷ plain: speed (below 1 = slower), bytes (above 1 =
 * larger); "past the store walk" compares the backups' CPU seconds minus the store
 * walk, the cost of the two formats alone (the walk is the test store's own
 * cost; the memory store keeps its keys sorted between pages, sorted-keys.ts).
 *
 * Results: bench/results/backup.json = {parley, plain, ratios} for the
 * largest profile and `sizes` with every size's details.
 */
import { randomUUID } from 'node:crypto';
import { RelayProcess } from '../edge/testing/relay-process.ts';
import { deriveBackupKeys } from '../shared/backup/keys.ts';
import { formatRecoveryKey } from '../shared/backup/recovery-key.ts';
import { BackupRelay, type FetchLike } from '../shared/client/backup/backup-relay.ts';
import { createMemoryStorage, type RecordStore } from '../shared/client/store/store.ts';
import { localAccount } from '../shared/client/testing/local-account.ts';
import { parleyBackups } from './backup/parley-peer.ts';
import { plainBackup, plainRestore, walkSnapshotRecords } from './backup/plain-peer.ts';
import { type ProfileShape, populateProfile } from './backup/profile.ts';
import { type HeapPeak, withHeapPeak } from './lib/heap.ts';
import { median, round } from './lib/stats.ts';
import type { Suite, SuiteOptions } from './lib/suite.ts';
import { cpuMs } from './relay/processes.ts';

const FULL_SIZES: readonly ProfileShape[] = [
  { contacts: 100, messages: 10_000 },
  { contacts: 200, messages: 50_000 },
];
const SMOKE_SIZES: readonly ProfileShape[] = [{ contacts: 5, messages: 50 }];
const FULL_REPS = 3;
const PARLEY_RK = formatRecoveryKey(new Uint8Array(32).fill(0x51));
const PLAIN_RK = new Uint8Array(32).fill(0x52);

const fetchLike: FetchLike = (url, init) => fetch(url, init);

/** Request timestamps that never repeat in the run, whichever flow asks. */
function runClock(): () => number {
  let last = 0;
  return () => {
    last = Math.max(Date.now(), last + 1);
    return last;
  };
}

interface Timed<T> {
  readonly value: T;
  readonly seconds: number;
  /** CPU time of this process and of the relay process together (all their threads). */
  readonly cpuSeconds: number;
  readonly heap: HeapPeak;
}

/** Runs `fn`, measuring wall time, CPU time (this process + the relay's) and peak heap. */
function timer(relayPid: number | undefined) {
  return async <T>(fn: () => Promise<T>): Promise<Timed<T>> => {
    const relayBefore = cpuMs(relayPid);
    const clientBefore = process.cpuUsage();
    const started = performance.now();
    const { value, heap } = await withHeapPeak(fn);
    const seconds = (performance.now() - started) / 1000;
    const client = process.cpuUsage(clientBefore);
    const relayMs = cpuMs(relayPid) - relayBefore;
    const cpuSeconds = (client.user + client.system) / 1e6 + relayMs / 1000;
    return { value, seconds, cpuSeconds, heap };
  };
}

type Timer = ReturnType<typeof timer>;

async function countMessages(records: RecordStore): Promise<number> {
  return (await records.list('msg/')).length;
}

function expectMessages(got: number, want: number, who: string): void {
  if (got !== want) throw new Error(`${who} restore holds ${got} of ${want} messages`);
}

/** What one peer measured at one size (medians over the repetitions). */
export interface PeerResult {
  readonly backupSeconds: number;
  readonly restoreSeconds: number;
  /** CPU seconds of client and relay together: steadier than wall time on a shared machine. */
  readonly backupCpuSeconds: number;
  readonly restoreCpuSeconds: number;
  readonly backupMessagesPerSecond: number;
  readonly restoreMessagesPerSecond: number;
  readonly storedBytes: number;
  readonly bytesPerMessage: number;
  readonly backupPeakHeapMiB: number;
  readonly restorePeakHeapMiB: number;
  /** Peak minus the heap at the start (the profile's store is in the start). */
  readonly backupHeapGrowthMiB: number;
  readonly restoreHeapGrowthMiB: number;
}

export interface SizeResult {
  readonly messages: number;
  readonly contacts: number;
  readonly records: number;
  readonly meanTextChars: number;
  readonly reps: number;
  /** The paged store walk alone, which both peers start with (wall and CPU seconds). */
  readonly storeWalkSeconds: number;
  readonly storeWalkCpuSeconds: number;
  /** The plain JSON document before deflate. */
  readonly plainJsonBytes: number;
  readonly parley: PeerResult;
  readonly plain: PeerResult;
}

interface Sample {
  backup: Timed<number>;
  restore: Timed<number>;
}

function summarise(samples: readonly Sample[], messages: number): PeerResult {
  const backupSeconds = median(samples.map((s) => s.backup.seconds));
  const restoreSeconds = median(samples.map((s) => s.restore.seconds));
  const storedBytes = median(samples.map((s) => s.backup.value));
  const peak = (pick: (s: Sample) => Timed<number>) =>
    median(samples.map((s) => pick(s).heap.peakMiB));
  const growth = (pick: (s: Sample) => Timed<number>) =>
    median(samples.map((s) => pick(s).heap.peakMiB - pick(s).heap.startMiB));
  return {
    backupSeconds: round(backupSeconds),
    restoreSeconds: round(restoreSeconds),
    backupCpuSeconds: round(median(samples.map((s) => s.backup.cpuSeconds))),
    restoreCpuSeconds: round(median(samples.map((s) => s.restore.cpuSeconds))),
    backupMessagesPerSecond: round(messages / backupSeconds),
    restoreMessagesPerSecond: round(messages / restoreSeconds),
    storedBytes,
    bytesPerMessage: round(storedBytes / messages),
    backupPeakHeapMiB: round(peak((s) => s.backup)),
    restorePeakHeapMiB: round(peak((s) => s.restore)),
    backupHeapGrowthMiB: round(growth((s) => s.backup)),
    restoreHeapGrowthMiB: round(growth((s) => s.restore)),
  };
}

export async function measureSize(
  relayUrl: string,
  timed: Timer,
  shape: ProfileShape,
  reps: number,
  log: SuiteOptions['log'],
): Promise<SizeResult> {
  const now = runClock();
  const source = createMemoryStorage().records;
  const user = randomUUID();
  const { account } = await localAccount(source, user, 1);
  const facts = await populateProfile(source, user, shape, Date.now());
  const deps = { relayUrl, fetch: fetchLike, now };
  const parley = parleyBackups(source, account, deps);
  const plainKeys = await deriveBackupKeys(PLAIN_RK, user);
  const plainRelay = new BackupRelay({
    ...deps,
    backupId: plainKeys.backupId,
    auth: plainKeys.auth,
  });
  const walk = await timed(async () => {
    let n = 0;
    for await (const _ of walkSnapshotRecords(source)) n++;
    return n;
  });
  let plainJsonBytes = 0;
  const parleySamples: Sample[] = [];
  const plainSamples: Sample[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const plainUp = await timed(() => plainBackup(source, plainRelay));
    plainJsonBytes = plainUp.value.jsonBytes;
    const plainTarget = createMemoryStorage().records;
    const plainDown = await timed(() => plainRestore(plainTarget, plainRelay, plainUp.value.seq));
    expectMessages(await countMessages(plainTarget), shape.messages, 'plain');
    plainSamples.push({
      backup: { ...plainUp, value: plainUp.value.storedBytes },
      restore: plainDown,
    });

    const parleyUp = await timed(() => parley.createBackup({ recoveryKey: PARLEY_RK }));
    const parleyTarget = createMemoryStorage().records;
    const restoring = parleyBackups(parleyTarget, account, deps);
    const parleyDown = await timed(async () => {
      await restoring.restoreBackup(PARLEY_RK, parleyUp.value.seq);
      return 0;
    });
    expectMessages(await countMessages(parleyTarget), shape.messages, 'parley');
    parleySamples.push({
      backup: { ...parleyUp, value: parleyUp.value.size },
      restore: parleyDown,
    });
    const f = (t: Timed<unknown>) => `${t.seconds.toFixed(2)} s (CPU ${t.cpuSeconds.toFixed(2)} s)`;
    log(
      `${shape.messages} messages, rep ${rep + 1}/${reps}: plain up ${f(plainUp)}, down ${f(plainDown)}; parley up ${f(parleyUp)}, down ${f(parleyDown)}`,
    );
  }
  return {
    messages: shape.messages,
    contacts: shape.contacts,
    records: facts.records,
    meanTextChars: round(facts.textChars / Math.max(1, shape.messages)),
    reps,
    storeWalkSeconds: round(walk.seconds),
    storeWalkCpuSeconds: round(walk.cpuSeconds),
    plainJsonBytes,
    parley: summarise(parleySamples, shape.messages),
    plain: summarise(plainSamples, shape.messages),
  };
}

/** Parley ÷ plain; for times as speed (messages/s: below 1 = Parley slower), for bytes as size. */
export function ratios(r: SizeResult) {
  const speed = (plain: number, parley: number) => round(plain / parley, 2);
  const walk = r.storeWalkCpuSeconds;
  return {
    backupCpu: speed(r.plain.backupCpuSeconds, r.parley.backupCpuSeconds),
    backupCpuPastStoreWalk: speed(
      pastWalk(r.plain.backupCpuSeconds, walk),
      pastWalk(r.parley.backupCpuSeconds, walk),
    ),
    restoreCpu: speed(r.plain.restoreCpuSeconds, r.parley.restoreCpuSeconds),
    backupWall: speed(r.plain.backupSeconds, r.parley.backupSeconds),
    restoreWall: speed(r.plain.restoreSeconds, r.parley.restoreSeconds),
    storedBytes: round(r.parley.storedBytes / r.plain.storedBytes, 2),
  };
}

/**
 * A backup's CPU seconds past the store walk both peers start with (timed
 * alone in the same run): what the formats themselves cost. NaN if the walk
 * measured more than the whole backup (noise).
 */
function pastWalk(seconds: number, walk: number): number {
  return seconds > walk ? seconds - walk : Number.NaN;
}

const n = (value: number) => value.toLocaleString('en-US');
const s2 = (value: number) => round(value, 3);

function markdown(rows: readonly SizeResult[]): string {
  const speed = [
    '| messages | step | plain wall s | parley wall s | plain CPU s | parley CPU s | speed ratio, CPU | speed ratio, wall | parley msg/s (wall) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const size = [
    '| messages | plain bytes | parley bytes | ratio | parley bytes/message | plain JSON bytes | backup peak heap MiB, plain / parley (growth) | restore peak heap MiB, plain / parley (growth) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const q = ratios(r);
    const { plain: a, parley: b } = r;
    const m = n(r.messages);
    const w = r.storeWalkCpuSeconds;
    speed.push(
      `| ${m} | backup | ${a.backupSeconds} | ${b.backupSeconds} | ${a.backupCpuSeconds} | ${b.backupCpuSeconds} | ${q.backupCpu} | ${q.backupWall} | ${n(b.backupMessagesPerSecond)} |`,
      `| ${m} | backup past the store walk (walk: ${r.storeWalkSeconds} s wall, ${w} s CPU) | | | ${s2(pastWalk(a.backupCpuSeconds, w))} | ${s2(pastWalk(b.backupCpuSeconds, w))} | ${q.backupCpuPastStoreWalk} | | |`,
      `| ${m} | restore | ${a.restoreSeconds} | ${b.restoreSeconds} | ${a.restoreCpuSeconds} | ${b.restoreCpuSeconds} | ${q.restoreCpu} | ${q.restoreWall} | ${n(b.restoreMessagesPerSecond)} |`,
    );
    size.push(
      `| ${m} | ${n(a.storedBytes)} | ${n(b.storedBytes)} | ${q.storedBytes} | ${b.bytesPerMessage} | ${n(r.plainJsonBytes)} | ${a.backupPeakHeapMiB} (+${a.backupHeapGrowthMiB}) / ${b.backupPeakHeapMiB} (+${b.backupHeapGrowthMiB}) | ${a.restorePeakHeapMiB} (+${a.restoreHeapGrowthMiB}) / ${b.restorePeakHeapMiB} (+${b.restoreHeapGrowthMiB}) |`,
    );
  }
  return `${speed.join('\n')}\n\n${size.join('\n')}\n`;
}

export const suite: Suite = {
  description:
    'Backup: export+seal+upload and download+verify+import of a client profile through the local relay, against plain JSON through the same relay',
  async run({ smoke, log }) {
    const sizes = smoke ? SMOKE_SIZES : FULL_SIZES;
    const reps = smoke ? 1 : FULL_REPS;
    const relay = await RelayProcess.start({
      env: {
        RATE_LIMIT_HTTP_PER_IP: '10000000/60',
        RATE_LIMIT_BACKUP_REQUESTS_PER_ID: '10000000/60',
        RATE_LIMIT_BACKUP_UPLOADS_PER_IP: '10000000/60',
      },
    });
    try {
      const rows: SizeResult[] = [];
      for (const shape of sizes)
        rows.push(await measureSize(relay.url, timer(relay.pid), shape, reps, log));
      const top = rows[rows.length - 1] as SizeResult;
      return {
        results: { parley: top.parley, plain: top.plain, ratios: ratios(top), sizes: rows },
        markdown: markdown(rows),
      };
    } finally {
      await relay.dispose();
    }
  },
};

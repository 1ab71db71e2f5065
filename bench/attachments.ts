/**
 * Attachments suite: `npm run bench -- attachments` (a benchmark, never a test).
 *
 * One relay process (Deno, libSQL storage, size limit raised through
 * ATTACHMENT_MAX_BYTES, rate limits raised for 127.0.0.1) and one account
 * with a device that creates uploads as the background does. For each file
 * size (1 MB, 50 MB, 500 MB; smoke: 1 kB and 200 kB), in one run:
 *  - plain: the file's bytes PUT to the relay chunk by chunk and fetched
 *    back, through the same HTTP module (shared/attachments/relay-http.ts)
 *    with the same number of chunk requests in flight (CHUNKS_IN_FLIGHT, via
 *    mapAhead), no encryption: the floor the relay and loopback set for the
 *    transport Parley uses;
 *  - parley: `uploadAttachment` (pad, streaming AEAD, piece-list digest,
 *    chunk PUTs) and `downloadAttachment` (chunk GETs, digest, AEAD open,
 *    unpad), with WebCrypto doing the AES-GCM and the SHA-256 as in a page.
 * Each size runs PAIRS times (smoke: once), plain then parley, interleaved,
 * so a change in the machine's load hits both peers alike; the table shows
 * the median MB/s of each and the median of the per-pair ratios (with their
 * range), the JSON keeps every pair.
 * The file is read from disk as a stream and the plaintext is only counted,
 * never collected, so memory stays what the pipeline itself holds. MB/s are
 * plaintext bytes (10^6) per second. Peak JS heap is sampled every 10 ms
 * during the parley transfers of the largest file (`heapUsed`; buffers
 * outside the heap are reported beside it as `peakArrayBuffersMiB500MB`).
 *
 * Results: bench/results/attachments.json = {parley: {encryptUploadMBps,
 * downloadDecryptMBps, peakHeapMiB500MB, ...}, plain: {uploadMBps,
 * downloadMBps}, sizes: per-size details}; the headline numbers are those of
 * the largest file.
 */

import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RelayProcess } from '../edge/testing/relay-process.ts';
import { downloadAttachment } from '../shared/attachments/download.ts';
import { attachmentBlobSize } from '../shared/attachments/format.ts';
import {
  CHUNKS_IN_FLIGHT,
  completeUpload,
  getChunk,
  putChunk,
} from '../shared/attachments/relay-http.ts';
import type { TransferDeps } from '../shared/attachments/retry.ts';
import {
  nodeTransferDeps,
  type Uploader,
  uploaderOn,
} from '../shared/attachments/testing/relay-upload.ts';
import { uploadAttachment } from '../shared/attachments/upload.ts';
import { readStream, rechunk } from '../shared/byte-streams.ts';
import { toBase64Url } from '../shared/bytes.ts';
import { mapAhead } from '../shared/map-ahead.ts';
import { median, round } from './lib/stats.ts';
import type { Suite, SuiteOptions } from './lib/suite.ts';

const MB = 1_000_000;
const MiB = 1024 * 1024;
const FULL_SIZES = [1 * MB, 50 * MB, 500 * MB];
const SMOKE_SIZES = [1_000, 200_000];
/** Plain/parley pairs per size in a full run. */
const PAIRS = 3;

/** The relay as the bench uses it; `pid` lets it count the relay's CPU time (Linux). */
interface BenchRelay {
  readonly url: string;
  readonly pid?: number | undefined;
}

/** CPU milliseconds per MiB of file moved: this process (WebCrypto's threads included) and the relay's. */
interface CpuPerMiB {
  readonly client: number;
  readonly relay: number | null;
}

/** One plain/parley pair: MB/s of each transfer. */
interface PairResult {
  readonly plainUploadMBps: number;
  readonly plainDownloadMBps: number;
  readonly encryptUploadMBps: number;
  readonly downloadDecryptMBps: number;
}

interface SizeResult {
  readonly bytes: number;
  /** Medians over the pairs. */
  readonly plainUploadMBps: number;
  readonly plainDownloadMBps: number;
  readonly encryptUploadMBps: number;
  readonly downloadDecryptMBps: number;
  /** Median of the per-pair ratios, parley / plain. */
  readonly uploadRatio: number;
  readonly downloadRatio: number;
  readonly pairs: readonly PairResult[];
  readonly peakHeapMiB: number;
  readonly peakArrayBuffersMiB: number;
  /**
   * CPU per MiB for each transfer: unlike MB/s, it hardly depends on what
   * else runs on the machine, so it shows the cost Parley adds even when a
   * busy machine makes the throughput ratios swing.
   */
  readonly cpuMsPerMiB: {
    readonly plainUpload: CpuPerMiB;
    readonly encryptUpload: CpuPerMiB;
    readonly plainDownload: CpuPerMiB;
    readonly downloadDecrypt: CpuPerMiB;
  };
}

/** Peak heap and array-buffer memory while it runs (sampled every 10 ms). */
class HeapSampler {
  heap = 0;
  arrayBuffers = 0;
  readonly #timer = setInterval(() => this.sample(), 10);
  sample(): void {
    const usage = process.memoryUsage();
    this.heap = Math.max(this.heap, usage.heapUsed);
    this.arrayBuffers = Math.max(this.arrayBuffers, usage.arrayBuffers);
  }
  stop(): void {
    clearInterval(this.#timer);
    this.sample();
  }
}

function writeRandomFile(path: string, bytes: number): void {
  writeFileSync(path, new Uint8Array(0));
  for (let done = 0; done < bytes; done += 4 * MiB) {
    writeFileSync(path, randomBytes(Math.min(4 * MiB, bytes - done)), { flag: 'a' });
  }
}

function fileSource(path: string): AsyncIterable<Uint8Array> {
  return createReadStream(path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Uint8Array>;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const CLOCK_TICKS = 100;

/** The relay's user + system CPU time in ms, or null where /proc is not there. */
function relayCpuMs(relay: BenchRelay): number | null {
  if (relay.pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${relay.pid}/stat`, 'utf8');
    // Fields after "(comm)": state is the first, utime the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

interface Timing {
  readonly bytes: number;
  readonly seconds: number;
  readonly cpu: CpuPerMiB;
}

async function timed(relay: BenchRelay, run: () => Promise<number>): Promise<Timing> {
  const relayBefore = relayCpuMs(relay);
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  const bytes = await run();
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  const relayAfter = relayCpuMs(relay);
  const mib = bytes / MiB;
  const relayMs = relayBefore === null || relayAfter === null ? null : relayAfter - relayBefore;
  return {
    bytes,
    seconds,
    cpu: {
      client: round((client.user + client.system) / 1000 / mib),
      relay: relayMs === null ? null : round(relayMs / mib),
    },
  };
}

const mbps = (t: Timing) => round(t.bytes / MB / t.seconds);

async function plainRoundTrip(
  relay: BenchRelay,
  deps: TransferDeps,
  uploader: Uploader,
  path: string,
  bytes: number,
) {
  const created = await uploader.create(bytes);
  const endpoint = { relayUrl: relay.url, id: created.id, fetch: deps.fetch };
  const up = await timed(relay, async () => {
    const chunks = rechunk(fileSource(path), created.chunkBytes);
    const put = (chunk: Uint8Array, index: number) =>
      putChunk(endpoint, created.uploadToken, index, chunk);
    for await (const _ of mapAhead(chunks, CHUNKS_IN_FLIGHT, put));
    await completeUpload(endpoint, created.uploadToken);
    return bytes;
  });
  const down = await timed(relay, async () => {
    let got = 0;
    const count = Math.ceil(bytes / created.chunkBytes);
    const indexes = Array.from({ length: count }, (_, i) => i);
    const get = (index: number) => getChunk(endpoint, index);
    for await (const chunk of mapAhead(indexes, CHUNKS_IN_FLIGHT, get)) got += chunk.length;
    return got;
  });
  return { up, down };
}

async function parleyRoundTrip(
  relay: BenchRelay,
  deps: TransferDeps,
  uploader: Uploader,
  path: string,
  bytes: number,
) {
  const created = await uploader.create(attachmentBlobSize(bytes));
  let pointer:
    | { key: Uint8Array; digest: Uint8Array; digestScheme: number; size: number }
    | undefined;
  const up = await timed(relay, async () => {
    const result = await uploadAttachment({
      relayUrl: relay.url,
      created,
      source: fileSource(path),
      size: bytes,
      deps,
    });
    pointer = result;
    return bytes;
  });
  if (pointer === undefined) throw new Error('upload returned nothing');
  const full = { ...pointer, id: Uint8Array.from(Buffer.from(created.id, 'base64url')) };
  const down = await timed(relay, async () => {
    let got = 0;
    const stream = downloadAttachment({ relayUrl: relay.url, pointer: full, deps });
    for await (const part of readStream(stream)) got += part.length;
    if (got !== bytes) throw new Error(`downloaded ${got} of ${bytes} bytes`);
    return got;
  });
  return { up, down };
}

/** CPU per MiB, the median over the pairs (client and relay apart). */
function medianCpu(cpus: readonly CpuPerMiB[]): CpuPerMiB {
  const relays = cpus.map((c) => c.relay);
  return {
    client: round(median(cpus.map((c) => c.client))),
    relay: relays.includes(null) ? null : round(median(relays as number[])),
  };
}

type RoundTrip = Awaited<ReturnType<typeof plainRoundTrip>>;

export async function measureSize(
  relay: BenchRelay,
  deps: TransferDeps,
  uploader: Uploader,
  dir: string,
  bytes: number,
  log: SuiteOptions['log'],
  pairs = 1,
): Promise<SizeResult> {
  const path = join(dir, `file-${bytes}`);
  writeRandomFile(path, bytes);
  const plains: RoundTrip[] = [];
  const parleys: RoundTrip[] = [];
  const sampler = new HeapSampler();
  for (let i = 0; i < pairs; i++) {
    plains.push(await plainRoundTrip(relay, deps, uploader, path, bytes));
    (globalThis as { gc?: () => void }).gc?.();
    parleys.push(await parleyRoundTrip(relay, deps, uploader, path, bytes));
  }
  sampler.stop();
  rmSync(path);
  const runs: PairResult[] = plains.map((plain, i) => {
    const parley = parleys[i] as RoundTrip;
    return {
      plainUploadMBps: mbps(plain.up),
      plainDownloadMBps: mbps(plain.down),
      encryptUploadMBps: mbps(parley.up),
      downloadDecryptMBps: mbps(parley.down),
    };
  });
  const med = (pick: (r: PairResult) => number) => round(median(runs.map(pick)));
  const result: SizeResult = {
    bytes,
    plainUploadMBps: med((r) => r.plainUploadMBps),
    plainDownloadMBps: med((r) => r.plainDownloadMBps),
    encryptUploadMBps: med((r) => r.encryptUploadMBps),
    downloadDecryptMBps: med((r) => r.downloadDecryptMBps),
    uploadRatio: round(median(runs.map((r) => r.encryptUploadMBps / r.plainUploadMBps)), 2),
    downloadRatio: round(median(runs.map((r) => r.downloadDecryptMBps / r.plainDownloadMBps)), 2),
    pairs: runs,
    peakHeapMiB: round(sampler.heap / MiB),
    peakArrayBuffersMiB: round(sampler.arrayBuffers / MiB),
    cpuMsPerMiB: {
      plainUpload: medianCpu(plains.map((p) => p.up.cpu)),
      encryptUpload: medianCpu(parleys.map((p) => p.up.cpu)),
      plainDownload: medianCpu(plains.map((p) => p.down.cpu)),
      downloadDecrypt: medianCpu(parleys.map((p) => p.down.cpu)),
    },
  };
  log(`${bytes} B: ${JSON.stringify(result)}`);
  return result;
}

/** "0.85 (0.8–0.9)": the median ratio and the range over the pairs. */
function ratioCell(r: SizeResult, parley: keyof PairResult, plain: keyof PairResult): string {
  const median = parley === 'encryptUploadMBps' ? r.uploadRatio : r.downloadRatio;
  if (r.pairs.length < 2) return String(median);
  const all = r.pairs.map((p) => p[parley] / p[plain]);
  return `${median} (${round(Math.min(...all), 2)}–${round(Math.max(...all), 2)})`;
}

function markdown(rows: readonly SizeResult[]): string {
  const lines = [
    `Medians of ${rows[0]?.pairs.length ?? 0} interleaved plain/parley pairs per file; ratio: median of the pairs' ratios (range).`,
    '',
    '| file | plain up MB/s | parley up MB/s | ratio | plain down MB/s | parley down MB/s | ratio | peak heap MiB | peak buffers MiB |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${(r.bytes / MB).toLocaleString('en-US')} MB | ${r.plainUploadMBps} | ${r.encryptUploadMBps} | ${ratioCell(r, 'encryptUploadMBps', 'plainUploadMBps')} | ${r.plainDownloadMBps} | ${r.downloadDecryptMBps} | ${ratioCell(r, 'downloadDecryptMBps', 'plainDownloadMBps')} | ${r.peakHeapMiB} | ${r.peakArrayBuffersMiB} |`,
    );
  }
  lines.push(
    '',
    "CPU ms per MiB, client + relay (client includes WebCrypto's threads):",
    '',
    '| file | plain up | parley up | plain down | parley down |',
    '|---:|---:|---:|---:|---:|',
  );
  const cpu = (c: CpuPerMiB) => `${c.client} + ${c.relay ?? '?'}`;
  for (const r of rows) {
    const c = r.cpuMsPerMiB;
    lines.push(
      `| ${(r.bytes / MB).toLocaleString('en-US')} MB | ${cpu(c.plainUpload)} | ${cpu(c.encryptUpload)} | ${cpu(c.plainDownload)} | ${cpu(c.downloadDecrypt)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export const suite: Suite = {
  description:
    'Attachments: encrypt+upload and download+decrypt through the local relay, against plain copies',
  async run({ smoke, log }) {
    const sizes = smoke ? SMOKE_SIZES : FULL_SIZES;
    const maxBytes = attachmentBlobSize(Math.max(...sizes));
    const relay = await RelayProcess.start({
      env: {
        ATTACHMENT_MAX_BYTES: String(maxBytes),
        RATE_LIMIT_HTTP_PER_IP: '10000000/60',
        RATE_LIMIT_HTTP_PER_DEVICE: '10000000/60',
        RATE_LIMIT_ATTACHMENT_BYTES_PER_DEVICE: '1000000000000/60',
        RATE_LIMIT_ATTACHMENT_CHUNKS_PER_IP: '10000000/60',
        ATTACHMENT_BYTES_PER_DAY: String(2 ** 40),
        ATTACHMENT_OUTSTANDING_BYTES: String(2 ** 40),
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'parley-bench-att-'));
    const deps: TransferDeps = nodeTransferDeps;
    try {
      const uploader = await uploaderOn(
        relay.http,
        `benchatt${toBase64Url(randomBytes(3))
          .toLowerCase()
          .replace(/[^a-z0-9]/g, '')}`,
      );
      const rows: SizeResult[] = [];
      for (const bytes of sizes)
        rows.push(await measureSize(relay, deps, uploader, dir, bytes, log, smoke ? 1 : PAIRS));
      const top = rows[rows.length - 1] as SizeResult;
      return {
        results: {
          parley: {
            encryptUploadMBps: top.encryptUploadMBps,
            downloadDecryptMBps: top.downloadDecryptMBps,
            uploadRatio: top.uploadRatio,
            downloadRatio: top.downloadRatio,
            peakHeapMiB500MB: top.peakHeapMiB,
            peakArrayBuffersMiB500MB: top.peakArrayBuffersMiB,
          },
          plain: { uploadMBps: top.plainUploadMBps, downloadMBps: top.plainDownloadMBps },
          sizes: rows,
        },
        markdown: markdown(rows),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await relay.dispose();
    }
  },
};

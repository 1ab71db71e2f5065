/**
 * A small Prometheus registry (text exposition format 0.0.4): counters and
 * gauges with labels, and one histogram type. Written here rather than pulled
 * in because the relay needs a handful of series and nothing else from a
 * metrics library, and it has to run unchanged on Deno and Node.
 */

type Labels = Readonly<Record<string, string>>;

const keyCache = new WeakMap<Labels, string>();
const NO_LABELS = '';

/** Callers on hot paths pass the same (frozen) label objects, whose keys are then cached. */
function labelKey(labels: Labels): string {
  const cached = keyCache.get(labels);
  if (cached !== undefined) return cached;
  const names = Object.keys(labels).sort();
  const key =
    names.length === 0
      ? NO_LABELS
      : `{${names.map((n) => `${n}="${escapeLabel(labels[n] ?? '')}"`).join(',')}}`;
  if (Object.isFrozen(labels)) keyCache.set(labels, key);
  return key;
}

function escapeLabel(v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

interface Metric {
  render(): string;
}

/** Counters and gauges: one number per label set, rendered the same way but for their type. */
abstract class LabelledSeries implements Metric {
  readonly #values = new Map<string, number>();
  protected abstract readonly type: 'counter' | 'gauge';
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  protected addTo(labels: Labels, by: number): void {
    const key = labelKey(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }
  protected setTo(labels: Labels, value: number): void {
    this.#values.set(labelKey(labels), value);
  }
  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    if (this.#values.size === 0) lines.push(`${this.name} 0`);
    for (const [key, v] of this.#values) lines.push(`${this.name}${key} ${v}`);
    return lines.join('\n');
  }
}

export class Counter extends LabelledSeries {
  protected readonly type = 'counter';
  inc(labels: Labels = {}, by = 1): void {
    this.addTo(labels, by);
  }
}

export class Gauge extends LabelledSeries {
  protected readonly type = 'gauge';
  #collect: (() => number | Promise<number>) | undefined;
  set(value: number, labels: Labels = {}): void {
    this.setTo(labels, value);
  }
  add(by: number, labels: Labels = {}): void {
    this.addTo(labels, by);
  }
  /** Sets a callback evaluated at scrape time (e.g. a COUNT(*) on the queue). */
  collectWith(fn: () => number | Promise<number>): void {
    this.#collect = fn;
  }
  async refresh(): Promise<void> {
    if (this.#collect !== undefined) this.set(await this.#collect());
  }
}

export class Histogram implements Metric {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.#counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.#sum += value;
    this.#count += 1;
    for (let i = 0; i < this.buckets.length; i++) {
      if (value <= (this.buckets[i] as number)) this.#counts[i] = (this.#counts[i] ?? 0) + 1;
    }
  }
  get count(): number {
    return this.#count;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => {
      lines.push(`${this.name}_bucket{le="${b}"} ${this.#counts[i] ?? 0}`);
    });
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.#count}`);
    lines.push(`${this.name}_sum ${this.#sum}`);
    lines.push(`${this.name}_count ${this.#count}`);
    return lines.join('\n');
  }
}

/** Every series the relay exports. One instance per app. */
export class RelayMetrics {
  readonly connections = new Gauge(
    'parley_ws_connections',
    'Open WebSocket connections (authenticated or not).',
  );
  readonly authenticated = new Gauge(
    'parley_ws_authenticated',
    'Authenticated WebSocket connections.',
  );
  readonly framesIn = new Counter('parley_ws_frames_in_total', 'Frames received, by type.');
  readonly framesOut = new Counter('parley_ws_frames_out_total', 'Frames sent, by type.');
  readonly queueDepth = new Gauge('parley_queue_depth', 'Messages waiting in the relay queue.');
  readonly stored = new Counter(
    'parley_messages_stored_total',
    'Ciphertexts written to the queue.',
  );
  readonly deliveries = new Counter(
    'parley_deliveries_total',
    'Ciphertexts delivered to a device (including redeliveries).',
  );
  readonly acks = new Counter('parley_acks_total', 'Ciphertexts acknowledged and deleted.');
  readonly expired = new Counter(
    'parley_expired_total',
    'Ciphertexts deleted by the expiry sweeper.',
  );
  readonly walCheckpointsBusy = new Counter(
    'parley_wal_checkpoints_busy_total',
    'Write-ahead log truncations skipped because another connection held a lock (retried next tick).',
  );
  readonly rejections = new Counter(
    'parley_rejections_total',
    'Rejected requests and frames, by stable error code.',
  );
  readonly transientDropped = new Counter(
    'parley_transient_dropped_total',
    'Transient copies (typing, presence) not sent to a recipient socket: behind, or over its budget.',
  );
  readonly authFailures = new Counter(
    'parley_auth_failures_total',
    'Rejected authentication attempts, by kind and code.',
  );
  readonly httpRequests = new Counter(
    'parley_http_requests_total',
    'HTTP requests, by route and status.',
  );
  readonly prekeysMissing = new Counter(
    'parley_prekey_bundles_without_one_time_total',
    'Prekey bundles served without a one-time prekey, by reason: budget (the target device gave out its per-window share, a sign of someone draining it), empty (its stock is used up) or kem-empty (no one-time ML-KEM prekey left: the last-resort one was served).',
  );
  readonly deliveryLatency = new Histogram(
    'parley_delivery_latency_seconds',
    'Time from a ciphertext being stored to it being sent to a connected recipient.',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600, 3600],
  );
  readonly attachmentBytesStored = new Gauge(
    'parley_attachment_bytes_stored',
    'Ciphertext bytes of complete, unexpired attachments (in the database or the object store).',
  );
  readonly attachmentUploads = new Counter(
    'parley_attachment_uploads_total',
    'Attachment uploads, by event: created or completed.',
  );
  readonly attachmentBytesUploaded = new Counter(
    'parley_attachment_bytes_completed_total',
    'Ciphertext bytes of attachments whose upload completed.',
  );
  readonly attachmentsDeleted = new Counter(
    'parley_attachments_deleted_total',
    'Attachments deleted with their bytes, by reason: expired, incomplete (never completed within 24 h) or deleted (by the uploader).',
  );
  readonly backupUploadsSwept = new Counter(
    'parley_backup_uploads_swept_total',
    'Backup snapshot uploads never completed within BACKUP_INCOMPLETE_SECONDS, deleted with their chunks by the sweeper.',
  );

  readonly #all: Metric[] = [
    this.connections,
    this.authenticated,
    this.framesIn,
    this.framesOut,
    this.queueDepth,
    this.stored,
    this.deliveries,
    this.acks,
    this.expired,
    this.walCheckpointsBusy,
    this.rejections,
    this.transientDropped,
    this.authFailures,
    this.httpRequests,
    this.prekeysMissing,
    this.deliveryLatency,
    this.attachmentBytesStored,
    this.attachmentUploads,
    this.attachmentBytesUploaded,
    this.attachmentsDeleted,
    this.backupUploadsSwept,
  ];

  async render(): Promise<string> {
    // A failing scrape-time query leaves the last value; /healthz reports the database.
    await this.queueDepth.refresh().catch(() => {});
    await this.attachmentBytesStored.refresh().catch(() => {});
    return `${this.#all.map((m) => m.render()).join('\n')}\n`;
  }
}

/**
 * A load-generator process (forked by bench/relay.ts, driven over IPC). It
 * holds a share of the benchmark's clients, so the client side does not
 * starve on one core, and never targets anything but the 127.0.0.1 URLs it
 * is given. Every phase has a hard time bound.
 *
 * Commands (parent -> child), each answered by one message:
 *   connect {protocol, clients, peers, concurrency} -> {connected, failed, ms}
 *   run {mode: 'fixed'|'max', rate, warmupMs, measureMs, window, settleMs}
 *       -> {sent, stored, delivered, latencies (measurement window only)}
 *   idle {ms} -> {open}      (keeps connections alive with pings)
 *   close -> {}
 */
import { randomBytes } from 'node:crypto';
import { setImmediate } from 'node:timers';
import {
  type BenchClient,
  type ClientSpec,
  createClient,
  type Hooks,
  makeBody,
  now,
  type Peer,
  type Protocol,
} from './clients.ts';

export type Command =
  | {
      readonly cmd: 'connect';
      readonly protocol: Protocol;
      readonly clients: readonly ClientSpec[];
      /** peers[i] is the recipient of clients[i]. */
      readonly peers: readonly Peer[];
      readonly concurrency: number;
    }
  | {
      readonly cmd: 'run';
      readonly mode: 'fixed' | 'max';
      /** Aggregate messages per second for this process (fixed mode). */
      readonly rate: number;
      readonly warmupMs: number;
      readonly measureMs: number;
      /** Outstanding sends per client (max mode). */
      readonly window: number;
      /** Time for in-flight messages to land after the phase (not counted in the window). */
      readonly settleMs: number;
    }
  | { readonly cmd: 'idle'; readonly ms: number }
  | { readonly cmd: 'close' };

export interface RunReport {
  readonly sent: number;
  readonly stored: number;
  readonly delivered: number;
  readonly measuredSent: number;
  readonly measuredDelivered: number;
  readonly latencies: number[];
  readonly closedUnexpectedly: number;
}

const filler = randomBytes(512);
let clients: BenchClient[] = [];
let peers: readonly Peer[] = [];
let measuring = false;
let counting = false;
let sent = 0;
let stored = 0;
let delivered = 0;
let measuredSent = 0;
let measuredDelivered = 0;
let latencies: number[] = [];
let closedUnexpectedly = 0;
let onStored: ((client: BenchClient) => void) | undefined;
const needAcks = new Set<BenchClient>();
let ackFlushScheduled = false;
let closing = false;

const hooks: Hooks = {
  stored(client) {
    if (counting) stored++;
    onStored?.(client);
  },
  delivered(sentAt) {
    if (!counting) return;
    delivered++;
    if (measuring) {
      measuredDelivered++;
      latencies.push(now() - sentAt);
    }
  },
  closed() {
    if (!closing) closedUnexpectedly++;
  },
};

/** Acks go out once per loop turn per client, as a real client batching its inbox writes would. */
function scheduleAcks(client: BenchClient): void {
  needAcks.add(client);
  if (ackFlushScheduled) return;
  ackFlushScheduled = true;
  setImmediate(() => {
    ackFlushScheduled = false;
    for (const c of needAcks) c.flushAcks();
    needAcks.clear();
  });
}

function reply(message: unknown): void {
  process.send?.(message);
}

async function connectAll(command: Extract<Command, { cmd: 'connect' }>): Promise<void> {
  const started = performance.now();
  peers = command.peers;
  clients = command.clients.map((spec) => {
    const client: BenchClient = createClient(command.protocol, spec, {
      ...hooks,
      delivered: (sentAt) => {
        hooks.delivered(sentAt);
        scheduleAcks(client);
      },
    });
    return client;
  });
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < clients.length) {
      const client = clients[next++];
      try {
        await client?.connect();
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, worker));
  reply({
    connected: clients.length - failed,
    failed,
    ms: Math.round(performance.now() - started),
  });
}

function resetCounters(): void {
  sent = stored = delivered = measuredSent = measuredDelivered = 0;
  latencies = [];
}

async function run(command: Extract<Command, { cmd: 'run' }>): Promise<void> {
  resetCounters();
  counting = true;
  const index = new Map(clients.map((c, i) => [c, i]));
  const sendFrom = (i: number) => {
    const client = clients[i];
    const peer = peers[i];
    if (client === undefined || peer === undefined) return;
    client.send(peer, makeBody(filler));
    sent++;
    if (measuring) measuredSent++;
  };
  const start = performance.now();
  const end = start + command.warmupMs + command.measureMs;
  const measureTimer = setTimeout(() => {
    measuring = true;
  }, command.warmupMs);
  if (command.mode === 'max') {
    // Closed loop: every `stored` releases the next send of that client.
    let stopped = false;
    onStored = (client) => {
      if (stopped) return;
      const i = index.get(client);
      if (i !== undefined) sendFrom(i);
    };
    for (let w = 0; w < command.window; w++) for (let i = 0; i < clients.length; i++) sendFrom(i);
    await new Promise((r) => setTimeout(r, end - performance.now()));
    stopped = true;
  } else {
    // Open loop: a ticker keeps the aggregate rate, round-robin over the clients.
    onStored = undefined;
    let cursor = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const t = performance.now();
        if (t >= end) {
          clearInterval(timer);
          resolve();
          return;
        }
        const due = Math.floor(((t - start) / 1000) * command.rate) - sent;
        for (let k = 0; k < due; k++) {
          sendFrom(cursor);
          cursor = (cursor + 1) % clients.length;
        }
      }, 2);
    });
  }
  measuring = false;
  clearTimeout(measureTimer);
  // Let in-flight messages land (not counted in the window) before the next phase.
  await new Promise((r) => setTimeout(r, command.settleMs));
  counting = false;
  onStored = undefined;
  const report: RunReport = {
    sent,
    stored,
    delivered,
    measuredSent,
    measuredDelivered,
    latencies,
    closedUnexpectedly,
  };
  reply(report);
}

async function idle(ms: number): Promise<void> {
  // Keepalive as the extension does: a ping per client at least every 20 s, spread out.
  const perTick = Math.max(1, Math.ceil(clients.length / 20));
  let cursor = 0;
  const timer = setInterval(() => {
    for (let k = 0; k < perTick && clients.length > 0; k++) {
      clients[cursor % clients.length]?.ping();
      cursor++;
    }
  }, 1000);
  await new Promise((r) => setTimeout(r, ms));
  clearInterval(timer);
  reply({ open: clients.length - closedUnexpectedly });
}

process.on('message', (command: Command) => {
  const handle = async () => {
    switch (command.cmd) {
      case 'connect':
        return connectAll(command);
      case 'run':
        return run(command);
      case 'idle':
        return idle(command.ms);
      case 'close':
        closing = true;
        for (const c of clients) c.close();
        reply({});
        setTimeout(() => process.exit(0), 100);
        return;
    }
  };
  handle().catch((error: unknown) => reply({ error: String(error) }));
});

// A hard bound: a load generator never outlives a stuck parent for long.
setTimeout(() => process.exit(3), 30 * 60_000).unref();
process.on('disconnect', () => process.exit(0));

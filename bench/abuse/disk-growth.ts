/**
 * Disk growth under the shared-body amplification attack (docs/relay.md, "Limits and abuse"),
 * against a real relay on 127.0.0.1 (bounded: FRAMES frames, one sender).
 *
 * One attacker device sends frames whose 60 KiB shared `body` is addressed
 * to every device of RECIPIENTS accounts with 8 devices each. Before the fix
 * the relay wrote the body once per addressed device; the script reports the
 * bytes sent, the database growth (file + WAL after a checkpoint), and how
 * many frames were answered `stored` or refused (by code).
 *
 *   npx tsx bench/abuse/disk-growth.ts            (FRAMES=60 RECIPIENTS=1)
 */
import { statSync } from 'node:fs';
import {
  accountWithDevice,
  createDevice,
  registerAccount,
  registerDevice,
  uniqueMessageId,
} from '../../edge/testing/client.ts';
import { RelayProcess } from '../../edge/testing/relay-process.ts';
import { WsTestClient } from '../../edge/testing/ws-client.ts';
import { sleep } from '../../shared/testing/wait.ts';
import type { SendFrame } from '../../shared/wire/frames.ts';

const FRAMES = Number(process.env.FRAMES ?? 60);
const RECIPIENTS = Number(process.env.RECIPIENTS ?? 1);
const DEVICES_PER_RECIPIENT = 8;
const BODY_BYTES = 60 * 1024;

function size(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function diskBytes(relay: RelayProcess): number {
  return size(relay.dbPath) + size(`${relay.dbPath}-wal`);
}

const mib = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

async function main(): Promise<void> {
  const relay = await RelayProcess.start({
    env: { WAL_CHECKPOINT_SECONDS: '1', RATE_LIMIT_FRAMES_PER_DEVICE: '1000/1' },
  });
  try {
    const attacker = await accountWithDevice(relay.http, 'attacker');
    const to: SendFrame['to'][number][] = [];
    for (let r = 0; r < RECIPIENTS; r++) {
      const account = await registerAccount(relay.http, `victim${r}`);
      const devices = [];
      for (let d = 0; d < DEVICES_PER_RECIPIENT; d++) {
        const device = await createDevice(account, { oneTimePreKeys: 1 });
        await registerDevice(relay.http, device);
        devices.push({ device: device.deviceId });
      }
      to.push({ user: account.userId, devices });
    }
    await sleep(2500); // let the checkpoint settle the registrations
    const before = diskBytes(relay);
    const socket = await WsTestClient.connect(relay.wsUrl, attacker);
    let sent = 0;
    for (let i = 0; i < FRAMES; i++) {
      const body = crypto.getRandomValues(new Uint8Array(BODY_BYTES));
      socket.send({ t: 'send', id: uniqueMessageId(), to, body });
      sent += BODY_BYTES;
      // One frame in flight at a time: each answer before the next send.
      const answered = () => socket.of('stored').length + socket.of('error').length;
      for (let w = 0; w < 200 && answered() < i + 1; w++) await sleep(10);
    }
    const errors = new Map<string, number>();
    for (const e of socket.of('error')) errors.set(e.code, (errors.get(e.code) ?? 0) + 1);
    socket.close();
    await sleep(2500); // a WAL checkpoint runs every second
    const after = diskBytes(relay);
    const report = {
      frames: FRAMES,
      copiesPerFrame: RECIPIENTS * DEVICES_PER_RECIPIENT,
      sentMiB: mib(sent),
      stored: socket.of('stored').length,
      refused: Object.fromEntries(errors),
      diskGrowthMiB: mib(after - before),
    };
    console.log(JSON.stringify(report));
  } finally {
    await relay.dispose();
  }
}

await main();

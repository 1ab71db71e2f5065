/**
 * Group fan-out: per-device pairwise copies against one shared Sender Keys
 * ciphertext fanned out by the relay, for a 256-member group with 2 devices
 * per member (511 recipient devices: 255 members x 2 + our other device).
 * Not a test nor a bench suite; run with `npx tsx bench/fanout/measure-fanout.ts`.
 *
 *   1. client CPU per group message, in-process with real crypto: pairwise =
 *      511 Double Ratchet encryptions (steady state, after a reply on every
 *      session) each followed by serialising the advanced session (what the
 *      client stores); shared = one Sender Keys encryption and signature;
 *      after a rotation the shared mode also sends the new sender key to 511
 *      devices over their pairwise sessions (once per rotation);
 *   2. bytes on the wire: the encoded `send` frame of each mode;
 *   3. time to `stored` on the REAL relay process (256 accounts x 2 devices
 *      seeded into its database), and the relay's CPU per send.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../edge/db/open.ts';
import { RelayProcess } from '../../edge/testing/relay-process.ts';
import { WsTestClient } from '../../edge/testing/ws-client.ts';
import type { Bytes } from '../../shared/bytes.ts';
import { encodeContent } from '../../shared/client/sessions/content.ts';
import { certifyDevice } from '../../shared/crypto/device-certificate.ts';
import {
  bundleFromKeySet,
  generateDeviceKeySet,
  preKeysOf,
} from '../../shared/crypto/device-key-set.ts';
import { signingKeyPairFromPrivate } from '../../shared/crypto/ed25519.ts';
import {
  encodeIdentity,
  generateIdentityKeyPair,
  type IdentityKeyPair,
} from '../../shared/crypto/identity.ts';
import { memoryPreKeyLookup } from '../../shared/crypto/prekey-lookup.ts';
import { systemRandom } from '../../shared/crypto/random.ts';
import {
  createDistributionMessage,
  createSenderKey,
} from '../../shared/crypto/sender-key-chain.ts';
import { encryptGroupMessage } from '../../shared/crypto/sender-keys.ts';
import {
  acceptIncomingSession,
  createOutgoingSession,
  decryptMessage,
  encryptMessage,
  type Session,
  serializeSession,
} from '../../shared/crypto/session.ts';
import { encodeClientFrame } from '../../shared/wire/codec.ts';
import type { SendFrame } from '../../shared/wire/frames.ts';

const MEMBERS = 256;
const DEVICES = 2;
const RECIPIENTS = (MEMBERS - 1) * DEVICES + (DEVICES - 1);
const ROUNDS = 7;
const deps = { random: systemRandom, now: () => Date.now() };
const text = 'See you at the station at seven, the train leaves at 19:12 from platform 4.';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function timed(run: () => Promise<void>): Promise<{ cpu: number; wall: number }> {
  const cpu0 = cpuMs();
  const wall0 = performance.now();
  await run();
  return { cpu: cpuMs() - cpu0, wall: performance.now() - wall0 };
}

interface Target {
  readonly user: string;
  readonly device: number;
}

async function main(): Promise<void> {
  const users = Array.from({ length: MEMBERS }, () => randomUUID());
  const own = users[0] as string;
  const targets: Target[] = [{ user: own, device: 2 }];
  for (const user of users.slice(1)) {
    for (let d = 1; d <= DEVICES; d++) targets.push({ user, device: d });
  }
  const group = systemRandom(16);
  const sender = await generateIdentityKeyPair(true);
  /** The same group text as a Sender Keys message carries it (`seq`) or a pairwise copy does. */
  const groupText = (seq?: number) =>
    encodeContent({
      v: 1,
      t: 'text',
      id: systemRandom(16),
      to: { g: group },
      sentAt: Date.now(),
      text,
      fh: 'alice',
      ...(seq === undefined ? {} : { seq }),
    });
  const groupContent = groupText(41);
  const directContent = groupText();

  console.error(`setting up ${RECIPIENTS} pairwise sessions (steady state)...`);
  const sessions: Session[] = [];
  for (const _ of targets) {
    const keys = await generateDeviceKeySet(deps, { oneTimePreKeyCount: 1 });
    let session = await createOutgoingSession(
      deps,
      sender,
      bundleFromKeySet(keys, { oneTimePreKeyIndex: 0 }),
    );
    const first = await encryptMessage(deps, session, directContent);
    session = first.session;
    const accepted = await acceptIncomingSession(
      deps,
      keys.identity,
      memoryPreKeyLookup(preKeysOf(keys)),
      first.ciphertext,
    );
    const reply = await encryptMessage(deps, accepted.session, directContent);
    session = (await decryptMessage(deps, session, reply.ciphertext)).session;
    sessions.push(session);
  }

  // 1. Client CPU per group message.
  /** ROUNDS timed runs of encrypting `content` to every member's session (stored, as the outbox does). */
  async function pairwiseRounds(content: Uint8Array) {
    const runs: Array<{ cpu: number; wall: number }> = [];
    let bodies: Uint8Array[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round: Uint8Array[] = [];
      runs.push(
        await timed(async () => {
          for (let i = 0; i < sessions.length; i++) {
            const out = await encryptMessage(deps, sessions[i] as Session, content);
            sessions[i] = out.session;
            await serializeSession(out.session);
            round.push(out.ciphertext);
          }
        }),
      );
      bodies = round;
    }
    return { runs, bodies };
  }
  const { runs: pairwiseRuns, bodies: pairwiseBodies } = await pairwiseRounds(directContent);
  let senderKey = await createSenderKey(deps, group);
  const senderIdentity = encodeIdentity({
    dh: sender.dh.publicKey,
    signing: sender.signing.publicKey,
  });
  let sharedBody = new Uint8Array();
  const sharedRuns: Array<{ cpu: number; wall: number }> = [];
  for (let r = 0; r < ROUNDS; r++) {
    sharedRuns.push(
      await timed(async () => {
        for (let k = 0; k < 100; k++) {
          const out = await encryptGroupMessage(senderKey, groupContent, senderIdentity);
          senderKey = out.state;
          sharedBody = out.message;
        }
      }),
    );
  }
  const keyContent = encodeContent({
    v: 1,
    t: 'sender-key',
    g: group,
    dist: createDistributionMessage(senderKey),
    seq: 41,
  });
  const { runs: rotationRuns, bodies: distributionBodies } = await pairwiseRounds(keyContent);

  // 2. Bytes on the wire.
  const byUser = new Map<string, number[]>();
  for (const [i, t] of targets.entries()) byUser.set(t.user, [...(byUser.get(t.user) ?? []), i]);
  const frame = (body: (i: number) => Bytes | undefined, shared?: Bytes): SendFrame => ({
    t: 'send',
    id: systemRandom(16),
    to: [...byUser].map(([user, indexes]) => ({
      user,
      devices: indexes.map((i) => {
        const b = body(i);
        return b === undefined
          ? { device: (targets[i] as Target).device }
          : { device: (targets[i] as Target).device, body: b };
      }),
    })),
    ...(shared === undefined ? {} : { body: shared }),
  });
  const random = (n: number): Bytes => new Uint8Array(randomBytes(n));
  const pairwiseFrame = () => frame((i) => random(pairwiseBodies[i]?.length ?? 0));
  const sharedFrame = () => frame(() => undefined, random(sharedBody.length));
  const distributionFrame = () => frame((i) => random(distributionBodies[i]?.length ?? 0));
  const bytes = {
    pairwiseFrame: encodeClientFrame(pairwiseFrame()).length,
    sharedFrame: encodeClientFrame(sharedFrame()).length,
    distributionFrame: encodeClientFrame(distributionFrame()).length,
    pairwiseBody: pairwiseBodies[0]?.length ?? 0,
    sharedBody: sharedBody.length,
    distributionBody: distributionBodies[0]?.length ?? 0,
  };

  // 3. Time to stored on the real relay.
  console.error('seeding the relay database...');
  const relayDir = mkdtempSync(join(tmpdir(), 'parley-fanout-'));
  const dbPath = join(relayDir, 'relay.db');
  const senderDeviceSeed = randomBytes(32);
  const ownIdentity = await seed(dbPath, users, senderDeviceSeed);
  const relay = await RelayProcess.start({
    dbPath,
    env: {
      RATE_LIMIT_COPIES_PER_DEVICE: '10000000/60',
      RATE_LIMIT_FRAMES_PER_DEVICE: '100000/1',
      RATE_LIMIT_SEND_BYTES_PER_DEVICE: '1000000000000/60',
      RATE_LIMIT_SENDS_PER_RECIPIENT: '1000000000/60',
    },
  });
  const relayCpuMs = () => {
    const fields = readFileSync(`/proc/${relay.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  };
  const timings: Record<string, { storedMs: number; relayCpuMs: number }> = {};
  try {
    const deviceKey = await signingKeyPairFromPrivate(senderDeviceSeed, false);
    const socket = await WsTestClient.connect(relay.wsUrl, {
      account: { userId: own, identity: ownIdentity },
      deviceId: 1,
      deviceKey,
    } as unknown as Parameters<typeof WsTestClient.connect>[1]);
    const sends = 15;
    for (const [mode, make] of [
      ['shared', sharedFrame],
      ['pairwise', pairwiseFrame],
      ['shared', sharedFrame],
      ['pairwise', pairwiseFrame],
    ] as const) {
      const latencies: number[] = [];
      const cpu0 = relayCpuMs();
      for (let i = 0; i < sends; i++) {
        const f = make();
        const before = socket.of('stored').length;
        const t0 = performance.now();
        socket.send(f);
        await socket.waitFor('stored', before + 1, 60_000);
        latencies.push(performance.now() - t0);
      }
      // The second pass of each mode is kept (the first warms the relay up).
      timings[mode] = {
        storedMs: +median(latencies).toFixed(1),
        relayCpuMs: +((relayCpuMs() - cpu0) / sends).toFixed(1),
      };
    }
    socket.close();
  } finally {
    await relay.dispose();
    rmSync(relayDir, { recursive: true, force: true });
  }

  const per = (runs: Array<{ cpu: number; wall: number }>, n = 1) => ({
    cpuMs: +(median(runs.map((r) => r.cpu)) / n).toFixed(3),
    wallMs: +(median(runs.map((r) => r.wall)) / n).toFixed(3),
  });
  console.log(
    JSON.stringify(
      {
        recipients: RECIPIENTS,
        clientPerMessage: {
          pairwise: per(pairwiseRuns),
          shared: per(sharedRuns, 100),
          sharedAfterRotation: per(rotationRuns),
        },
        bytes,
        relay: timings,
      },
      null,
      2,
    ),
  );
}

/**
 * 256 accounts with 2 devices each, straight into a fresh relay database.
 * Returns the sending account's identity (it signs the socket's `unlock`).
 */
async function seed(
  path: string,
  users: readonly string[],
  senderSeed: Buffer,
): Promise<IdentityKeyPair> {
  const database = await openDatabase({ url: `file:${path}` });
  const now = Date.now();
  let senderIdentity: IdentityKeyPair | undefined;
  try {
    const statements = [];
    for (const [index, userId] of users.entries()) {
      const identity = await generateIdentityKeyPair(false);
      if (index === 0) senderIdentity = identity;
      statements.push({
        sql: `INSERT INTO accounts (id, handle, webauthn_user_id, identity_dh, identity_sig, identity_binding, created_at)
              VALUES (?, ?, ?, ?, ?, ?, ?)`,
        args: [
          userId,
          `fanout${index}`,
          userId,
          identity.dh.publicKey,
          identity.signing.publicKey,
          identity.binding,
          now,
        ],
      });
      for (let deviceId = 1; deviceId <= DEVICES; deviceId++) {
        const seedBytes = index === 0 && deviceId === 1 ? senderSeed : randomBytes(32);
        const deviceKey = await signingKeyPairFromPrivate(seedBytes, false);
        const certificate = await certifyDevice(identity, {
          userId,
          deviceId,
          deviceKey: deviceKey.publicKey,
          createdAt: now,
        });
        statements.push({
          sql: `INSERT INTO devices (account_id, device_id, device_key, certificate, certificate_created_at,
                  signed_prekey_id, signed_prekey, signed_prekey_sig, kem_prekey_id, kem_prekey, kem_prekey_sig, created_at)
                VALUES (?, ?, ?, ?, ?, 1, ?, ?, 1, ?, ?, ?)`,
          args: [
            userId,
            deviceId,
            deviceKey.publicKey,
            certificate.signature,
            now,
            randomBytes(32),
            randomBytes(64),
            randomBytes(1184),
            randomBytes(64),
            now,
          ],
        });
      }
    }
    await database.client.batch(statements, 'write');
    await database.client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    database.close();
  }
  if (senderIdentity === undefined) throw new Error('no users to seed');
  return senderIdentity;
}

await main();

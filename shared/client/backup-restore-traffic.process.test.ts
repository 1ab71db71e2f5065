/**
 * Restoring a backup while messages keep arriving, against the REAL relay
 * process (docs/protocol.md "Restoring on a new device", what a restore
 * guarantees for messages arriving during it): bob (1:1 and in a group) and
 * carol (in the group) send alice a steady stream that starts before the
 * backup is taken and ends after the restored device is running. On the
 * restored device nothing is shown twice; everything the snapshot holds and
 * everything sent after the device was listed is there; what was sent in
 * between is there once or not at all (the documented limit), and all of it
 * is on the old device when the restore keeps it. Run once keeping the old
 * device and once removing it ("I lost my device") while the streams go on.
 */
import { describe, expect, it } from 'vitest';
import { formatRecoveryKey } from '../backup/recovery-key.ts';
import { sleep, waitFor } from '../testing/wait.ts';
import { loginWithPasskey } from './account/account.ts';
import type { FetchLike } from './backup/backup-relay.ts';
import { createBackups } from './backup/backups.ts';
import { clientArchiveAccess } from './backup/client-archive-access.ts';
import { type RestoringClient, restoreIntoNewDevice } from './backup/restore-new-device.ts';
import { createClient, type ParleyClient } from './client.ts';
import { RelayApi } from './relay/relay-api.ts';
import {
  nodeClientDeps,
  nodeFetch,
  nodeTimers,
  seenText,
  settle,
  TEST_ORIGIN,
  type TestUser,
  textsOf,
  uniqueText,
} from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

const plainFetch: FetchLike = (url, init) => fetch(url, init);

const relay = useRelayProcess({ handleSuffix: 'rt' });

const RK = formatRecoveryKey(crypto.getRandomValues(new Uint8Array(32)));

/** Pause between two messages of one stream. */
const INTERVAL_MS = 70;
/** Messages each stream still sends once the restored client has started. */
const TAIL = 8;
/** A bound on each stream, whatever the machine's speed. */
const MAX_PER_STREAM = 400;

/** Where the restore is, as the streams read it before each send. */
interface RestorePhase {
  backupStarted: boolean;
  listed: boolean;
  restored: boolean;
}

interface StreamedText {
  readonly text: string;
  /** Sent before the backup was started: the old device may hold it in the snapshot. */
  readonly beforeBackup: boolean;
  /** `sendText` was called only after the restored device was listed. */
  readonly afterListed: boolean;
}

/** Texts a restore step waits to see sent before it goes on (each stream). */
const WHILE_IMPORTING = 2;

/**
 * Sends `sender`'s texts to `conversationId` one after the other, each
 * recorded in `sent` (a live array) as it goes out, until the restored client
 * has started and TAIL more are out.
 */
async function stream(
  sender: TestUser,
  conversationId: string,
  label: string,
  phase: RestorePhase,
  sent: StreamedText[],
): Promise<StreamedText[]> {
  let tail = 0;
  while (tail < TAIL && sent.length < MAX_PER_STREAM) {
    const { backupStarted, listed, restored } = phase;
    const text = uniqueText(`${label} ${sent.length}`);
    await sender.client.sendText({ conversationId, text });
    sent.push({ text, beforeBackup: !backupStarted, afterListed: listed });
    if (restored) tail++;
    await sleep(INTERVAL_MS);
  }
  return sent;
}

async function backUp(owner: TestUser): Promise<void> {
  const signing = (await owner.client.exportIdentity()).sigPublic;
  const backups = createBackups({
    accountId: owner.userId,
    relayUrl: relay.url,
    fetch: plainFetch,
    now: () => Date.now(),
    archive: clientArchiveAccess(owner.client.archive, signing),
  });
  await backups.createBackup({ recoveryKey: RK });
}

/**
 * The restoring client, seen through the one step the restore takes that
 * decides what reaches the new device: the relay accepting the signed list
 * that names it.
 */
function watchListing(client: ParleyClient, onListed: () => Promise<void>): RestoringClient {
  return {
    account: () => client.account(),
    joinAccount: (input) => client.joinAccount(input),
    archive: client.archive,
    start: () => client.start(),
    removeOtherDevices: () => client.removeOtherDevices(),
    signedDeviceList: {
      ...client.signedDeviceList,
      async ensureSelfListed() {
        const list = await client.signedDeviceList.ensureSelfListed();
        await onListed();
        return list;
      },
    },
  };
}

async function restore(
  owner: TestUser,
  phase: RestorePhase,
  streams: readonly (readonly StreamedText[])[],
  removeOthers: boolean,
): Promise<TestUser> {
  const api = new RelayApi({
    baseUrl: relay.url,
    fetch: nodeFetch,
    now: Date.now,
    timers: nodeTimers,
    origin: TEST_ORIGIN,
  });
  const session = await loginWithPasskey(api, owner.handle, owner.authenticator);
  const deps = nodeClientDeps();
  const client = relay.track(createClient(deps));
  const result = await restoreIntoNewDevice(
    // Listed, not yet imported nor started: the restore goes on once every
    // stream has sent a few more, so texts are queued for the new device
    // before it imports the snapshot (as on a slow machine).
    watchListing(client, async () => {
      phase.listed = true;
      await waitFor(
        () => streams.every((s) => s.filter((t) => t.afterListed).length >= WHILE_IMPORTING),
        'texts sent while the restore imports',
      );
    }),
    { fetch: plainFetch, now: () => Date.now() },
    { recoveryKey: RK, session, relayUrl: relay.url, deviceName: 'restored', removeOthers },
  );
  phase.restored = true;
  return { ...owner, client, storage: deps.storage, deviceId: result.account.deviceId };
}

/** How often each of `texts` is among `client`'s texts in `conversationId`. */
async function countsOf(
  client: ParleyClient,
  conversationId: string,
  texts: readonly StreamedText[],
): Promise<Map<string, number>> {
  const held = await textsOf(client, conversationId);
  return new Map(texts.map((t) => [t.text, held.filter((h) => h === t.text).length]));
}

describe('restoring while messages keep arriving (real relay)', () => {
  it.each([
    { removeOthers: false, old: 'the kept old device has all' },
    { removeOthers: true, old: 'the old device removed meanwhile' },
  ])(
    'nothing shown twice; the snapshot and everything sent after listing are on the restored device; $old',
    async ({ removeOthers }) => {
      const alice = await relay.newUser('alice');
      const bob = await relay.newUser('bob');
      const carol = await relay.newUser('carol');
      const chat = (await alice.client.startConversation(bob.handle)).id;
      const bobChat = `u:${alice.userId}`;
      const hello = uniqueText('hello bob');
      await alice.client.sendText({ conversationId: chat, text: hello });
      await seenText(bob.client, bobChat, hello);
      await bob.client.acceptRequest(alice.userId);
      const group = await alice.client.createGroup({
        name: 'Trio',
        members: [bob.handle, carol.handle],
      });
      const toGroup = uniqueText('hello group');
      await alice.client.sendText({ conversationId: group, text: toGroup });
      await seenText(bob.client, group, toGroup);
      await seenText(carol.client, group, toGroup);
      await settle(alice, bob, carol);

      const phase: RestorePhase = { backupStarted: false, listed: false, restored: false };
      const started = Date.now();
      const live: [StreamedText[], StreamedText[], StreamedText[]] = [[], [], []];
      const streams = Promise.all([
        stream(bob, bobChat, 'bob 1:1', phase, live[0]),
        stream(bob, group, 'bob group', phase, live[1]),
        stream(carol, group, 'carol group', phase, live[2]),
      ]);
      // A few of each stream are on the old device before the backup is taken.
      const [bobLive, bobGroupLive, carolLive] = live;
      await waitFor(async () => {
        const held = [
          ...(await textsOf(alice.client, chat)),
          ...(await textsOf(alice.client, group)),
        ];
        return [bobLive, bobGroupLive, carolLive].every(
          (sent) => sent.filter((t) => held.includes(t.text)).length >= 3,
        );
      }, 'the first streamed texts on the old device');
      phase.backupStarted = true;
      const heldAtBackup = {
        chat: await textsOf(alice.client, chat),
        group: await textsOf(alice.client, group),
      };
      await backUp(alice);
      const backedUp = Date.now();
      const restored = await restore(alice, phase, live, removeOthers);
      const restoredAt = Date.now();
      const [bobTexts, bobGroupTexts, carolTexts] = await streams;
      const groupTexts = [...bobGroupTexts, ...carolTexts];
      const ended = Date.now();

      // The streams ran across the whole restore: some texts before the backup,
      // some between the backup and the listing, some after.
      for (const sent of [bobTexts, bobGroupTexts, carolTexts]) {
        expect(sent.some((t) => t.beforeBackup)).toBe(true);
        expect(sent.some((t) => !t.beforeBackup && !t.afterListed)).toBe(true);
        expect(sent.filter((t) => t.afterListed).length).toBeGreaterThanOrEqual(
          TAIL + WHILE_IMPORTING,
        );
      }

      // The old device, when kept (removeOthers false), has every streamed text once.
      const all = [...bobTexts, ...groupTexts];
      if (!removeOthers)
        await waitFor(
          async () =>
            (await textsOf(alice.client, chat)).length >= bobTexts.length + 1 &&
            (await textsOf(alice.client, group)).length >= groupTexts.length + 1,
          'every streamed text on the old device',
        );
      // The new device receives every text whose send began after the relay
      // accepted the list naming it. That boundary is the relay's, not a
      // client's view: once an account has a signed list the relay routes
      // exactly the listed devices and answers a send that leaves a routed
      // device out with `mismatch`, storing nothing, so the sender readdresses
      // it (docs/protocol.md, "Own devices in every send", "Device list"). A
      // send that began earlier may have been stored for the old devices only.
      const mustArrive = (texts: readonly StreamedText[]) => texts.filter((t) => t.afterListed);
      let missing: string[] = [];
      await waitFor(
        async () => {
          const chatCounts = await countsOf(restored.client, chat, mustArrive(bobTexts));
          const groupCounts = await countsOf(restored.client, group, mustArrive(groupTexts));
          missing = [...chatCounts, ...groupCounts].filter(([, n]) => n === 0).map(([t]) => t);
          return missing.length === 0;
        },
        () => `every text sent after the listing on the restored device (missing: ${missing})`,
      );
      await settle(restored, alice, bob, carol);

      if (!removeOthers) {
        const oldChat = await countsOf(alice.client, chat, bobTexts);
        const oldGroup = await countsOf(alice.client, group, groupTexts);
        for (const t of all)
          expect(oldChat.get(t.text) ?? oldGroup.get(t.text), `old device: ${t.text}`).toBe(1);
      } else {
        expect((await restored.client.listDevices()).map((d) => d.id)).toEqual([restored.deviceId]);
      }

      const newChat = await countsOf(restored.client, chat, bobTexts);
      const newGroup = await countsOf(restored.client, group, groupTexts);
      for (const t of bobTexts) {
        const n = newChat.get(t.text);
        if (t.afterListed || heldAtBackup.chat.includes(t.text))
          expect(n, `restored 1:1: ${t.text}`).toBe(1);
        else expect(n, `restored 1:1: ${t.text}`).toBeLessThanOrEqual(1);
      }
      for (const t of groupTexts) {
        const n = newGroup.get(t.text);
        if (t.afterListed || heldAtBackup.group.includes(t.text))
          expect(n, `restored group: ${t.text}`).toBe(1);
        else expect(n, `restored group: ${t.text}`).toBeLessThanOrEqual(1);
      }
      // Nothing at all shown twice on the restored device, the snapshot's own texts included.
      for (const conversation of [chat, group]) {
        const held = await textsOf(restored.client, conversation);
        expect(held.length).toBe(new Set(held).size);
      }
      expect(await textsOf(restored.client, chat)).toContain(hello);
      expect(await textsOf(restored.client, group)).toContain(toGroup);

      // After the stream, bob and the restored alice still chat both ways.
      const fromRestored = uniqueText('from the restored device');
      await restored.client.sendText({ conversationId: chat, text: fromRestored });
      await seenText(bob.client, bobChat, fromRestored);
      const toRestored = uniqueText('bob after the stream');
      await bob.client.sendText({ conversationId: bobChat, text: toRestored });
      await seenText(restored.client, chat, toRestored);
      const groupFromRestored = uniqueText('group from the restored device');
      await restored.client.sendText({ conversationId: group, text: groupFromRestored });
      await seenText(bob.client, group, groupFromRestored);
      await seenText(carol.client, group, groupFromRestored);

      const gap = all.filter((t) => !t.beforeBackup && !t.afterListed);
      const gapOnRestored = gap.filter(
        (t) => (newChat.get(t.text) ?? 0) + (newGroup.get(t.text) ?? 0) === 1,
      );
      console.info(
        `restore under traffic (removeOthers ${removeOthers}): ${all.length} texts; backup ${backedUp - started} ms after the stream began, ` +
          `restore ${restoredAt - backedUp} ms, stream ended ${ended - restoredAt} ms later; ` +
          `${gapOnRestored.length}/${gap.length} texts sent between backup and listing reached the restored device`,
      );
    },
  );
});

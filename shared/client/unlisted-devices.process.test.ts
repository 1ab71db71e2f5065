/**
 * Devices the relay registered but the signed device list never named (a
 * link abandoned after the payload: such a device holds the identity key and
 * a device key the relay accepts) go with "remove all other devices" and with
 * "Remove and reset identity" (docs/protocol.md, "Device list"), through the
 * REAL relay process: afterwards the abandoned device's requests are refused.
 */
import { describe, expect, it } from 'vitest';
import { formatRecoveryKey } from '../backup/recovery-key.ts';
import { errorOf } from '../testing/errors.ts';
import { createBackups } from './backup/backups.ts';
import { clientArchiveAccess } from './backup/client-archive-access.ts';
import { restoreIntoNewDevice } from './backup/restore-new-device.ts';
import { createClient, type ParleyClient } from './client.ts';
import { nodeClientDeps, type TestUser } from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

const relay = useRelayProcess({ handleSuffix: 'ul' });

/** A device registered with the account's identity and never listed (nor started). */
async function abandonedDevice(owner: TestUser): Promise<{ client: ParleyClient; id: number }> {
  const client = createClient(nodeClientDeps());
  const info = await client.joinAccount({
    relayUrl: relay.url,
    session: await owner.client.login(owner.authenticator),
    identity: await owner.client.exportIdentity(),
    deviceName: 'abandoned link',
  });
  // The relay accepts it: its signed requests work.
  await client.listDevices();
  return { client, id: info.deviceId };
}

async function refused(client: ParleyClient): Promise<void> {
  const error = await errorOf(() => client.listDevices());
  expect(error.code).toBe('AUTH_FAILED');
}

describe('registered but never listed devices (real relay)', () => {
  it('removeOtherDevices removes the listed devices and the never-listed ones', async () => {
    const alice = await relay.newUser('alice');
    const listed = await relay.linkDevice(alice);
    const abandoned = await abandonedDevice(alice);
    const removed = await alice.client.removeOtherDevices();
    expect([...removed].sort()).toEqual([listed.deviceId, abandoned.id].sort());
    await refused(abandoned.client);
    await refused(listed.client);
    expect((await alice.client.listDevices()).map((d) => d.id)).toEqual([alice.deviceId]);
  });

  it('restoring a backup with removeOthers removes a never-listed device too', async () => {
    const alice = await relay.newUser('alice');
    const recoveryKey = formatRecoveryKey(crypto.getRandomValues(new Uint8Array(32)));
    const signing = (await alice.client.exportIdentity()).sigPublic;
    await createBackups({
      accountId: alice.userId,
      relayUrl: relay.url,
      fetch: (url, init) => fetch(url, init),
      now: () => Date.now(),
      archive: clientArchiveAccess(alice.client.archive, signing),
    }).createBackup({ recoveryKey });
    const abandoned = await abandonedDevice(alice);
    const client = relay.track(createClient(nodeClientDeps()));
    const result = await restoreIntoNewDevice(
      client,
      { fetch: (url, init) => fetch(url, init), now: () => Date.now() },
      {
        recoveryKey,
        session: await alice.client.login(alice.authenticator),
        relayUrl: relay.url,
        deviceName: 'restored',
        removeOthers: true,
      },
    );
    expect([...result.removed].sort()).toEqual([alice.deviceId, abandoned.id].sort());
    await refused(abandoned.client);
  });

  it('"Remove and reset identity" removes a never-listed device too', async () => {
    const alice = await relay.newUser('alice');
    const abandoned = await abandonedDevice(alice);
    await alice.client.resetIdentity({ session: await alice.client.login(alice.authenticator) });
    await refused(abandoned.client);
    expect((await alice.client.listDevices()).map((d) => d.current)).toEqual([true]);
  });
});

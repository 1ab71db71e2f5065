/**
 * Issue 11 item 7, against the REAL relay (a Deno process with its own libSQL
 * file): the device key is kept outside the extension's vault (so a locked
 * browser stays connected) and Chromium writes it to the profile in a usable
 * form. Someone holding only that key may connect, receive and ack, but may
 * not remove the account's devices, change its block list or upload prekeys:
 * those need the identity key, which lives inside the vault.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../shared/bytes.ts';
import {
  accountWithDevice,
  createDevice,
  deviceRequest,
  expectJson,
  managementRequest,
  registerDevice,
  type TestDevice,
  uniqueMessageId,
} from '../testing/client.ts';
import { RelayProcess } from '../testing/relay-process.ts';
import { WsTestClient } from '../testing/ws-client.ts';

type ErrorBody = { error: { code: string } };

describe('relay process: what the device key alone can do', () => {
  let relay: RelayProcess;
  let alice: TestDevice;
  let bob: TestDevice;
  let bobLaptop: TestDevice;

  beforeAll(async () => {
    relay = await RelayProcess.start();
    alice = await accountWithDevice(relay.http, 'alice', { oneTimePreKeys: 2 });
    bob = await accountWithDevice(relay.http, 'bob', { oneTimePreKeys: 2 });
    bobLaptop = await createDevice(bob.account, { oneTimePreKeys: 2 });
    await registerDevice(relay.http, bobLaptop);
  });

  afterAll(async () => {
    await relay.dispose();
  });

  async function bobsDevices(): Promise<number[]> {
    const list = await expectJson<{ devices: { id: number }[] }>(
      await deviceRequest(relay.http, alice, 'GET', `/v1/users/${bob.account.userId}/devices`),
      200,
    );
    return list.devices.map((d) => d.id).sort((a, b) => a - b);
  }

  async function bobsBlocks(): Promise<string[]> {
    const list = await expectJson<{ users: string[] }>(
      await deviceRequest(relay.http, bob, 'GET', '/v1/blocks'),
      200,
    );
    return list.users;
  }

  async function bobsOneTimePreKeys(): Promise<number> {
    const status = await expectJson<{ oneTimePreKeys: number }>(
      await deviceRequest(relay.http, bob, 'GET', '/v1/prekeys'),
      200,
    );
    return status.oneTimePreKeys;
  }

  it('still connects, receives and acks with the device key', async () => {
    const socket = await WsTestClient.connect(relay.wsUrl, bob);
    const sender = await WsTestClient.connect(relay.wsUrl, alice);
    sender.send({
      t: 'send',
      id: uniqueMessageId(),
      to: [
        {
          user: bob.account.userId,
          devices: [
            { device: bob.deviceId, body: new Uint8Array([1, 2, 3]) },
            { device: bobLaptop.deviceId, body: new Uint8Array([4, 5, 6]) },
          ],
        },
      ],
    });
    const [delivered] = await socket.waitFor('deliver');
    expect(delivered?.qid).toBeTypeOf('number');
    socket.send({ t: 'ack', qids: [delivered?.qid as number] });
    socket.close();
    sender.close();
  });

  it('cannot remove another device of the account', async () => {
    const before = await bobsDevices();
    const refused = await expectJson<ErrorBody>(
      await deviceRequest(relay.http, bob, 'DELETE', `/v1/devices/${bobLaptop.deviceId}`),
      403,
    );
    expect(refused.error.code).toBe('MANAGEMENT_KEY_REQUIRED');
    expect(await bobsDevices()).toEqual(before);
  });

  it('cannot block or unblock anyone', async () => {
    const block = await expectJson<ErrorBody>(
      await deviceRequest(relay.http, bob, 'PUT', `/v1/blocks/${alice.account.userId}`),
      403,
    );
    expect(block.error.code).toBe('MANAGEMENT_KEY_REQUIRED');
    expect(await bobsBlocks()).toEqual([]);
    expect(
      (await managementRequest(relay.http, bob, 'PUT', `/v1/blocks/${alice.account.userId}`))
        .status,
    ).toBe(204);
    const unblock = await expectJson<ErrorBody>(
      await deviceRequest(relay.http, bob, 'DELETE', `/v1/blocks/${alice.account.userId}`),
      403,
    );
    expect(unblock.error.code).toBe('MANAGEMENT_KEY_REQUIRED');
    expect(await bobsBlocks()).toEqual([alice.account.userId]);
  });

  it('cannot upload prekeys', async () => {
    const before = await bobsOneTimePreKeys();
    const spare = await createDevice(bob.account, { oneTimePreKeys: 3 });
    const upload = {
      oneTimePreKeys: spare.keys.oneTimePreKeys.map((k) => ({
        id: 9000 + k.id,
        publicKey: toBase64Url(k.keyPair.publicKey),
      })),
    };
    const refused = await expectJson<ErrorBody>(
      await deviceRequest(relay.http, bob, 'PUT', '/v1/prekeys', upload),
      403,
    );
    expect(refused.error.code).toBe('MANAGEMENT_KEY_REQUIRED');
    expect(await bobsOneTimePreKeys()).toBe(before);
    // With the identity key the same upload goes through.
    expect((await managementRequest(relay.http, bob, 'PUT', '/v1/prekeys', upload)).status).toBe(
      200,
    );
    expect(await bobsOneTimePreKeys()).toBe(before + 3);
  });

  it('removes a device with the identity key', async () => {
    expect(
      (await managementRequest(relay.http, bob, 'DELETE', `/v1/devices/${bobLaptop.deviceId}`))
        .status,
    ).toBe(204);
    expect(await bobsDevices()).toEqual([bob.deviceId]);
  });
});

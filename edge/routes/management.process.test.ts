/**
 * Against the REAL relay (a Deno process with its own libSQL file): the
 * device key is kept outside the extension's vault (so a locked browser stays
 * connected) and Chromium writes it to the profile in a usable form. Someone
 * holding only that key may connect, receive and ack, but may not send on the
 * socket, remove the account's devices, change its block list or upload
 * prekeys: those need the identity key, which lives inside the vault
 * (docs/wire.md, "Rights").
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url, toHex } from '../../shared/bytes.ts';
import { useRelayProcess } from '../../shared/client/testing/relay-fixture.ts';
import type { SendFrame } from '../../shared/wire/frames.ts';
import {
  accountWithDevice,
  createDevice,
  deviceRequest,
  expectJson,
  managementRequest,
  registerDevice,
  type TestDevice,
  uniqueMessageId,
  unlockFrameFor,
} from '../testing/client.ts';
import { WsTestClient } from '../testing/ws-client.ts';

type ErrorBody = { error: { code: string } };

describe('relay process: what the device key alone can do', () => {
  const relay = useRelayProcess();
  let alice: TestDevice;
  let bob: TestDevice;
  let bobLaptop: TestDevice;

  beforeAll(async () => {
    alice = await accountWithDevice(relay.http, 'alice', { oneTimePreKeys: 2 });
    bob = await accountWithDevice(relay.http, 'bob', { oneTimePreKeys: 2 });
    bobLaptop = await createDevice(bob.account, { oneTimePreKeys: 2 });
    await registerDevice(relay.http, bobLaptop);
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
    const socket = await WsTestClient.connect(relay.process.wsUrl, bob, { unlock: false });
    const sender = await WsTestClient.connect(relay.process.wsUrl, alice);
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

  function textTo(to: TestDevice, extra: Partial<SendFrame> = {}): SendFrame {
    return {
      t: 'send',
      id: uniqueMessageId(),
      to: [
        { user: to.account.userId, devices: [{ device: to.deviceId, body: new Uint8Array(9) }] },
      ],
      ...extra,
    };
  }

  it('cannot send on the socket: SEND_NOT_ALLOWED for messages and typing, nothing reaches the recipient; the identity key lifts it', async () => {
    const recipient = await WsTestClient.connect(relay.process.wsUrl, alice);
    await recipient.waitFor('drained');
    const locked = await WsTestClient.connect(relay.process.wsUrl, bob, { unlock: false });
    const message = textTo(alice);
    const typing = textTo(alice, { transient: true });
    locked.send(message);
    locked.send(typing);
    const refused = await locked.waitFor('error', 2);
    expect(refused.map((e) => [e.code, toHex(e.ref ?? new Uint8Array())])).toEqual([
      ['SEND_NOT_ALLOWED', toHex(message.id)],
      ['SEND_NOT_ALLOWED', toHex(typing.id)],
    ]);
    expect(locked.of('stored')).toHaveLength(0);
    // Nothing was stored for alice, and her open socket got nothing live either.
    const later = await WsTestClient.connect(relay.process.wsUrl, alice);
    expect(later.of('ready')[0]?.queued).toBe(0);
    await recipient.waitClosed(); // replaced by `later`
    expect(recipient.of('deliver')).toHaveLength(0);
    // The same socket, proven unlocked with the identity key: the same frames now go through.
    locked.send(await unlockFrameFor(bob, locked.nonce));
    locked.send(message);
    expect((await locked.waitFor('stored'))[0]?.id).toEqual(message.id);
    const [delivered] = await later.waitFor('deliver');
    expect(delivered?.id).toEqual(message.id);
    locked.send(typing);
    await locked.waitFor('stored', 2);
    await later.waitFor('deliver', 2);
    expect(locked.of('error')).toHaveLength(2);
    locked.close();
    later.close();
  });

  it("refuses an unlock proof made for another socket's challenge, by another identity or by the device key", async () => {
    const socket = await WsTestClient.connect(relay.process.wsUrl, bob, { unlock: false });
    const other = await WsTestClient.open(relay.process.wsUrl);
    const replayed = await unlockFrameFor(bob, other.nonce); // a proof seen on another socket
    const foreign = await unlockFrameFor(bob, socket.nonce, alice.account.identity);
    const byDeviceKey = await unlockFrameFor(bob, socket.nonce, {
      ...bob.account.identity,
      signing: bob.deviceKey,
    });
    for (const proof of [replayed, foreign, byDeviceKey]) socket.send(proof);
    const errors = await socket.waitFor('error', 3);
    expect(errors.map((e) => e.code)).toEqual(['AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED']);
    const message = textTo(alice);
    socket.send(message);
    expect((await socket.waitFor('error', 4))[3]?.code).toBe('SEND_NOT_ALLOWED');
    expect(socket.state).toBe('open');
    const audited = relay.process.output.filter(
      (l) => l.includes('audit.auth_rejected') && l.includes('ws-unlock'),
    );
    expect(audited).toHaveLength(3);
    other.close();
    socket.close();
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

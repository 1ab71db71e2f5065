/**
 * The handshake's decisions and the session bring-up, with an in-memory
 * device directory and fan-out (no socket, no database).
 */
import { describe, expect, it } from 'vitest';
import type { Bytes } from '../../shared/bytes.ts';
import { generateSigningKeyPair } from '../../shared/crypto/ed25519.ts';
import { createAuthFrame, createUnlockFrame } from '../../shared/wire/device-auth.ts';
import type { Attachment, DeviceAddress, Fanout, FanoutListener } from '../fanout/fanout.ts';
import type { DeviceDirectory } from './context.ts';
import { Challenge, openSession, verifyHandshake, verifyUnlock } from './handshake.ts';

const USER = '0b5f3a2e-9c1d-4e8f-a7b6-5d4c3b2a1f00';
const DEVICE: DeviceAddress = { accountId: USER, deviceId: 3 };

function directory(
  keys: Map<string, Bytes>,
  exists = true,
  identities = new Map<string, Bytes>(),
): DeviceDirectory {
  return {
    deviceKey: async (a, d) => keys.get(`${a}/${d}`),
    managementKey: async (a, d) => (keys.has(`${a}/${d}`) ? identities.get(a) : undefined),
    prekeyCounts: async () => ({ oneTimePreKeys: 42, oneTimeKemPreKeys: 7 }),
    touch: async () => exists,
  };
}

function fanout(log: string[]): Pick<Fanout, 'attach'> {
  return {
    attach: async (device, connectionId, _listener: FanoutListener): Promise<Attachment> => {
      log.push(`attach ${device.deviceId} ${connectionId}`);
      return {
        detach: async () => {
          log.push('detach');
        },
      };
    },
  };
}

describe('handshake', () => {
  it('accepts the device key over the nonce once; a second answer, another key or device is refused', async () => {
    const key = await generateSigningKeyPair(false);
    const keys = new Map([[`${USER}/3`, key.publicKey]]);
    const nonce = new Uint8Array(32).fill(5);
    const frame = await createAuthFrame(key.privateKey, nonce, USER, 3);
    const challenge = new Challenge(nonce);
    expect(await verifyHandshake(directory(keys), challenge, frame)).toEqual({
      ok: true,
      device: DEVICE,
    });
    const again = await verifyHandshake(directory(keys), challenge, frame);
    expect(again.ok === false && again.reason).toBe('challenge');

    const other = await generateSigningKeyPair(false);
    const forged = await createAuthFrame(other.privateKey, nonce, USER, 3);
    const bad = await verifyHandshake(directory(keys), new Challenge(nonce), forged);
    expect(bad.ok === false && [bad.reason, bad.error.code]).toEqual(['signature', 'AUTH_FAILED']);

    const unknownFrame = await createAuthFrame(key.privateKey, nonce, USER, 4);
    const unknown = await verifyHandshake(directory(keys), new Challenge(nonce), unknownFrame);
    expect(unknown.ok === false && unknown.reason).toBe('unknown-device');
  });

  it('brings a session up: attached, counted, seen', async () => {
    const log: string[] = [];
    const deps = {
      devices: directory(new Map()),
      fanout: fanout(log) as Fanout,
      messages: { countPending: async () => 7 },
    };
    const session = await openSession(
      deps,
      DEVICE,
      'c1',
      () => {},
      () => true,
    );
    expect(session).toMatchObject({ queued: 7, oneTimePreKeys: 42, exists: true });
    expect(log).toEqual(['attach 3 c1']);
  });

  it('releases the attachment when the socket closed while attaching', async () => {
    const log: string[] = [];
    const deps = {
      devices: directory(new Map()),
      fanout: fanout(log) as Fanout,
      messages: { countPending: async () => 0 },
    };
    expect(
      await openSession(
        deps,
        DEVICE,
        'c2',
        () => {},
        () => false,
      ),
    ).toBeUndefined();
    expect(log).toEqual(['attach 3 c2', 'detach']);
  });

  it('reports a device removed before the attachment took effect', async () => {
    const deps = {
      devices: directory(new Map(), false),
      fanout: fanout([]) as Fanout,
      messages: { countPending: async () => 0 },
    };
    expect(
      (
        await openSession(
          deps,
          DEVICE,
          'c3',
          () => {},
          () => true,
        )
      )?.exists,
    ).toBe(false);
  });

  it("accepts the identity key's unlock proof over this socket's nonce only, also after auth took it", async () => {
    const deviceKey = await generateSigningKeyPair(false);
    const identity = await generateSigningKeyPair(false);
    const devices = directory(
      new Map([[`${USER}/3`, deviceKey.publicKey]]),
      true,
      new Map([[USER, identity.publicKey]]),
    );
    const nonce = new Uint8Array(32).fill(6);
    const challenge = new Challenge(nonce);
    const auth = await createAuthFrame(deviceKey.privateKey, nonce, USER, 3);
    expect((await verifyHandshake(devices, challenge, auth)).ok).toBe(true);
    const proof = await createUnlockFrame(identity.privateKey, nonce, USER, 3);
    expect(await verifyUnlock(devices, challenge, DEVICE, proof)).toEqual({
      ok: true,
      device: DEVICE,
    });

    const otherSocket = new Challenge(new Uint8Array(32).fill(7));
    const replayed = await verifyUnlock(devices, otherSocket, DEVICE, proof);
    expect(replayed.ok === false && replayed.reason).toBe('signature');
    const byDeviceKey = await createUnlockFrame(deviceKey.privateKey, nonce, USER, 3);
    const wrongKey = await verifyUnlock(devices, challenge, DEVICE, byDeviceKey);
    expect(wrongKey.ok === false && [wrongKey.reason, wrongKey.error.code]).toEqual([
      'signature',
      'AUTH_FAILED',
    ]);
    const removed = await verifyUnlock(devices, challenge, { ...DEVICE, deviceId: 4 }, proof);
    expect(removed.ok === false && removed.reason).toBe('unknown-device');
  });
});

/**
 * Device-signed requests against the real relay process: the signature check
 * (device-signed, and identity-signed for management routes) reads the body without touching `request.signal`, so Deno never prints its
 * "request.signal aborts on successful responses (legacy behavior)" warning
 * (it did on a new user's first contact lookup), and the handler still gets the
 * body the signature covered.
 */
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../shared/bytes.ts';
import { useRelayProcess } from '../../shared/client/testing/relay-fixture.ts';
import {
  accountWithDevice,
  createDevice,
  deviceRequest,
  expectJson,
  managementRequest,
} from '../testing/client.ts';

const relay = useRelayProcess();

describe('device-signed requests on the relay process', () => {
  it('verify the body and print no Deno request.signal warning', async () => {
    const alice = await accountWithDevice(relay.http, 'sig_alice', { oneTimePreKeys: 0 });
    await accountWithDevice(relay.http, 'sig_bob');
    await expectJson(await deviceRequest(relay.http, alice, 'GET', '/v1/handles/sig_bob'), 200);
    const more = await createDevice(alice.account, { oneTimePreKeys: 3 });
    const keys = more.keys.oneTimePreKeys.map((k) => ({
      id: k.id,
      publicKey: toBase64Url(k.keyPair.publicKey),
    }));
    const uploaded = await expectJson<{ oneTimePreKeys: number }>(
      await managementRequest(relay.http, alice, 'PUT', '/v1/prekeys', { oneTimePreKeys: keys }),
      200,
    );
    expect(uploaded.oneTimePreKeys).toBe(3);
    await relay.process.stop();
    expect(relay.process.output.filter((line) => line.includes('request.signal'))).toEqual([]);
  });
});

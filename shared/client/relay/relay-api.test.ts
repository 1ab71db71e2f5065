// Which key signs which route (docs/wire.md, "Authentication"): management routes need the
// identity key, and without it nothing is sent at all.
import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../../crypto/ed25519.ts';
import { isParleyError } from '../../errors.ts';
import {
  parseDeviceAuthorization,
  requestKeyOf,
  verifyDeviceRequest,
} from '../../wire/device-request.ts';
import type { FetchInit } from '../deps.ts';
import { RelayApi } from './relay-api.ts';

const USER = '0a0a0a0a-0000-4000-8000-00000000000a';
const OTHER = '0b0b0b0b-0000-4000-8000-00000000000b';

function recordingApi(manager?: CryptoKey, key?: CryptoKey) {
  const calls: Array<{ url: string; init: FetchInit }> = [];
  const api = new RelayApi({
    baseUrl: 'http://relay.test',
    fetch: async (url, init) => {
      calls.push({ url, init });
      return init.method === 'GET'
        ? new Response('{"users":[]}', { status: 200 })
        : new Response(null, { status: 204 });
    },
    now: () => 1_700_000_000_000,
    timers: { setTimeout: () => 0, clearTimeout: () => {} },
    ...(key === undefined
      ? {}
      : { signer: { user: USER, device: 7, key, ...(manager === undefined ? {} : { manager }) } }),
  });
  return { api, calls };
}

describe('RelayApi signing', () => {
  it('signs management routes with the identity key and the rest with the device key', async () => {
    const device = await generateSigningKeyPair(false);
    const identity = await generateSigningKeyPair(false);
    const { api, calls } = recordingApi(identity.privateKey, device.privateKey);
    await api.block(OTHER);
    await api.blockList();
    const [block, list] = calls;
    const blockAuth = block?.init.headers.authorization ?? '';
    expect(requestKeyOf(blockAuth)).toBe('management');
    expect(
      await verifyDeviceRequest(
        identity.publicKey,
        parseDeviceAuthorization(blockAuth, 'management'),
        { method: 'PUT', path: `/v1/blocks/${OTHER}`, body: new Uint8Array() },
        'management',
      ),
    ).toBe(true);
    expect(requestKeyOf(list?.init.headers.authorization)).toBe('device');
  });

  it('refuses a management route before sending anything when only the device key is there', async () => {
    const device = await generateSigningKeyPair(false);
    const { api, calls } = recordingApi(undefined, device.privateKey);
    for (const run of [
      () => api.block(OTHER),
      () => api.unblock(OTHER),
      () => api.removeDevice(9),
      () => api.uploadPrekeys({ oneTimePreKeys: [{ id: 1, publicKey: new Uint8Array(32) }] }),
    ]) {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isParleyError(error) ? error.code : error).toBe('NOT_REGISTERED');
    }
    expect(calls).toHaveLength(0);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { routes } from '../shared/wire/routes.ts';
import { accountWithDevice, deviceRequest, expectJson, jsonInit } from './testing/client.ts';
import { type InProcessRelay, startInProcess } from './testing/in-process.ts';

let t: InProcessRelay | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('relay app', () => {
  it('answers /healthz after checking the database, and 503 once it is gone', async () => {
    t = await startInProcess();
    expect(await expectJson(await t.http('/healthz'), 200)).toMatchObject({ ok: true, db: 'ok' });
    t.relay.database.close();
    expect((await t.http('/healthz')).status).toBe(503);
  });

  it('serves Prometheus metrics with every series', async () => {
    t = await startInProcess();
    await t.http('/v1/auth/register/options', jsonInit('POST', { handle: 'x' }));
    const res = await t.http('/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    for (const name of [
      'parley_ws_connections',
      'parley_ws_frames_in_total',
      'parley_ws_frames_out_total',
      'parley_queue_depth',
      'parley_deliveries_total',
      'parley_rejections_total',
      'parley_auth_failures_total',
      'parley_delivery_latency_seconds_bucket',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toContain('parley_rejections_total{code="BODY_INVALID"} 1');
  });

  it('publishes an OpenAPI document listing every mounted REST route', async () => {
    t = await startInProcess();
    const doc = await expectJson<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    }>(await t.http('/openapi.json'), 200);
    expect(doc.openapi).toBe('3.1.0');
    for (const name of [
      'registerOptions',
      'registerDevice',
      'bundles',
      'prekeyUpload',
      'lookupHandle',
    ] as const) {
      const spec = routes[name];
      const path = spec.path.replace(/:([A-Za-z]+)/g, '{$1}');
      expect(doc.paths[path]?.[spec.method.toLowerCase()]).toBeDefined();
    }
  });

  it('rate-limits REST requests per IP with 429 and Retry-After', async () => {
    t = await startInProcess({ RATE_LIMIT_HTTP_PER_IP: '3/60' });
    for (let i = 0; i < 3; i++) await t.http('/v1/handles/alice');
    const res = await t.http('/v1/handles/alice');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('20');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect((await t.http('/healthz')).status).toBe(200);
  });

  it('rate-limits device-signed requests per device, whatever the IP', async () => {
    t = await startInProcess({ RATE_LIMIT_HTTP_PER_DEVICE: '2/60' });
    const alice = await accountWithDevice(t.http, 'alice', { oneTimePreKeys: 0 });
    const ok = [
      await deviceRequest(t.http, alice, 'GET', '/v1/prekeys'),
      await deviceRequest(t.http, alice, 'GET', '/v1/prekeys'),
    ];
    expect(ok.map((r) => r.status)).toEqual([200, 200]);
    const limited = await deviceRequest(t.http, alice, 'GET', '/v1/prekeys');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
  });

  it('caps request bodies (413 BODY_TOO_LARGE) and answers unknown routes with NOT_FOUND', async () => {
    t = await startInProcess();
    const big = await t.http(
      '/v1/auth/register/options',
      jsonInit('POST', { handle: 'a'.repeat(70_000) }),
    );
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('BODY_TOO_LARGE');
    const missing = await t.http('/v2/nothing');
    expect(missing.status).toBe(404);
  });

  it('refuses a plain GET on the socket route with 426', async () => {
    t = await startInProcess();
    expect((await t.http('/v1/ws')).status).toBe(426);
  });

  it('never writes tokens or keys into its logs', async () => {
    t = await startInProcess();
    const res = await t.http(
      '/v1/auth/passkeys/options',
      jsonInit('POST', {}, { authorization: 'Bearer secret.token.value' }),
    );
    expect(res.status).toBe(401);
    expect(t.log.lines.length).toBeGreaterThan(0);
    expect(t.log.lines.join('\n')).not.toContain('secret.token.value');
  });
});

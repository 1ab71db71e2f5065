import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  EXTENSION_ID,
  EXTENSION_ORIGIN,
  parseConfig,
  rpIdForOrigin,
} from './config.ts';

const random = (n: number) => new Uint8Array(n).fill(7);

describe('parseConfig', () => {
  it('defaults to a local relay on 127.0.0.1:8787 with an embedded database under ./data', () => {
    const config = parseConfig({}, random);
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8787,
      libsqlUrl: 'file:./data/parley.db',
      rpIds: [EXTENSION_ORIGIN, 'localhost'],
      retentionSeconds: 30 * 86_400,
      challengeTtlSeconds: 300,
      tokenSecretIsEphemeral: true,
      sqliteSynchronous: 'NORMAL',
      sweepIntervalSeconds: 60,
      walCheckpointSeconds: 10,
    });
    expect(config.allowedOrigins).toContain(EXTENSION_ORIGIN);
    expect(config.allowedOrigins).toContain('http://localhost:8787');
    expect(config.rateLimits.httpPerIp).toEqual({ limit: 600, windowSeconds: 60 });
  });

  it("pins the extension id of the project's manifest key", () => {
    const manifest = JSON.parse(
      readFileSync(new URL('../extension/manifest-key.json', import.meta.url), 'utf8'),
    ) as { id: string };
    expect(EXTENSION_ID).toBe(manifest.id);
  });

  it('reads every variable and rejects malformed values with the variable named', () => {
    const config = parseConfig(
      {
        PORT: '9999',
        RP_ID: 'chat.example.org',
        ALLOWED_ORIGINS: 'https://chat.example.org',
        TOKEN_SECRET: 'x'.repeat(40),
        RATE_LIMIT_FRAMES_PER_DEVICE: '10/2',
        RETENTION_DAYS: '7',
        WAL_CHECKPOINT_SECONDS: '2',
      },
      random,
    );
    expect(config).toMatchObject({
      port: 9999,
      rpIds: ['chat.example.org'],
      tokenSecretIsEphemeral: false,
      retentionSeconds: 7 * 86_400,
      walCheckpointSeconds: 2,
    });
    expect(config.rateLimits.framesPerDevice).toEqual({ limit: 10, windowSeconds: 2 });
    expect(() => parseConfig({ PORT: 'eighty' }, random)).toThrow(/PORT/);
    expect(() => parseConfig({ TOKEN_SECRET: 'short' }, random)).toThrow(ConfigError);
    expect(() => parseConfig({ RATE_LIMIT_HTTP_PER_IP: '10 per minute' }, random)).toThrow(
      /RATE_LIMIT_HTTP_PER_IP/,
    );
    expect(() => parseConfig({ LOG_LEVEL: 'loud' }, random)).toThrow(/LOG_LEVEL/);
    expect(() => parseConfig({ HTTP_SERVER: 'express' }, random)).toThrow(/HTTP_SERVER/);
    expect(parseConfig({}, random).httpServer).toBe('deno');
    expect(parseConfig({ HTTP_SERVER: 'node' }, random).httpServer).toBe('node');
  });

  it('refuses to start without TOKEN_SECRET when fan-out is shared between instances', () => {
    expect(() => parseConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }, random)).toThrow(
      /TOKEN_SECRET/,
    );
    expect(() =>
      parseConfig(
        { UPSTASH_REDIS_REST_URL: 'https://x.upstash.io', UPSTASH_REDIS_REST_TOKEN: 't' },
        random,
      ),
    ).toThrow(/TOKEN_SECRET/);
    const shared = parseConfig(
      { REDIS_URL: 'redis://127.0.0.1:6379', TOKEN_SECRET: 's'.repeat(32) },
      random,
    );
    expect(shared.tokenSecretIsEphemeral).toBe(false);
  });

  it('takes the client IP from a configured number of proxy hops', () => {
    expect(parseConfig({}, random).trustProxyHops).toBe(0);
    expect(parseConfig({ TRUST_PROXY: 'true' }, random).trustProxyHops).toBe(1);
    expect(parseConfig({ TRUST_PROXY: '2' }, random).trustProxyHops).toBe(2);
    expect(parseConfig({ TRUST_PROXY: 'false' }, random).trustProxyHops).toBe(0);
    expect(() => parseConfig({ TRUST_PROXY: 'yes' }, random)).toThrow(/TRUST_PROXY/);
  });

  it('validates the database URL and names the variable a remote deployment is missing', () => {
    expect(() => parseConfig({ LIBSQL_URL: 'postgres://db/parley' }, random)).toThrow(
      /^LIBSQL_URL: expected a file:, libsql:, https: or wss: URL, got "postgres"$/,
    );
    expect(() => parseConfig({ LIBSQL_URL: 'libsql://parley-acme.turso.io' }, random)).toThrow(
      /^LIBSQL_AUTH_TOKEN: required/,
    );
    expect(
      parseConfig({ LIBSQL_URL: 'libsql://parley-acme.turso.io', LIBSQL_AUTH_TOKEN: 'jwt' }, random)
        .libsqlUrl,
    ).toBe('libsql://parley-acme.turso.io');
    // A self-hosted sqld (or the test Hrana server) may run without a token.
    expect(parseConfig({ LIBSQL_URL: 'http://127.0.0.1:8080' }, random).libsqlAuthToken).toBe(
      undefined,
    );
    expect(() =>
      parseConfig({ UPSTASH_REDIS_REST_URL: 'https://eu1-x.upstash.io' }, random),
    ).toThrow(/^UPSTASH_REDIS_REST_TOKEN: required/);
    expect(() => parseConfig({ UPSTASH_REDIS_REST_TOKEN: 't' }, random)).toThrow(ConfigError);
  });

  it('announces the RP id matching the calling origin', () => {
    const config = parseConfig({}, random);
    expect(rpIdForOrigin(config, EXTENSION_ORIGIN)).toBe(EXTENSION_ORIGIN);
    expect(rpIdForOrigin(config, 'http://localhost:8787')).toBe('localhost');
    expect(rpIdForOrigin(config, 'https://evil.example')).toBe(EXTENSION_ORIGIN);
  });
});

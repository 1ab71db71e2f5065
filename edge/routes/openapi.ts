/**
 * GET /openapi.json: the REST routes as an OpenAPI 3.1 document. Written by
 * hand next to the routes (the bodies are valibot schemas, which this
 * document summarises); the WebSocket protocol is described in docs/wire.md.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/env.ts';

const b64 = { type: 'string', contentEncoding: 'base64url' } as const;
const error = {
  description: 'Error',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: {
              code: { type: 'string' },
              message: { type: 'string' },
              details: { type: 'object' },
            },
          },
        },
      },
    },
  },
} as const;

function json(schema: object, description = 'OK') {
  return { description, content: { 'application/json': { schema } } };
}

function op(
  summary: string,
  options: { security?: 'session' | 'device'; body?: object; ok?: Record<string, object> },
) {
  return {
    summary,
    ...(options.security === undefined ? {} : { security: [{ [options.security]: [] }] }),
    ...(options.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: options.body } },
          },
        }),
    responses: {
      ...(options.ok ?? { '200': json({ type: 'object' }) }),
      '400': error,
      '401': error,
      '404': error,
      '409': error,
      '413': error,
      '429': { ...error, headers: { 'Retry-After': { schema: { type: 'integer' } } } },
    },
  };
}

const identity = { type: 'object', properties: { dh: b64, signing: b64, binding: b64 } };
const certificate = {
  type: 'object',
  properties: {
    userId: { type: 'string', format: 'uuid' },
    deviceId: { type: 'integer' },
    deviceKey: b64,
    createdAt: { type: 'integer' },
    signature: b64,
  },
};
const signedKey = {
  type: 'object',
  properties: { id: { type: 'integer' }, publicKey: b64, signature: b64 },
};
const oneTimeKey = { type: 'object', properties: { id: { type: 'integer' }, publicKey: b64 } };
const session = {
  type: 'object',
  properties: {
    userId: { type: 'string' },
    handle: { type: 'string' },
    token: { type: 'string' },
    expiresAt: { type: 'integer' },
  },
};
const webauthnResponse = {
  type: 'object',
  description: 'RegistrationResponseJSON / AuthenticationResponseJSON (WebAuthn L3 toJSON())',
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Parley relay',
    version: '1',
    description:
      'REST side of the Parley relay. Messages travel over the WebSocket at /v1/ws (binary CBOR frames, docs/wire.md). Byte fields are unpadded base64url.',
  },
  components: {
    securitySchemes: {
      session: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'Session token from a passkey ceremony (device management only).',
      },
      device: {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        description: 'Parley-Device request signature by a registered device key.',
      },
    },
  },
  paths: {
    '/healthz': {
      get: op('Liveness and database check', {
        ok: { '200': json({ type: 'object' }), '503': json({ type: 'object' }, 'Unhealthy') },
      }),
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics (text exposition format)',
        responses: { '200': { description: 'OK', content: { 'text/plain': {} } } },
      },
    },
    '/v1/accounts/register/options': {
      post: op('Start passkey registration for a new account', {
        body: { type: 'object', required: ['handle'], properties: { handle: { type: 'string' } } },
      }),
    },
    '/v1/accounts/register/verify': {
      post: op('Finish registration: creates the account, returns a session token', {
        body: {
          type: 'object',
          required: ['response'],
          properties: { response: webauthnResponse },
        },
        ok: { '201': json(session) },
      }),
    },
    '/v1/accounts/login/options': {
      post: op('Start passkey login (handle optional: discoverable credentials)', {
        body: { type: 'object', properties: { handle: { type: 'string' } } },
      }),
    },
    '/v1/accounts/login/verify': {
      post: op('Finish login: returns a session token', {
        body: {
          type: 'object',
          required: ['response'],
          properties: { response: webauthnResponse },
        },
        ok: { '200': json(session) },
      }),
    },
    '/v1/accounts/me': { get: op('Account, devices and passkeys', { security: 'session' }) },
    '/v1/accounts/passkeys/options': {
      post: op('Start adding a passkey to the account', { security: 'session' }),
    },
    '/v1/accounts/passkeys/verify': {
      post: op('Finish adding a passkey', {
        security: 'session',
        body: { type: 'object', properties: { response: webauthnResponse } },
        ok: { '201': json({ type: 'object' }) },
      }),
    },
    '/v1/devices': {
      post: op(
        'Register a device (identity, certificate, signed/KEM/one-time prekeys; all verified)',
        {
          security: 'session',
          body: {
            type: 'object',
            required: ['identity', 'certificate', 'signedPreKey', 'kemPreKey', 'oneTimePreKeys'],
            properties: {
              identity,
              certificate,
              signedPreKey: signedKey,
              kemPreKey: signedKey,
              oneTimePreKeys: { type: 'array', items: oneTimeKey, maxItems: 100 },
            },
          },
          ok: { '201': json({ type: 'object' }) },
        },
      ),
    },
    '/v1/devices/{deviceId}': {
      delete: {
        ...op('Remove a device and everything queued for it', {
          security: 'session',
          ok: { '204': { description: 'Removed' } },
        }),
        parameters: [{ name: 'deviceId', in: 'path', required: true, schema: { type: 'integer' } }],
      },
    },
    '/v1/users/by-handle/{handle}': {
      get: {
        ...op('Find a user by handle', { security: 'device' }),
        parameters: [{ name: 'handle', in: 'path', required: true, schema: { type: 'string' } }],
      },
    },
    '/v1/users/{userId}/devices': {
      get: {
        ...op("A user's identity and device certificates", { security: 'device' }),
        parameters: [{ name: 'userId', in: 'path', required: true, schema: { type: 'string' } }],
      },
    },
    '/v1/users/{userId}/bundles': {
      post: {
        ...op(
          'Prekey bundles (each one-time prekey is handed out once; rate-limited per requester)',
          {
            security: 'device',
            body: {
              type: 'object',
              properties: { devices: { type: 'array', items: { type: 'integer' } } },
            },
          },
        ),
        parameters: [{ name: 'userId', in: 'path', required: true, schema: { type: 'string' } }],
      },
    },
    '/v1/keys': {
      get: op("The calling device's remaining one-time prekeys", { security: 'device' }),
    },
    '/v1/keys/one-time': {
      post: op('Upload one-time prekeys (at most 100 per request, 200 held)', {
        security: 'device',
        body: {
          type: 'object',
          properties: { oneTimePreKeys: { type: 'array', items: oneTimeKey } },
        },
      }),
    },
    '/v1/keys/signed': {
      put: op('Rotate the signed prekey and/or the ML-KEM prekey', {
        security: 'device',
        body: { type: 'object', properties: { signedPreKey: signedKey, kemPreKey: signedKey } },
        ok: { '204': { description: 'Rotated' } },
      }),
    },
    '/v1/ws': {
      get: {
        summary: 'WebSocket upgrade (binary CBOR frames; see docs/wire.md)',
        responses: { '101': { description: 'Switching protocols' }, '429': error, '503': error },
      },
    },
  },
} as const;

export function openApiRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/openapi.json', (c) => c.json(openApiDocument));
  return app;
}

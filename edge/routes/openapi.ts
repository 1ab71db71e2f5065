/**
 * GET /openapi.json: an OpenAPI 3.1 document derived from the shared route
 * table (shared/wire/routes.ts), so it lists exactly what the relay mounts.
 * Body schemas are named (the valibot schemas in shared/wire/rest-*.ts are the
 * precise definition); the WebSocket protocol is described in docs/wire.md.
 */
import { Hono } from 'hono';
import { type RouteSpec, routes } from '../../shared/wire/routes.ts';
import type { AppEnv } from '../http/env.ts';

const errorResponse = {
  description:
    'Error: {"error": {"code", "message", "details"?}} (shared/wire/rest-fields.ts ErrorResponseSchema)',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
};

const SECURITY: Record<RouteSpec['auth'], object[] | undefined> = {
  none: undefined,
  session: [{ session: [] }],
  device: [{ device: [] }],
  either: [{ session: [] }, { device: [] }],
  management: [{ management: [] }],
  'session-or-management': [{ session: [] }, { management: [] }],
  upload: [{ upload: [] }],
  backup: [{ backup: [] }],
};

const ALSO: Record<206 | 307, object> = {
  206: {
    description: 'Partial content: the asked-for Range of the chunk (Content-Range)',
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
  },
  307: {
    description:
      'The bytes live in an object store: repeat the request at Location, a short-lived presigned URL',
    headers: { Location: { schema: { type: 'string' } } },
  },
};

function body(kind: RouteSpec['request']): object | undefined {
  if (kind === null) return undefined;
  if (kind === 'bytes')
    return { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } };
  return {
    'application/json': {
      schema: {
        type: 'object',
        description: 'See shared/wire (valibot schema); bytes are base64url',
      },
    },
  };
}

function operation(name: string, spec: RouteSpec): object {
  const params = [...spec.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: m[1] === 'device' || m[1] === 'index' ? 'integer' : 'string' },
  }));
  const request = body(spec.request);
  const success = body(spec.response);
  const security = SECURITY[spec.auth];
  return {
    operationId: name,
    summary: spec.summary,
    ...(security === undefined ? {} : { security }),
    ...(params.length === 0 ? {} : { parameters: params }),
    ...(request === undefined ? {} : { requestBody: { required: true, content: request } }),
    responses: {
      [String(spec.status)]: {
        description: 'Success',
        ...(success === undefined ? {} : { content: success }),
      },
      ...Object.fromEntries((spec.also ?? []).map((status) => [String(status), ALSO[status]])),
      '400': errorResponse,
      '401': errorResponse,
      ...(name === 'attachmentCreate' ? { '403': errorResponse } : {}),
      '404': errorResponse,
      '409': errorResponse,
      '413': errorResponse,
      ...(spec.also?.includes(206) ? { '416': errorResponse } : {}),
      '429': {
        ...errorResponse,
        headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds' } },
      },
    },
  };
}

export function buildOpenApiDocument(mounted: ReadonlySet<string>): object {
  const paths: Record<string, Record<string, object>> = {
    '/healthz': {
      get: {
        summary: 'Liveness: the database answers',
        responses: {
          '200': { description: 'Healthy' },
          '503': { description: 'Unhealthy or draining' },
        },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics (text format 0.0.4)',
        responses: { '200': { description: 'Metrics' } },
      },
    },
    '/v1/ws': {
      get: {
        summary: 'WebSocket upgrade: binary CBOR frames (docs/wire.md)',
        responses: {
          '101': { description: 'Switching protocols' },
          '429': errorResponse,
          '503': errorResponse,
        },
      },
    },
  };
  for (const [name, spec] of Object.entries(routes) as [string, RouteSpec][]) {
    if (!mounted.has(name)) continue;
    const path = spec.path.replace(/:([A-Za-z]+)/g, '{$1}');
    paths[path] ??= {};
    (paths[path] as Record<string, object>)[spec.method.toLowerCase()] = operation(name, spec);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley relay',
      version: '1',
      description:
        'REST side of the Parley relay; messages travel over /v1/ws. Byte fields are unpadded base64url.',
    },
    components: {
      securitySchemes: {
        session: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Session token from a passkey ceremony (device management only)',
        },
        device: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            'Parley-Device user=…, device=…, ts=…, sig=… (shared/wire/device-request.ts)',
        },
        upload: {
          type: 'http',
          scheme: 'bearer',
          description: 'The uploadToken from POST /v1/attachments (that upload only)',
        },
        backup: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            'Parley-Backup key=…, ts=…, sig=… signed by the backup auth key pinned to the backup id (shared/wire/backup-request.ts)',
        },
        management: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            'Parley-Manage user=…, device=…, ts=…, sig=… signed by the identity key (shared/wire/device-request.ts)',
        },
      },
      schemas: {
        ErrorResponse: {
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
    paths,
  };
}

export function openApiRoutes(mounted: ReadonlySet<string>): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const document = buildOpenApiDocument(mounted);
  app.get('/openapi.json', (c) => c.json(document));
  return app;
}

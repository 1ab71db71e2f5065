/**
 * Mounts handlers from the shared route table (shared/wire/routes.ts): the
 * table says method, path, who may call and the body schemas; the relay
 * supplies only the handler. Request bodies are parsed with the route's
 * schema (BODY_INVALID / BODY_TOO_LARGE) before the handler runs, and every
 * response is checked against the route's response schema before it leaves,
 * so the relay cannot drift from the contract clients are built against.
 *
 * Raw (`bytes`) request bodies are the exception: the handler gets a reader
 * and reads (capped) only if it keeps the bytes, so an attachment chunk bound
 * for an object store is redirected without the relay reading it. A handler
 * may also answer with a Response of its own (206 Range reads, 307 redirects:
 * the route's `also` statuses).
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type * as v from 'valibot';
import { parseRestBody, serializeRestBody } from '../../shared/wire/rest-codec.ts';
import {
  type RouteAuth,
  type RouteBody,
  type RouteName,
  type RouteSpec,
  routes,
} from '../../shared/wire/routes.ts';
import { bodyLimit, requestBody } from './body-limit.ts';
import type { AppEnv } from './env.ts';

type BodyOf<B extends RouteBody> = B extends v.GenericSchema
  ? v.InferOutput<B>
  : B extends 'bytes'
    ? Uint8Array
    : null;

/** What a handler receives: the parsed body, or for raw bodies a capped reader. */
type RequestOf<B extends RouteBody> = B extends 'bytes' ? () => Promise<Uint8Array> : BodyOf<B>;

export type RouteHandler<K extends RouteName> = (
  c: Context<AppEnv>,
  body: RequestOf<(typeof routes)[K]['request']>,
) => Promise<BodyOf<(typeof routes)[K]['response']> | Response>;

export type RouteHandlers = { readonly [K in RouteName]?: RouteHandler<K> };

export interface MountOptions {
  readonly auth: Readonly<Record<RouteAuth, readonly MiddlewareHandler<AppEnv>[]>>;
  /** Extra middleware per route (rate limits). */
  readonly extra?: { readonly [K in RouteName]?: readonly MiddlewareHandler<AppEnv>[] };
  readonly maxBodyBytes: number;
  /** Cap for raw (application/octet-stream) bodies: attachment chunks. */
  readonly maxRawBodyBytes: number;
}

async function readBody(
  c: Context<AppEnv>,
  spec: RouteSpec,
  options: MountOptions,
): Promise<unknown> {
  if (spec.request === null) return null;
  const maxBytes = bodyCap(spec, options);
  if (spec.request === 'bytes') return () => requestBody(c, maxBytes);
  const raw = await requestBody(c, maxBytes);
  // An empty body reads as {} so "no data" POSTs need not send one.
  return parseRestBody(spec.request, raw.length === 0 ? '{}' : raw, { maxBytes });
}

/** Routes without a request body still get a cap: a device signature covers whatever was sent. */
function bodyCap(spec: RouteSpec, options: MountOptions): number {
  return spec.request === 'bytes' ? options.maxRawBodyBytes : options.maxBodyBytes;
}

function respond(c: Context<AppEnv>, spec: RouteSpec, value: unknown): Response {
  if (value instanceof Response) return value;
  if (spec.status === 204 || spec.response === null) return c.body(null, 204);
  if (spec.response === 'bytes') {
    return c.body(value as Uint8Array<ArrayBuffer>, spec.status, {
      'content-type': 'application/octet-stream',
    });
  }
  let text: string;
  try {
    text = serializeRestBody(spec.response, value, { maxBytes: Number.MAX_SAFE_INTEGER });
  } catch (error) {
    // The relay broke its own contract: a server fault (500), never the client's.
    throw new Error(`Response of ${spec.method} ${spec.path} does not match its schema`, {
      cause: error,
    });
  }
  return c.body(text, spec.status, { 'content-type': 'application/json; charset=utf-8' });
}

/** Names of every route mounted so far (for /openapi.json). */
export const mountedRoutes = new Set<string>();

export function mountRoutes(
  app: Hono<AppEnv>,
  handlers: RouteHandlers,
  options: MountOptions,
): void {
  for (const name of Object.keys(handlers) as RouteName[]) {
    const handler = handlers[name] as RouteHandler<RouteName> | undefined;
    if (handler === undefined) continue;
    const spec: RouteSpec = routes[name];
    mountedRoutes.add(name);
    // The body is read (and capped) first, before auth: nothing downstream reads it unbounded.
    // Raw bodies are read by the handler through a capped reader (see above).
    const middleware = [
      ...(spec.request === 'bytes' ? [] : [bodyLimit(bodyCap(spec, options))]),
      ...options.auth[spec.auth],
      ...(options.extra?.[name] ?? []),
    ];
    app.on(
      spec.method,
      [spec.path],
      ...middleware,
      async function routeHandler(c: Context<AppEnv>) {
        const body = await readBody(c, spec, options);
        const result = await handler(c, body as never);
        return respond(c, spec, result);
      },
    );
  }
}

/**
 * The single mapping from errors to HTTP answers (hono's `app.onError`):
 * a ParleyError becomes `{ error: { code, message, details } }` with the
 * status its code maps to (429s carry Retry-After); anything else is logged
 * without its details and answered 500 INTERNAL.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ErrorCode, isParleyError, ParleyError } from '../../shared/errors.ts';
import { httpStatusFor } from '../../shared/wire/http-status.ts';
import { type Logger, safeErrorText } from '../observability/log.ts';
import type { RelayMetrics } from '../observability/metrics.ts';

export function errorBody(error: ParleyError): { error: ReturnType<ParleyError['toJSON']> } {
  return { error: error.toJSON() };
}

export function respondWithError(c: Context, error: ParleyError, metrics: RelayMetrics): Response {
  const status = httpStatusFor(error.code) as ContentfulStatusCode;
  metrics.rejections.inc({ code: error.code });
  if (error.code === ErrorCode.RATE_LIMITED) {
    const retry = error.details?.retryAfterSeconds;
    c.header('Retry-After', String(typeof retry === 'number' ? retry : 1));
  }
  if (error.code === ErrorCode.RANGE_NOT_SATISFIABLE) {
    // RFC 9110 §15.5.17: a 416 names the length of the representation.
    const length = error.details?.length;
    if (typeof length === 'number') c.header('Content-Range', `bytes */${length}`);
  }
  return c.json(errorBody(error), status);
}

export function createErrorHandler(log: Logger, metrics: RelayMetrics) {
  return function onError(error: Error, c: Context): Response {
    if (isParleyError(error)) return respondWithError(c, error, metrics);
    if (error instanceof HTTPException) {
      const code = error.status === 413 ? ErrorCode.BODY_TOO_LARGE : ErrorCode.BODY_INVALID;
      return respondWithError(
        c,
        new ParleyError(code, error.status === 413 ? 'Body too large' : 'Bad request'),
        metrics,
      );
    }
    log.error('http.handler_failed', {
      path: c.req.path,
      method: c.req.method,
      error: error.name,
      detail: safeErrorText(error),
    });
    return respondWithError(c, new ParleyError(ErrorCode.INTERNAL, 'Internal error'), metrics);
  };
}

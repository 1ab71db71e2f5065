/** HTTP rate limiting: 429 with Retry-After (through the error handler) when a key runs out. */
import type { Context, MiddlewareHandler } from 'hono';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import type { AppEnv } from '../http/env.ts';
import type { RateLimiter } from './rate-limiter.ts';

export function rateLimit(
  limiter: RateLimiter,
  keyOf: (c: Context<AppEnv>) => string,
  scope: string,
): MiddlewareHandler<AppEnv> {
  return async function limitRequests(c, next) {
    const decision = await limiter.consume(`${scope}:${keyOf(c)}`);
    if (!decision.allowed) {
      throw new ParleyError(ErrorCode.RATE_LIMITED, 'Too many requests', {
        retryAfterSeconds: decision.retryAfterSeconds,
        scope,
      });
    }
    await next();
  };
}

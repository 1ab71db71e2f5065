/** /healthz (the database answers) and /metrics (Prometheus text). */
import { Hono } from 'hono';
import type { Database } from '../db/open.ts';
import type { AppEnv } from '../http/env.ts';
import type { RelayMetrics } from '../observability/metrics.ts';
import type { Hub } from '../ws/hub.ts';

export function healthRoutes(database: Database, hub: Hub, metrics: RelayMetrics): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/healthz', async (c) => {
    try {
      await database.client.execute('SELECT 1');
    } catch {
      return c.json({ ok: false, db: 'unavailable' }, 503);
    }
    if (hub.closing) return c.json({ ok: false, db: 'ok', draining: true }, 503);
    return c.json({ ok: true, db: 'ok', connections: hub.size });
  });
  app.get('/metrics', async (c) => {
    c.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return c.body(await metrics.render());
  });
  return app;
}

import { describe, expect, it } from 'vitest';
import { memoryLogger, safeErrorText } from './log.ts';
import { RelayMetrics } from './metrics.ts';

describe('logs and metrics', () => {
  it('writes one JSON object per line and redacts fields that could hold secrets or content', () => {
    const log = memoryLogger();
    log.info('x', { token: 'abc', deviceKey: 'k', ciphertext: 'c', accountId: 'a', count: 2 });
    const line = JSON.parse(log.lines[0] ?? '{}');
    expect(line).toMatchObject({
      level: 'info',
      event: 'x',
      token: '[redacted]',
      deviceKey: '[redacted]',
      ciphertext: '[redacted]',
      accountId: 'a',
      count: 2,
    });
  });

  it('cuts bound parameters out of database error messages', () => {
    const error = new Error(
      'Failed query: insert into queue values (?, ?) params: 0xdeadbeef,secret',
    );
    expect(safeErrorText(error)).toBe('Failed query: insert into queue values (?, ?) ');
  });

  it('renders Prometheus text with labels and histogram buckets', async () => {
    const metrics = new RelayMetrics();
    metrics.rejections.inc({ code: 'FRAME_INVALID' }, 2);
    metrics.deliveryLatency.observe(0.003);
    const text = await metrics.render();
    expect(text).toContain('parley_rejections_total{code="FRAME_INVALID"} 2');
    expect(text).toContain('parley_delivery_latency_seconds_bucket{le="0.005"} 1');
    expect(text).toContain('parley_delivery_latency_seconds_bucket{le="0.0025"} 0');
    expect(text).toContain('parley_delivery_latency_seconds_count 1');
  });
});

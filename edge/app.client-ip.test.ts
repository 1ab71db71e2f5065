import { describe, expect, it } from 'vitest';
import { clientIp } from './app.ts';

describe('clientIp behind trusted proxies', () => {
  it('uses the peer address unless proxies are trusted', () => {
    expect(clientIp('198.51.100.1', '10.0.0.2', 0)).toBe('10.0.0.2');
    expect(clientIp(undefined, '10.0.0.2', 1)).toBe('10.0.0.2');
    expect(clientIp(undefined, undefined, 0)).toBe('unknown');
  });

  it('takes the entry the outermost trusted proxy appended, never a client-written one', () => {
    // nginx $proxy_add_x_forwarded_for keeps the client's header in front of the peer it saw.
    expect(clientIp('6.6.6.6, 203.0.113.7', '127.0.0.1', 1)).toBe('203.0.113.7');
    expect(clientIp('6.6.6.6, 203.0.113.7, 192.0.2.1', '127.0.0.1', 2)).toBe('203.0.113.7');
    expect(clientIp(' 203.0.113.7 ', '127.0.0.1', 1)).toBe('203.0.113.7');
  });

  it('falls back to the peer when the header has fewer entries than trusted hops, or an empty one', () => {
    expect(clientIp('203.0.113.7', '127.0.0.1', 2)).toBe('127.0.0.1');
    expect(clientIp('6.6.6.6, ', '127.0.0.1', 1)).toBe('127.0.0.1');
  });
});

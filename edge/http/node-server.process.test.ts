/**
 * HTTP_SERVER=node against the REAL relay process: HTTP through node:http and
 * the same Hono app, sockets through `ws` with FRAME_MAX_BYTES as its maximum
 * payload. What Deno.serve cannot do: an oversized socket message is refused
 * from its frame header, so anonymous sockets sending 60 MiB each cost the
 * relay almost nothing (with Deno.serve, ~90 MiB each; docs/relay.md,
 * "Limits and abuse").
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useRelayProcess } from '../../shared/client/testing/relay-fixture.ts';
import { accountWithDevice, uniqueMessageId } from '../testing/client.ts';
import { WsTestClient } from '../testing/ws-client.ts';

const MiB = 1024 * 1024;
const relay = useRelayProcess({
  relay: { env: { LOG_LEVEL: 'warn', HTTP_SERVER: 'node', WS_PREAUTH_SOCKETS_PER_IP: '8' } },
});

function relayRss(): number {
  const line = readFileSync(`/proc/${relay.process.pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

/** Opens a raw socket; resolves 'open' or the HTTP status that refused the upgrade. */
function rawSocket(): Promise<{ socket: WebSocket; outcome: 'open' | number }> {
  const socket = new WebSocket(relay.process.wsUrl, { perMessageDeflate: false });
  socket.on('error', () => {});
  return new Promise((resolve) => {
    socket.once('open', () => resolve({ socket, outcome: 'open' }));
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ socket, outcome: res.statusCode ?? 0 });
    });
  });
}

describe('relay process with HTTP_SERVER=node', () => {
  it('serves HTTP and carries a message between two devices', async () => {
    expect((await relay.http('/healthz')).ok).toBe(true);
    const alice = await accountWithDevice(relay.http, 'alice');
    const bob = await accountWithDevice(relay.http, 'bob');
    const a = await WsTestClient.connect(relay.process.wsUrl, alice);
    const b = await WsTestClient.connect(relay.process.wsUrl, bob);
    const id = uniqueMessageId();
    a.send({
      t: 'send',
      id,
      to: [
        { user: bob.account.userId, devices: [{ device: bob.deviceId, body: new Uint8Array(9) }] },
      ],
    });
    const [delivered] = await b.waitFor('deliver');
    expect(delivered?.id).toEqual(id);
    await a.waitFor('stored');
    a.close();
    b.close();
  });

  it('closes 8 anonymous sockets sending 60 MiB each without buffering the messages', async () => {
    const start = relayRss();
    let peak = start;
    const timer = setInterval(() => {
      peak = Math.max(peak, relayRss());
    }, 10);
    const payload = Buffer.alloc(60 * MiB, 0x41);
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const { socket, outcome } = await rawSocket();
          expect(outcome).toBe('open');
          const closed = new Promise<number>((resolve) => socket.once('close', resolve));
          socket.send(payload);
          return closed;
        }),
      );
      // 1009 when the close frame got out before the connection was dropped, else 1006; on a
      // loaded machine the 10 s authentication timeout (4000) may come first.
      for (const code of outcomes) expect([1009, 1006, 4000]).toContain(code);
      console.log(`node server: 8 x 60 MiB -> close codes ${outcomes.join(',')}`);
    } finally {
      clearInterval(timer);
    }
    peak = Math.max(peak, relayRss());
    console.log(
      `node server: RSS ${(start / MiB).toFixed(0)} -> peak ${(peak / MiB).toFixed(0)} MiB`,
    );
    // Deno.serve: ~90 MiB per socket (measured 34 -> 747 MiB for the same 8).
    expect(peak - start).toBeLessThan(48 * MiB);
    expect((await relay.http('/healthz')).ok).toBe(true);
  });

  it('answers a refused upgrade in plain HTTP (429 past the per-IP cap of unauthenticated sockets)', async () => {
    const open = await Promise.all(Array.from({ length: 8 }, () => rawSocket()));
    expect(open.map((o) => o.outcome)).toEqual(Array(8).fill('open'));
    expect((await rawSocket()).outcome).toBe(429);
    for (const { socket } of open) socket.terminate();
  });

  it('answers a chunked oversized POST with 413 without reading it whole', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const status = await new Promise<number>((resolve, reject) => {
      let answered = false;
      const req = request(
        `${relay.url}/v1/auth/login/verify`,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          answered = true;
          res.resume();
          req.destroy();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', (error) => {
        if (!answered) reject(error);
      });
      let sent = 0;
      const pump = () => {
        while (!answered && sent < 64 * MiB) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        if (!answered) req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    expect((await relay.http('/healthz')).ok).toBe(true);
  });
});

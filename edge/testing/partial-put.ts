/**
 * A PUT whose connection dies mid-body: the request line, headers with the
 * full Content-Length, then only `send` bytes of the body before the socket
 * is destroyed, as when a browser tab closes or the network drops during an
 * upload. Resolves with whatever the server answered before that (a relay
 * that redirects answers without reading the body).
 */
import { connect } from 'node:net';

export function partialPut(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array,
  send: number,
): Promise<string> {
  const target = new URL(url);
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(Number(target.port), target.hostname, () => {
      const lines = [
        `PUT ${target.pathname}${target.search} HTTP/1.1`,
        `host: ${target.host}`,
        `content-length: ${body.length}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        '',
        '',
      ];
      socket.write(lines.join('\r\n'));
      socket.write(body.subarray(0, send));
      // Long enough for the server to read what was sent (and answer, if it answers early).
      setTimeout(() => socket.destroy(), 300);
    });
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', () => {});
  });
}

/** The Location of a 307 in a raw HTTP answer. */
export function locationOf(answer: string): string | undefined {
  return /^location: (.+)$/im.exec(answer)?.[1]?.trim();
}

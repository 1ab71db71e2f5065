// The streaming AEAD under Deno (the relay's runtime; backups and the
// device-linking archive will be opened there too): a multi-segment round
// trip, and a cut at a segment boundary rejected. The frozen vectors run under
// Deno in shared/attachments/vectors.deno.test.ts.
import { deepStrictEqual, rejects } from 'node:assert/strict';
import { concat } from '../bytes.ts';
import { ParleyError } from '../errors.ts';
import {
  openStream,
  STREAM_HEADER_BYTES,
  type StreamAeadFormat,
  sealStream,
  streamCipher,
} from './stream-aead.ts';

const FORMAT: StreamAeadFormat = {
  magic: 'TEST',
  info: 'Parley/v1/test/stream',
  segmentBytes: 1024,
};
const KEY = new Uint8Array(32).fill(3);
const HEADER = { salt: new Uint8Array(16).fill(4), noncePrefix: new Uint8Array(7).fill(5) };

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return concat(...parts);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

Deno.test('stream AEAD under Deno: round trip, and a cut at a segment boundary fails', async () => {
  const plaintext = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
  const cipher = await streamCipher(FORMAT, KEY, HEADER);
  const sealed = await collect(sealStream(cipher, once(plaintext)));
  deepStrictEqual(await collect(openStream(FORMAT, KEY, once(sealed))), plaintext);
  const cut = sealed.subarray(0, STREAM_HEADER_BYTES + 2 * (1024 + 16));
  await rejects(
    () => collect(openStream(FORMAT, KEY, once(cut))),
    (e) => e instanceof ParleyError && e.code === 'DECRYPT_FAILED',
  );
});

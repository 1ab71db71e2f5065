/**
 * Child process that hosts one peer of the crypto suite (`parley` or
 * `libsignal`, argv[2]). It opens the peer's long-lived sessions once, then
 * runs the slices the parent asks for over the IPC channel and sends back
 * the numbers. One process per peer keeps each library on its own V8 heap,
 * as in a real application (see bench/crypto.ts for why that matters).
 */

import {
  MESSAGE_BYTES,
  measureSlice,
  openSessions,
  plaintextOf,
  type SliceRequest,
  type SliceResponse,
} from './measure.ts';
import type { CryptoPeer } from './peer.ts';

async function loadPeer(name: string | undefined): Promise<CryptoPeer> {
  // Each process imports only its own library.
  if (name === 'parley') return (await import('./parley-peer.ts')).createParleyPeer();
  if (name === 'libsignal') return (await import('./libsignal-peer.ts')).createLibsignalPeer();
  throw new Error(`peer-process: unknown peer "${name}"`);
}

function send(message: SliceResponse): void {
  process.send?.(message);
}

const sessions = await openSessions(await loadPeer(process.argv[2]));
const plaintext = plaintextOf(MESSAGE_BYTES);

process.on('message', (request: SliceRequest | 'exit') => {
  if (request === 'exit') {
    process.exit(0);
  }
  measureSlice(sessions, request.kind, request.sizes, plaintext).then(
    (result) => send({ id: request.id, result }),
    (e: unknown) =>
      send({ id: request.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});
send({ ready: true });

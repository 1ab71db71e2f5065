/**
 * Worker-thread entry of the Node hash worker (node-hash-worker.ts): the
 * service of hash-service.ts on this thread's parent port, as the extension's
 * Web Worker entry does in a page.
 */
import { parentPort } from 'node:worker_threads';
import { type HashRequest, serveHashes } from '../hash-service.ts';

const port = parentPort;
if (port === null) throw new Error('hash-worker.node.ts runs as a worker thread');
const handle = serveHashes((reply) => port.postMessage(reply));
port.on('message', (request: HashRequest) => handle(request));

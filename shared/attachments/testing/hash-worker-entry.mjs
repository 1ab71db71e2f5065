// Entry of the Node hash worker thread (node-hash-worker.ts). A worker thread
// does not get the parent's tsx loader on Node 20, so it registers tsx itself
// before loading the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('./hash-worker.node.ts');

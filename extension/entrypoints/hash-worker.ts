/**
 * Entry of the page's hash worker (/hash-worker.js, lib/attachments/hash-worker.ts):
 * an unlisted script, so WXT builds it as one self-contained file a page
 * starts with `new Worker('/hash-worker.js')`.
 */
import { defineUnlistedScript } from 'wxt/utils/define-unlisted-script';
import { serveHashWorker } from '../lib/attachments/hash-worker.ts';

export default defineUnlistedScript(serveHashWorker);

/**
 * The transport between the extension's pages and its background service
 * worker. The requests themselves, with their payloads and answers, are the
 * worker's request table (entrypoints/background/requests/table.ts); pages
 * get its types from here and nothing else of it. Transport:
 * @webext-core/messaging over chrome.runtime messages. Answers are wrapped in
 * `RpcResult` so errors keep their stable code on the way back (thrown errors
 * would arrive as plain `Error`s with a stack attached).
 *
 * Payloads are validated in the worker after the sender check
 * (`entrypoints/background/rpc.ts`). Nothing in an answer is key material.
 *
 * Runs in: pages and the service worker.
 */
import { defineExtensionMessaging } from '@webext-core/messaging';
import type {
  RequestOf,
  RequestType,
  ResponseOf,
} from '../entrypoints/background/requests/table.ts';
import type { RpcResult } from './errors.ts';

export type { RequestOf, RequestType, ResponseOf };

/** What actually travels: each request, answered with RpcResult. */
export type WireProtocol = {
  [K in RequestType]: (data: RequestOf<K>) => RpcResult<ResponseOf<K>>;
};

const silent = { debug() {}, log() {}, warn() {}, error() {} };

// A silent logger: the library's debug logging would print payloads
// (passphrases, PRF outputs) to the console.
export const messenger = defineExtensionMessaging<WireProtocol>({ logger: silent });

/**
 * The worker's front door. Every request from a page passes, in this order:
 *  1. the sender check: this extension (sender.id), one of its own pages
 *     (origin and path), never a content script or another extension;
 *  2. the payload check: the request's valibot schema (its row in requests/table.ts);
 *  3. the locked gate (rows marked `unlocked`), then the row's handler with the schema's output.
 * Failures at any step come back as a typed error (`RpcResult`), never as a
 * thrown value and never with internal detail. There is no path around 1 and 2.
 *
 * Runs in: the service worker; `checkSender` and `handleRequest` are pure and unit-tested.
 */
import { ParleyError } from '../../../shared/errors.ts';
import { ExtErrorCode, extError, type RpcResult, toWireError } from '../../lib/errors.ts';
import type { RequestType, WireProtocol } from '../../lib/messaging.ts';
import { PAGE_PATHS } from '../../lib/protocol.ts';
import type { RequestContext } from './requests/row.ts';
import { dispatch, isRequestType, REQUEST_TYPES } from './requests/table.ts';

/** The parts of chrome.runtime.MessageSender that decide trust. */
export interface SenderInfo {
  readonly id?: string | undefined;
  readonly url?: string | undefined;
  readonly origin?: string | undefined;
}

export interface SelfInfo {
  /** browser.runtime.id */
  readonly id: string;
}

export function extensionOrigin(self: SelfInfo): string {
  return `chrome-extension://${self.id}`;
}

const pagePaths: ReadonlySet<string> = new Set(PAGE_PATHS);

/**
 * Accepts only this extension's own pages. Content scripts carry our id too,
 * but their url/origin is the web page's; other extensions have another id.
 * Throws SENDER_REJECTED otherwise.
 */
export function checkSender(sender: SenderInfo | undefined, self: SelfInfo): void {
  const reject = (reason: string) =>
    extError(ExtErrorCode.SENDER_REJECTED, 'Request refused', { reason });
  if (sender === undefined) throw reject('no sender');
  if (sender.id !== self.id) throw reject('foreign extension');
  if (typeof sender.url !== 'string') throw reject('no url');
  let url: URL;
  try {
    url = new URL(sender.url);
  } catch {
    throw reject('bad url');
  }
  const origin = extensionOrigin(self);
  // protocol + host rather than url.origin: WHATWG URL gives non-special
  // schemes an opaque ("null") origin outside browsers.
  if (url.protocol !== 'chrome-extension:' || url.host !== self.id)
    throw reject('not an extension page');
  if (sender.origin !== undefined && sender.origin !== origin) throw reject('origin mismatch');
  if (!pagePaths.has(url.pathname)) throw reject('not a Parley page');
}

/** Sender check, schema check, locked gate, handler; everything becomes an RpcResult. */
export async function handleRequest(
  context: RequestContext,
  type: unknown,
  data: unknown,
  sender: SenderInfo | undefined,
  self: SelfInfo,
  report: (what: string, error: unknown) => void = () => {},
): Promise<RpcResult<unknown>> {
  try {
    checkSender(sender, self);
    if (!isRequestType(type)) {
      throw extError(ExtErrorCode.UNKNOWN_REQUEST, 'Unknown request', {
        type: String(type).slice(0, 64),
      });
    }
    return { ok: true, value: await dispatch(context, type, data) };
  } catch (e) {
    if (!(e instanceof ParleyError)) report(`request ${String(type)}`, e);
    return { ok: false, error: toWireError(e) };
  }
}

/** The slice of @webext-core's messenger the worker uses. */
export interface RpcMessenger {
  onMessage<K extends RequestType>(
    type: K,
    handler: (message: {
      data: unknown;
      sender: SenderInfo;
    }) => Promise<ReturnType<WireProtocol[K]>>,
  ): () => void;
}

/**
 * Registers one handler per request type, synchronously (MV3 delivers the
 * event that woke the worker only to listeners added in its first turn).
 * `context` resolves once storage is open.
 */
export function registerRpc(
  messenger: RpcMessenger,
  context: () => Promise<RequestContext>,
  self: SelfInfo,
  report: (what: string, error: unknown) => void,
): void {
  for (const type of REQUEST_TYPES) {
    messenger.onMessage(type, async ({ data, sender }) => {
      let ctx: RequestContext;
      try {
        ctx = await context();
      } catch (e) {
        report('start', e);
        return { ok: false, error: toWireError(e) } as ReturnType<WireProtocol[typeof type]>;
      }
      return (await handleRequest(ctx, type, data, sender, self, report)) as ReturnType<
        WireProtocol[typeof type]
      >;
    });
  }
}

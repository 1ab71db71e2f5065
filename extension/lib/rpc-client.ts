/**
 * How pages call the worker: `call('sendText', {...})` resolves with the
 * answer or throws a ParleyError with the worker's stable code. A worker that
 * cannot be reached at all (being restarted, crashed) becomes
 * WORKER_UNREACHABLE after one quick retry.
 *
 * Runs in: pages.
 */
import { ParleyError } from '../../shared/errors.ts';
import { ExtErrorCode, extError, fromWireError, type RpcResult } from './errors.ts';
import { messenger, type RequestOf, type RequestType, type ResponseOf } from './messaging.ts';

const RETRY_DELAY_MS = 250;

async function send<K extends RequestType>(
  type: K,
  data: RequestOf<K>,
): Promise<RpcResult<ResponseOf<K>>> {
  // The messenger's overloads need the payload spelled out per type; the map
  // already guarantees `data` matches `type`.
  const sendMessage = messenger.sendMessage as (
    type: K,
    data: RequestOf<K>,
  ) => Promise<RpcResult<ResponseOf<K>>>;
  return sendMessage(type, data);
}

export async function call<K extends RequestType>(
  type: K,
  ...args: RequestOf<K> extends undefined ? [] : [data: RequestOf<K>]
): Promise<ResponseOf<K>> {
  const data = args[0] as RequestOf<K>;
  let result: RpcResult<ResponseOf<K>> | undefined;
  for (let attempt = 0; result === undefined; attempt++) {
    try {
      result = await send(type, data);
    } catch (e) {
      if (e instanceof ParleyError) throw e;
      if (attempt >= 1)
        throw extError(ExtErrorCode.WORKER_UNREACHABLE, 'The background service did not answer');
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    }
  }
  if (result.ok) return result.value;
  throw fromWireError(result.error);
}

/**
 * THE request table: every request a page can make of the worker, one row
 * each (payload schema, whether the vault must be open, handler; row.ts).
 * The protocol types pages program against (lib/messaging.ts), the list of
 * types the worker listens for, the payload check and the locked gate all
 * come from here. docs/extension.md "How to add a request".
 *
 * Runs in: the service worker and Node (tests); pages import its types only.
 */
import * as v from 'valibot';
import { ErrorCode, ParleyError } from '../../../../shared/errors.ts';
import { ExtErrorCode, extError } from '../../../lib/errors.ts';
import { attachmentRequests } from './attachments.ts';
import { backupRequests } from './backups.ts';
import { chatRequests } from './chats.ts';
import { contactRequests } from './contacts.ts';
import { deviceRequests } from './devices.ts';
import { describeIssue } from './fields.ts';
import { groupRequests } from './groups.ts';
import { passkeyRestoreRequests } from './passkey-restore.ts';
import type { RequestContext, RequestRow } from './row.ts';
import { sessionRequests } from './session.ts';

export const requests = {
  ...sessionRequests,
  ...chatRequests,
  ...groupRequests,
  ...contactRequests,
  ...attachmentRequests,
  ...deviceRequests,
  ...backupRequests,
  ...passkeyRestoreRequests,
};

export type RequestTable = typeof requests;
export type RequestType = keyof RequestTable;
/** What a page sends: the schema's input type. */
export type RequestOf<K extends RequestType> = v.InferInput<RequestTable[K]['input']>;
/** What the worker answers. */
export type ResponseOf<K extends RequestType> = Awaited<ReturnType<RequestTable[K]['run']>>;

/** Every request type, for the worker to register a handler for each and reject others. */
export const REQUEST_TYPES = Object.keys(requests) as readonly RequestType[];

export function isRequestType(type: unknown): type is RequestType {
  return typeof type === 'string' && Object.hasOwn(requests, type);
}

type AnyRow = RequestRow<v.GenericSchema, unknown>;

function rowOf(type: RequestType): AnyRow {
  // Each row ties its handler to its own schema; through a union key
  // TypeScript cannot follow that, so rows are handled through one erasure.
  return requests[type] as unknown as AnyRow;
}

/**
 * Validates a payload against its row's schema; throws BODY_INVALID naming
 * the first offending field (details: the request type, the field's `path`,
 * and the `reason`: the rule it broke). valibot's own messages quote the received
 * value, which could be a passphrase, so they are never passed on verbatim.
 */
export function parseRequest<K extends RequestType>(
  type: K,
  data: unknown,
): v.InferOutput<RequestTable[K]['input']> {
  const result = v.safeParse(rowOf(type).input, data);
  if (result.success) return result.output as v.InferOutput<RequestTable[K]['input']>;
  const first = result.issues[0];
  const { path, reason, message } =
    first === undefined
      ? { path: '', reason: 'failed', message: 'Invalid request' }
      : describeIssue(first);
  // Pages render from `path` and `reason` (docs/errors.md), never from the message.
  throw new ParleyError(
    ErrorCode.BODY_INVALID,
    message,
    path === '' ? { type, reason } : { type, path, reason },
  );
}

/** The locked gate, then the handler, for an input that already passed its schema. */
export async function runRequest<K extends RequestType>(
  ctx: RequestContext,
  type: K,
  input: v.InferOutput<RequestTable[K]['input']>,
): Promise<ResponseOf<K>> {
  const row = rowOf(type);
  if (row.unlocked && !ctx.shell.isUnlocked())
    throw extError(ExtErrorCode.VAULT_LOCKED, 'Parley is locked');
  return (await row.run(ctx, input)) as ResponseOf<K>;
}

/** A page's request: payload check, locked gate, handler. */
export async function dispatch(
  ctx: RequestContext,
  type: RequestType,
  data: unknown,
): Promise<unknown> {
  return runRequest(ctx, type, parseRequest(type, data));
}

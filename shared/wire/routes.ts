/**
 * The relay's REST API as data: method, path template, who may call it, and
 * the schemas of its JSON request and response bodies. The relay mounts its
 * handlers from this table (and can derive /openapi.json from it); clients
 * build requests from it. `bytes` marks a raw application/octet-stream body.
 *
 * Authentication:
 *   none     public (passkey ceremonies, attachment downloads), rate-limited per IP
 *   session  `Authorization: Bearer <token>` from login/register verify
 *   device   `Authorization: Parley-Device ...` (device-request.ts)
 *   management `Authorization: Parley-Manage ...`, signed by the identity key
 *   either   session or device
 *   session-or-management  session or identity key
 *   upload   `Authorization: Bearer <uploadToken>` from attachmentCreate
 *   backup   `Authorization: Parley-Backup ...`, signed by a backup auth key (backup-request.ts)
 */
import type * as v from 'valibot';
import { ErrorCode, fail } from '../errors.ts';
import {
  AttachmentCreatedResponseSchema,
  AttachmentCreateRequestSchema,
  AttachmentInfoResponseSchema,
  AttachmentStatusResponseSchema,
} from './rest-attachments.ts';
import {
  CreationOptionsResponseSchema,
  LoginOptionsRequestSchema,
  LoginVerifyRequestSchema,
  PasskeyAddedResponseSchema,
  RegisterOptionsRequestSchema,
  RegistrationVerifyRequestSchema,
  RequestOptionsResponseSchema,
  SessionResponseSchema,
} from './rest-auth.ts';
import {
  SnapshotInfoSchema,
  SnapshotListResponseSchema,
  SnapshotStartRequestSchema,
  SnapshotUploadResponseSchema,
} from './rest-backups.ts';
import {
  BlockListResponseSchema,
  DeviceListPublishedResponseSchema,
  DeviceListPublishSchema,
  DeviceListResponseSchema,
  DeviceRegisteredResponseSchema,
  DeviceRegistrationSchema,
  DeviceRenameSchema,
  IdentityResetResponseSchema,
  IdentityResetSchema,
  OwnDevicesResponseSchema,
  PrekeyBundlesResponseSchema,
  PrekeyStatusResponseSchema,
  PrekeyUploadSchema,
  UserLookupResponseSchema,
} from './rest-devices.ts';
import { EmptyBodySchema } from './rest-fields.ts';
import {
  LinkMessagesResponseSchema,
  LinkPostedResponseSchema,
  LinkPostRequestSchema,
  LinkStrikeResponseSchema,
  RendezvousCreatedResponseSchema,
  RendezvousFoundResponseSchema,
} from './rest-link.ts';
import { RecoveryWrapSchema } from './rest-recovery-wraps.ts';

/**
 * Who may call: `device` = signed by the device key (works while the extension
 * is locked); `management` = signed by the identity key (only while unlocked;
 * docs/wire.md, "Authentication"); `either` = session token or device key;
 * `session-or-management` = session token or identity key; `upload` = the
 * bearer upload token of one attachment (its chunk, status and complete routes);
 * `backup` = signed by the auth key of the backup id in the path (no account).
 */
export type RouteAuth =
  | 'none'
  | 'session'
  | 'device'
  | 'management'
  | 'either'
  | 'session-or-management'
  | 'upload'
  | 'backup';
export type RouteBody = v.GenericSchema | 'bytes' | null;

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly auth: RouteAuth;
  readonly request: RouteBody;
  /** Success status and body; errors are always ErrorResponse JSON. */
  readonly status: 200 | 201 | 204;
  readonly response: RouteBody;
  /**
   * Other success answers: 206 (a Range read), 307 (the bytes live in an
   * object store: follow the Location, a presigned URL).
   */
  readonly also?: readonly (206 | 307)[];
  readonly summary: string;
}

export const routes = {
  registerOptions: {
    method: 'POST',
    path: '/v1/auth/register/options',
    auth: 'none',
    request: RegisterOptionsRequestSchema,
    status: 200,
    response: CreationOptionsResponseSchema,
    summary: 'Start creating an account: reserve a handle, get passkey creation options',
  },
  registerVerify: {
    method: 'POST',
    path: '/v1/auth/register/verify',
    auth: 'none',
    request: RegistrationVerifyRequestSchema,
    status: 201,
    response: SessionResponseSchema,
    summary: 'Finish creating an account with the new passkey; returns a session token',
  },
  loginOptions: {
    method: 'POST',
    path: '/v1/auth/login/options',
    auth: 'none',
    request: LoginOptionsRequestSchema,
    status: 200,
    response: RequestOptionsResponseSchema,
    summary: 'Start a passkey login',
  },
  loginVerify: {
    method: 'POST',
    path: '/v1/auth/login/verify',
    auth: 'none',
    request: LoginVerifyRequestSchema,
    status: 200,
    response: SessionResponseSchema,
    summary: 'Finish a passkey login; returns a session token',
  },
  passkeyOptions: {
    method: 'POST',
    path: '/v1/auth/passkeys/options',
    auth: 'session',
    request: EmptyBodySchema,
    status: 200,
    response: CreationOptionsResponseSchema,
    summary: 'Start adding another passkey to the signed-in account',
  },
  passkeyVerify: {
    method: 'POST',
    path: '/v1/auth/passkeys/verify',
    auth: 'session',
    request: RegistrationVerifyRequestSchema,
    status: 201,
    response: PasskeyAddedResponseSchema,
    summary: 'Finish adding a passkey',
  },
  registerDevice: {
    method: 'POST',
    path: '/v1/devices',
    auth: 'session',
    request: DeviceRegistrationSchema,
    status: 201,
    response: DeviceRegisteredResponseSchema,
    summary: 'Register this device with its identity, certificate and prekeys',
  },
  ownDevices: {
    method: 'GET',
    path: '/v1/devices',
    auth: 'session',
    request: null,
    status: 200,
    response: OwnDevicesResponseSchema,
    summary:
      'The caller\'s own registered devices with when each was added and last connected (a restore\'s "is another device alive?")',
  },
  removeDevice: {
    method: 'DELETE',
    path: '/v1/devices/:device',
    auth: 'session-or-management',
    request: null,
    status: 204,
    response: null,
    summary: "Remove one of the account's devices (its id is never reused)",
  },
  renameDevice: {
    method: 'PUT',
    path: '/v1/device-name',
    auth: 'device',
    request: DeviceRenameSchema,
    status: 204,
    response: null,
    summary: "Rename the calling device (the name is shown only to the device's own account)",
  },
  publishDeviceList: {
    method: 'PUT',
    path: '/v1/device-list',
    auth: 'management',
    request: DeviceListPublishSchema,
    status: 200,
    response: DeviceListPublishedResponseSchema,
    summary:
      "Publish the next version of the account's signed device list; devices left out are revoked",
  },
  resetIdentity: {
    method: 'POST',
    path: '/v1/identity/reset',
    auth: 'session',
    request: IdentityResetSchema,
    status: 200,
    response: IdentityResetResponseSchema,
    summary:
      'Replace the account identity (fresh passkey session): this device under the new key, list v1 naming it alone; every other device revoked',
  },
  deviceList: {
    method: 'GET',
    path: '/v1/users/:user/devices',
    auth: 'device',
    request: null,
    status: 200,
    response: DeviceListResponseSchema,
    summary: "A user's identity and active devices",
  },
  bundles: {
    method: 'GET',
    path: '/v1/users/:user/bundles',
    auth: 'device',
    request: null,
    status: 200,
    response: PrekeyBundlesResponseSchema,
    summary: 'Prekey bundles for every device of a user (consumes one one-time prekey each)',
  },
  bundle: {
    method: 'GET',
    path: '/v1/users/:user/bundles/:device',
    auth: 'device',
    request: null,
    status: 200,
    response: PrekeyBundlesResponseSchema,
    summary: 'The prekey bundle of one device',
  },
  prekeyStatus: {
    method: 'GET',
    path: '/v1/prekeys',
    auth: 'device',
    request: null,
    status: 200,
    response: PrekeyStatusResponseSchema,
    summary:
      'How many one-time prekeys the relay holds for this device, and the current prekey ids',
  },
  prekeyUpload: {
    method: 'PUT',
    path: '/v1/prekeys',
    auth: 'management',
    request: PrekeyUploadSchema,
    status: 200,
    response: PrekeyStatusResponseSchema,
    summary: 'Refill one-time prekeys and/or rotate the signed and ML-KEM prekeys',
  },
  lookupHandle: {
    method: 'GET',
    path: '/v1/handles/:handle',
    auth: 'either',
    request: null,
    status: 200,
    response: UserLookupResponseSchema,
    summary: 'Find a user by canonical handle',
  },
  blockList: {
    method: 'GET',
    path: '/v1/blocks',
    auth: 'device',
    request: null,
    status: 200,
    response: BlockListResponseSchema,
    summary: 'Users this account has blocked',
  },
  block: {
    method: 'PUT',
    path: '/v1/blocks/:user',
    auth: 'management',
    request: null,
    status: 204,
    response: null,
    summary:
      "Block a user: the relay drops their sends to this account (the sender still sees 'stored')",
  },
  unblock: {
    method: 'DELETE',
    path: '/v1/blocks/:user',
    auth: 'management',
    request: null,
    status: 204,
    response: null,
    summary: 'Unblock a user',
  },
  attachmentCreate: {
    method: 'POST',
    path: '/v1/attachments',
    auth: 'device',
    request: AttachmentCreateRequestSchema,
    status: 201,
    response: AttachmentCreatedResponseSchema,
    summary:
      "Start an encrypted attachment upload of a declared ciphertext size (413 above the limit); purpose 'transfer': a linking history blob kept 1 h (403 TRANSFER_NOT_ALLOWED unless the account gained a device within the hour)",
  },
  attachmentChunkPut: {
    method: 'PUT',
    path: '/v1/attachments/:id/chunks/:index',
    auth: 'upload',
    request: 'bytes',
    status: 204,
    response: null,
    also: [307],
    summary: 'Upload one ciphertext chunk of its exact length; again replaces it (resumable)',
  },
  attachmentStatus: {
    method: 'GET',
    path: '/v1/attachments/:id/status',
    auth: 'upload',
    request: null,
    status: 200,
    response: AttachmentStatusResponseSchema,
    summary: 'The chunk indexes already stored, for resuming an upload',
  },
  attachmentComplete: {
    method: 'POST',
    path: '/v1/attachments/:id/complete',
    auth: 'upload',
    request: EmptyBodySchema,
    status: 200,
    response: AttachmentInfoResponseSchema,
    summary: 'Finish an upload: every chunk must be stored with its exact length',
  },
  attachmentInfo: {
    method: 'GET',
    path: '/v1/attachments/:id',
    auth: 'none',
    request: null,
    status: 200,
    response: AttachmentInfoResponseSchema,
    summary: 'Size and chunking of a complete attachment (the id is the capability)',
  },
  attachmentChunkGet: {
    method: 'GET',
    path: '/v1/attachments/:id/chunks/:index',
    auth: 'none',
    request: null,
    status: 200,
    response: 'bytes',
    also: [206, 307],
    summary: 'Download one ciphertext chunk (Range supported; the id is the capability)',
  },
  attachmentDelete: {
    method: 'DELETE',
    path: '/v1/attachments/:id',
    auth: 'device',
    request: null,
    status: 204,
    response: null,
    summary:
      "Delete an attachment now (any device of the uploader's account, e.g. a transfer blob's ACK; anyone else gets 404)",
  },
  linkCreate: {
    method: 'POST',
    path: '/v1/link/rendezvous',
    auth: 'none',
    request: EmptyBodySchema,
    status: 201,
    response: RendezvousCreatedResponseSchema,
    summary: 'A new device opens a linking rendezvous (5 min): its id and 4-character locator',
  },
  linkFind: {
    method: 'GET',
    path: '/v1/link/locators/:locator',
    auth: 'none',
    request: null,
    status: 200,
    response: RendezvousFoundResponseSchema,
    summary: 'The existing device finds the rendezvous from the locator in the typed code',
  },
  linkPost: {
    method: 'POST',
    path: '/v1/link/rendezvous/:rid/messages/:side',
    auth: 'none',
    request: LinkPostRequestSchema,
    status: 201,
    response: LinkPostedResponseSchema,
    summary: "Post an opaque message to a side's mailbox (new or existing); returns its number",
  },
  linkRead: {
    method: 'GET',
    path: '/v1/link/rendezvous/:rid/messages/:side/:after',
    auth: 'none',
    request: null,
    status: 200,
    response: LinkMessagesResponseSchema,
    summary: "A side's messages numbered above :after (poll)",
  },
  linkStrike: {
    method: 'POST',
    path: '/v1/link/rendezvous/:rid/strikes',
    auth: 'none',
    request: EmptyBodySchema,
    status: 200,
    response: LinkStrikeResponseSchema,
    summary: 'Report a failed key confirmation; the third deletes the rendezvous',
  },
  linkClose: {
    method: 'DELETE',
    path: '/v1/link/rendezvous/:rid',
    auth: 'none',
    request: null,
    status: 204,
    response: null,
    summary: 'Delete a rendezvous (linking finished or abandoned)',
  },
  backupStart: {
    method: 'POST',
    path: '/v1/backups/:backupId/snapshots',
    auth: 'backup',
    request: SnapshotStartRequestSchema,
    status: 201,
    response: SnapshotUploadResponseSchema,
    summary:
      'Start uploading a snapshot (the first one pins the auth key); drops any unfinished upload',
  },
  backupChunkPut: {
    method: 'PUT',
    path: '/v1/backups/:backupId/snapshots/:seq/chunks/:index',
    auth: 'backup',
    request: 'bytes',
    status: 204,
    response: null,
    summary: 'Upload one chunk of an unfinished snapshot; again replaces it (resumable)',
  },
  backupComplete: {
    method: 'POST',
    path: '/v1/backups/:backupId/snapshots/:seq/complete',
    auth: 'backup',
    request: EmptyBodySchema,
    status: 200,
    response: SnapshotInfoSchema,
    summary: 'Finish a snapshot; the relay keeps the two with the highest seq',
  },
  backupList: {
    method: 'GET',
    path: '/v1/backups/:backupId/snapshots',
    auth: 'backup',
    request: null,
    status: 200,
    response: SnapshotListResponseSchema,
    summary: 'The complete snapshots (seq, size, chunks, when stored), highest seq first',
  },
  backupChunkGet: {
    method: 'GET',
    path: '/v1/backups/:backupId/snapshots/:seq/chunks/:index',
    auth: 'backup',
    request: null,
    status: 200,
    response: 'bytes',
    also: [206],
    summary: 'Download one chunk of a complete snapshot (Range supported)',
  },
  backupDelete: {
    method: 'DELETE',
    path: '/v1/backups/:backupId',
    auth: 'backup',
    request: null,
    status: 204,
    response: null,
    summary: 'Delete every snapshot and the pinned auth key of this backup id',
  },
  recoveryWrapPut: {
    method: 'PUT',
    path: '/v1/recovery-wraps/:credential',
    auth: 'management',
    request: RecoveryWrapSchema,
    status: 204,
    response: null,
    summary:
      "Keep the recovery key wrapped by this passkey's PRF (opaque to the relay); again replaces it",
  },
  recoveryWrapGet: {
    method: 'GET',
    path: '/v1/recovery-wraps/:credential',
    auth: 'session',
    request: null,
    status: 200,
    response: RecoveryWrapSchema,
    summary: 'The recovery key wrapped by this passkey, for a restore after a passkey login',
  },
  recoveryWrapDelete: {
    method: 'DELETE',
    path: '/v1/recovery-wraps/:credential',
    auth: 'management',
    request: null,
    status: 204,
    response: null,
    summary: 'Forget the recovery key wrapped by this passkey',
  },
  recoveryWrapsDelete: {
    method: 'DELETE',
    path: '/v1/recovery-wraps',
    auth: 'management',
    request: null,
    status: 204,
    response: null,
    summary:
      'Forget every passkey-wrapped recovery key of the account (a new recovery key, backups off)',
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof routes;

/**
 * Fills a path template: `buildPath('/v1/users/:user/devices', { user })`.
 * Values are percent-encoded; a missing parameter throws BAD_ARGUMENT.
 */
export function buildPath(
  template: string,
  params: Readonly<Record<string, string | number>> = {},
): string {
  return template.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) fail(ErrorCode.BAD_ARGUMENT, `Missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

/**
 * What one request is: a row of the request table (table.ts). A row is data:
 * the valibot schema its payload must pass, whether the vault must be open,
 * and the handler that answers it from the client core and the shell.
 *
 * Runs in: the service worker and Node (tests).
 */
import type * as v from 'valibot';
import type { Authenticator } from '../../../../shared/client/account/account.ts';
import type { RestoreIntoNewDeviceDeps } from '../../../../shared/client/backup/restore-new-device.ts';
import type { ParleyClient } from '../../../../shared/client/parley-client.ts';
import type { RelayApi } from '../../../../shared/client/relay/relay-api.ts';
import type { SessionResponse } from '../../../../shared/wire/rest-auth.ts';
import type { BackupService } from '../backups.ts';
import type { ChatViews } from '../chat-views.ts';
import type { ClientRuntime } from '../client-runtime.ts';
import type { DeviceNotices } from '../device-notices.ts';
import type { LinkJobs } from '../link-jobs.ts';
import type { PasskeyRestore } from '../passkey-restore.ts';
import type { ParleyShell } from '../service.ts';
import type { UserVerification } from '../user-verification.ts';

/** Linking, user verification and device notices (requests/devices.ts). */
export interface DeviceServices {
  readonly links: LinkJobs;
  readonly verification: UserVerification;
  readonly notices: DeviceNotices;
}

/** Backups and restore (requests/backups.ts); user verification comes from DeviceServices. */
export interface BackupServices {
  readonly backups: BackupService;
  /** A passkey login of the account with this handle on that relay (a fresh install has no account). */
  readonly login: (
    relayUrl: string,
    handle: string,
  ) => (authenticator: Authenticator) => Promise<SessionResponse>;
  readonly restoreDeps: RestoreIntoNewDeviceDeps;
  /** "Let my passkey restore backups" (passkey-restore.ts). */
  readonly passkey: PasskeyRestore;
  /** A relay client for a fresh install (no device yet: session routes only). */
  readonly relayApi: (relayUrl: string) => RelayApi;
}

/** What handlers work with. */
export interface RequestContext {
  /** The messaging core (shared/client): what chat, group and contact handlers call. */
  readonly client: ParleyClient;
  /** The client's data as pages see it: names, presence, typing (chat-views.ts). */
  readonly views: ChatViews;
  /** The client's life in the worker: registration, reconnects (client-runtime.ts). */
  readonly runtime: ClientRuntime;
  /** Vault, onboarding record, settings, status, auto-lock, focus (service.ts). */
  readonly shell: ParleyShell;
  /** The conversation's system notification goes away (it was read or deleted). */
  readonly clearNotification: (conversationId: string) => void;
  /** Absent in tests that do not link (requests/devices.ts refuses then). */
  readonly devices?: DeviceServices;
  /** Absent in tests that do not back up (requests/backups.ts refuses then). */
  readonly backups?: BackupServices;
}

/** The linking services, or a programming error where a context was built without them. */
export function deviceServices(ctx: RequestContext): DeviceServices {
  if (ctx.devices === undefined) throw new Error('device services are not wired');
  return ctx.devices;
}

/** The backup services, or a programming error where a context was built without them. */
export function backupServices(ctx: RequestContext): BackupServices {
  if (ctx.backups === undefined) throw new Error('backup services are not wired');
  return ctx.backups;
}

export interface RequestRow<S extends v.GenericSchema, R> {
  /** The payload's schema: its input type is what pages send, its output what `run` gets. */
  readonly input: S;
  /** Refused with VAULT_LOCKED (after the payload check) unless the vault is open. */
  readonly unlocked: boolean;
  readonly run: (ctx: RequestContext, input: v.InferOutput<S>) => Promise<R>;
}

/** Declares a row; only here so TypeScript infers the schema and answer types per row. */
export function request<S extends v.GenericSchema, R>(row: RequestRow<S, R>): RequestRow<S, R> {
  return row;
}

/**
 * Backups (docs/extension.md, "Backups"): turning them on (the recovery key
 * comes back ONCE), their status, "Back up now", the recovery key again
 * (after a fresh passkey verification), a `.parleybackup` file, and the
 * restore of a fresh install from the relay or a file.
 *
 * Restoring runs in three requests: the page checks the recovery key's
 * checksum itself (pure, before any network call), then `restoreLoginBegin`
 * starts a passkey login of the account by handle, the page answers it
 * through `finishUserVerification`, `restoreSnapshots` lists the relay's
 * snapshots for that account and key (the proof is looked at, not used up),
 * `restoreActivity` says whether another device of the account is still
 * alive (the page then offers linking first; the proof is looked at too),
 * and `restoreBackup` takes that proof and makes this browser a new device
 * of the account from the chosen snapshot (or a file).
 *
 * Runs in: the service worker and Node (tests).
 */
import * as v from 'valibot';
import { parseRecoveryKey } from '../../../../shared/backup/recovery-key.ts';
import { fromBase64Url, toBase64Url } from '../../../../shared/bytes.ts';
import { restoreIntoNewDevice } from '../../../../shared/client/backup/restore-new-device.ts';
import { ExtErrorCode, extError } from '../../../lib/errors.ts';
import type {
  BackupStatus,
  RestoreActivity,
  RestoreResult,
  RestoreSnapshot,
} from '../../../lib/protocol.ts';
import { restoreActivity } from '../restore-activity.ts';
import { listRestoreSnapshots } from '../restore-snapshots.ts';
import { handle, none, relayUrl } from './fields.ts';
import { backupServices, deviceServices, request } from './row.ts';

/** Typed text: the parser forgives case, spaces, dashes and look-alikes. */
const recoveryKeyText = v.pipe(v.string(), v.minLength(1), v.maxLength(200));
/** A backup file as base64url; chrome.runtime messages stop at 64 MiB. */
export const BACKUP_FILE_MAX_CHARS = 48 * 1024 * 1024;
const backupFile = v.pipe(
  v.string(),
  v.maxLength(BACKUP_FILE_MAX_CHARS, 'is too large for a backup file'),
  v.regex(/^[A-Za-z0-9_-]+$/, 'must be base64url'),
);

/** The file name a download suggests: the handle and the date, nothing secret. */
function fileName(handle: string, at: number): string {
  return `parley-${handle}-${new Date(at).toISOString().slice(0, 10)}.parleybackup`;
}

export const backupRequests = {
  backupStatus: request({
    input: none,
    unlocked: true,
    run: (ctx): Promise<BackupStatus> => backupServices(ctx).backups.status(),
  }),

  /** Turns backups on; the answer is the only time the page gets the key without a verification. */
  backupEnable: request({
    input: none,
    unlocked: true,
    run: async (ctx): Promise<{ recoveryKey: string }> => ({
      recoveryKey: await backupServices(ctx).backups.enable(),
    }),
  }),

  backupDisable: request({
    input: none,
    unlocked: true,
    run: async (ctx): Promise<null> => {
      // The passkey's wrap of this recovery key goes with it (passkey-restore.ts).
      await backupServices(ctx).passkey.forget();
      await backupServices(ctx).backups.disable();
      return null;
    },
  }),

  backupNow: request({
    input: none,
    unlocked: true,
    run: (ctx): Promise<BackupStatus> => backupServices(ctx).backups.backupNow(),
  }),

  /** "Show my recovery key again": needs a fresh passkey verification (user-verification.ts). */
  backupRecoveryKey: request({
    input: none,
    unlocked: true,
    run: async (ctx): Promise<{ recoveryKey: string }> => {
      deviceServices(ctx).verification.take();
      return { recoveryKey: await backupServices(ctx).backups.recoveryKey() };
    },
  }),

  /** A `.parleybackup` file's bytes (sealed under the recovery key) for the page to save. */
  backupFile: request({
    input: none,
    unlocked: true,
    run: async (ctx): Promise<{ name: string; bytes: string }> => {
      const bytes = await backupServices(ctx).backups.file();
      const account = ctx.client.account();
      return {
        name: fileName(account?.handle ?? 'account', backupServices(ctx).restoreDeps.now()),
        bytes: toBase64Url(bytes),
      };
    },
  }),

  /** A fresh install: starts a passkey login of the account; the page runs the ceremony. */
  restoreLoginBegin: request({
    input: v.strictObject({ relayUrl, handle }),
    unlocked: true,
    run: async (ctx, input): Promise<Readonly<Record<string, unknown>>> => {
      if ((await ctx.shell.deps.account.get())?.registered)
        throw extError(ExtErrorCode.ONBOARDING_DONE, 'This browser already has a Parley account');
      return deviceServices(ctx).verification.begin(
        backupServices(ctx).login(input.relayUrl, input.handle),
      );
    },
  }),

  /** The relay's snapshots for this key and the account just logged in, newest first. */
  restoreSnapshots: request({
    input: v.strictObject({ relayUrl, recoveryKey: recoveryKeyText }),
    unlocked: true,
    run: async (ctx, input): Promise<RestoreSnapshot[]> => {
      parseRecoveryKey(input.recoveryKey).fill(0);
      if ((await ctx.shell.deps.account.get())?.registered)
        throw extError(ExtErrorCode.ONBOARDING_DONE, 'This browser already has a Parley account');
      const { session } = deviceServices(ctx).verification.peek();
      return listRestoreSnapshots(backupServices(ctx).restoreDeps, {
        relayUrl: input.relayUrl,
        recoveryKey: input.recoveryKey,
        user: session.user,
      });
    },
  }),

  /**
   * Whether another device of the account just logged in connected within 14 days (the page then
   * points to linking first); asked with the login's session, which stays for restoreBackup.
   */
  restoreActivity: request({
    input: v.strictObject({ relayUrl }),
    unlocked: true,
    run: async (ctx, input): Promise<RestoreActivity> => {
      if ((await ctx.shell.deps.account.get())?.registered)
        throw extError(ExtErrorCode.ONBOARDING_DONE, 'This browser already has a Parley account');
      const { session } = deviceServices(ctx).verification.peek();
      const { relayApi, restoreDeps } = backupServices(ctx);
      return restoreActivity(
        { api: relayApi(input.relayUrl), now: restoreDeps.now },
        { sessionToken: session.token },
      );
    },
  }),

  /**
   * Restores the chosen snapshot on the relay (default the newest), or the given file, into this
   * empty profile as a new device of the account (restore-new-device.ts);
   * `removeOthers` unlists every other device of the account ("they are lost").
   * RECOVERY_KEY_INVALID before anything else; ARCHIVE_WRONG_KEY and
   * ARCHIVE_DAMAGED before anything is registered or written.
   */
  restoreBackup: request({
    input: v.strictObject({
      relayUrl,
      recoveryKey: recoveryKeyText,
      file: v.optional(backupFile),
      seq: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
      removeOthers: v.optional(v.boolean()),
      deviceName: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(64))),
    }),
    unlocked: true,
    run: async (ctx, input): Promise<RestoreResult> => {
      parseRecoveryKey(input.recoveryKey).fill(0);
      const { shell, runtime } = ctx;
      if ((await shell.deps.account.get())?.registered)
        throw extError(ExtErrorCode.ONBOARDING_DONE, 'This browser already has a Parley account');
      const { session } = deviceServices(ctx).verification.take();
      const restored = await restoreIntoNewDevice(ctx.client, backupServices(ctx).restoreDeps, {
        recoveryKey: input.recoveryKey,
        session,
        relayUrl: input.relayUrl,
        deviceName: input.deviceName ?? 'Parley for Chromium',
        removeOthers: input.removeOthers === true,
        ...(input.seq === undefined ? {} : { seq: input.seq }),
        ...(input.file === undefined ? {} : { file: fromBase64Url(input.file) }),
      });
      await shell.deps.account.set({
        handle: restored.account.handle,
        relayUrl: restored.account.relayUrl,
        registered: true,
      });
      await runtime.resume();
      await shell.publishStatus();
      return {
        handle: restored.account.handle,
        seq: restored.snapshot.seq,
        createdAt: restored.snapshot.createdAt,
      };
    },
  }),
};

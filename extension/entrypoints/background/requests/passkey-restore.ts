/**
 * The recovery key by passkey (docs/extension.md, "Backups"): the Settings
 * switch (on needs the PRF output of a fresh passkey verification; the
 * verification itself is the relay's check, user-verification.ts), and, on
 * a fresh install after the restore's passkey login, the recovery key
 * unwrapped from the relay's copy for the PRF output of that same login.
 * The page never shows the key it gets back; it continues the restore with
 * it exactly as with a typed one.
 *
 * Runs in: the service worker and Node (tests).
 */
import * as v from 'valibot';
import { fromBase64Url } from '../../../../shared/bytes.ts';
import { recoveryKeyFromPasskey } from '../../../../shared/client/backup/passkey-restore.ts';
import { ExtErrorCode, extError } from '../../../lib/errors.ts';
import { bytes32, credentialId, none, relayUrl } from './fields.ts';
import { backupServices, deviceServices, request } from './row.ts';

const passkeyPrf = { credentialId, prfOutput: bytes32 };

export const passkeyRestoreRequests = {
  passkeyRestoreStatus: request({
    input: none,
    unlocked: true,
    run: (ctx): Promise<{ on: boolean }> => backupServices(ctx).passkey.status(),
  }),

  /** Turns it on with the PRF output of the verification the page just finished. */
  passkeyRestoreEnable: request({
    input: v.strictObject(passkeyPrf),
    unlocked: true,
    run: async (ctx, input): Promise<null> => {
      deviceServices(ctx).verification.take();
      await backupServices(ctx).passkey.enable({
        credentialId: input.credentialId,
        prfOutput: fromBase64Url(input.prfOutput),
      });
      return null;
    },
  }),

  passkeyRestoreDisable: request({
    input: none,
    unlocked: true,
    run: async (ctx): Promise<null> => {
      await backupServices(ctx).passkey.disable();
      return null;
    },
  }),

  /**
   * A fresh install, after `restoreLoginBegin` and the page's PRF login: the
   * recovery key from the relay's wrap for this passkey (RECOVERY_WRAP_NOT_FOUND,
   * RECOVERY_WRAP_INVALID). The login's proof is looked at, not used up.
   */
  restoreKeyFromPasskey: request({
    input: v.strictObject({ relayUrl, ...passkeyPrf }),
    unlocked: true,
    run: async (ctx, input): Promise<{ recoveryKey: string }> => {
      if ((await ctx.shell.deps.account.get())?.registered)
        throw extError(ExtErrorCode.ONBOARDING_DONE, 'This browser already has a Parley account');
      const { session } = deviceServices(ctx).verification.peek();
      const recoveryKey = await recoveryKeyFromPasskey(
        backupServices(ctx).relayApi(input.relayUrl),
        session,
        { credentialId: input.credentialId, prfOutput: fromBase64Url(input.prfOutput) },
      );
      return { recoveryKey };
    },
  }),
};

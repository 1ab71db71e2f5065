/**
 * Requests about the session rather than messages: status and activity,
 * onboarding (the passkey ceremony itself runs in the page: WebAuthn needs a
 * document), the vault, settings, and the side panel's focus.
 *
 * Runs in: the service worker and Node (tests).
 */
import * as v from 'valibot';
import { fromBase64Url } from '../../../../shared/bytes.ts';
import { ExtErrorCode, extError } from '../../../lib/errors.ts';
import type { AppStatus, Settings } from '../../../lib/protocol.ts';
import type { ParleyShell } from '../service.ts';
import {
  handle,
  id,
  none,
  registrationCredential,
  relayUrl,
  settingsPatch,
  vaultCreateSecret,
  vaultUnlockSecret,
} from './fields.ts';
import { request } from './row.ts';

const alreadyRegistered = () =>
  extError(ExtErrorCode.ONBOARDING_DONE, 'This browser already has a Parley account');

async function refuseIfRegistered(shell: ParleyShell): Promise<void> {
  if ((await shell.deps.account.get())?.registered) throw alreadyRegistered();
}

export const sessionRequests = {
  getStatus: request({
    input: none,
    unlocked: false,
    run: ({ shell }): Promise<AppStatus> => shell.status(),
  }),

  /** A page saw user input: postpone auto-lock. */
  touch: request({
    input: none,
    unlocked: false,
    run: async ({ shell }): Promise<null> => {
      await shell.touch();
      return null;
    },
  }),

  /** "Retry now": connect to the relay at once instead of after the backoff wait. */
  reconnectNow: request({
    input: none,
    unlocked: false,
    run: async ({ runtime, shell }): Promise<AppStatus> => {
      await runtime.reconnectNow();
      return shell.status();
    },
  }),

  checkRelay: request({
    input: v.strictObject({ relayUrl }),
    unlocked: false,
    run: ({ shell }, input) => shell.deps.probeRelay(input.relayUrl),
  }),

  /** Errors: HANDLE_TAKEN, RELAY_UNREACHABLE. The vault may not exist yet. */
  beginRegistration: request({
    input: v.strictObject({ relayUrl, handle }),
    unlocked: false,
    run: async ({ runtime, shell }, input) => {
      await refuseIfRegistered(shell);
      const start = await runtime.beginRegistration(input);
      await shell.deps.account.set({ ...input, registered: false });
      return start;
    },
  }),

  createVault: request({
    input: vaultCreateSecret,
    unlocked: false,
    run: async ({ shell }, secret): Promise<AppStatus> => {
      await shell.deps.vault.create(
        secret.method === 'prf'
          ? {
              method: 'prf',
              credentialId: secret.credentialId,
              prfSalt: fromBase64Url(secret.prfSalt),
              prfOutput: fromBase64Url(secret.prfOutput),
            }
          : { method: 'passphrase', passphrase: secret.passphrase },
      );
      return shell.opened();
    },
  }),

  /** The relay verifies the passkey; identity and device keys are made and registered. */
  finishRegistration: request({
    input: v.strictObject({ credential: registrationCredential }),
    unlocked: true,
    run: async ({ runtime, shell }, { credential }): Promise<AppStatus> => {
      const { account } = shell.deps;
      const acct = await account.get();
      if (acct === null) throw extError(ExtErrorCode.VAULT_NOT_FOUND, 'Start registration first');
      if (acct.registered) throw alreadyRegistered();
      await runtime.finishRegistration({
        relayUrl: acct.relayUrl,
        handle: acct.handle,
        credential,
      });
      await account.set({ ...acct, registered: true });
      await runtime.resume();
      await shell.publishStatus();
      return shell.status();
    },
  }),

  /** Throws away an unfinished onboarding (vault without account). */
  resetOnboarding: request({
    input: none,
    unlocked: false,
    run: async ({ shell }): Promise<AppStatus> => {
      await refuseIfRegistered(shell);
      await shell.deps.vault.destroy();
      await shell.deps.wipeStorage();
      await shell.publishStatus();
      return shell.status();
    },
  }),

  getUnlockOptions: request({
    input: none,
    unlocked: false,
    run: ({ shell }) => shell.deps.vault.unlockOptions(shell.deps.rpId),
  }),

  unlock: request({
    input: vaultUnlockSecret,
    unlocked: false,
    run: async ({ shell }, secret): Promise<AppStatus> => {
      await shell.deps.vault.unlock(
        secret.method === 'prf'
          ? {
              method: 'prf',
              credentialId: secret.credentialId,
              prfOutput: fromBase64Url(secret.prfOutput),
            }
          : secret,
      );
      return shell.opened();
    },
  }),

  lock: request({
    input: none,
    unlocked: false,
    run: async ({ shell }): Promise<AppStatus> => {
      shell.deps.vault.lock();
      return shell.status();
    },
  }),

  getSettings: request({
    input: none,
    unlocked: false,
    run: ({ shell }): Promise<Settings> => shell.deps.settings.get(),
  }),

  /** Settings live in the extension (settings.ts); the client core is told what it acts on. */
  updateSettings: request({
    input: settingsPatch,
    unlocked: false,
    run: async ({ runtime, shell }, patch): Promise<Settings> => {
      const { settings, vault, autoLock, emit } = shell.deps;
      const next = await settings.update(patch);
      runtime.onSettings(next);
      if (patch.autoLockMinutes !== undefined && vault.isUnlocked())
        await autoLock.arm(next.autoLockMinutes);
      emit({ type: 'settings', settings: next });
      void shell.publishStatus();
      return next;
    },
  }),

  /** Which conversation the side panel should show when it opens. */
  setFocus: request({
    input: v.strictObject({ conversationId: id }),
    unlocked: false,
    run: async ({ shell }, { conversationId }): Promise<null> => {
      shell.setFocus(conversationId);
      return null;
    },
  }),

  takeFocus: request({
    input: none,
    unlocked: false,
    run: async ({ shell }): Promise<{ conversationId: string | null }> => ({
      conversationId: shell.takeFocus(),
    }),
  }),
};

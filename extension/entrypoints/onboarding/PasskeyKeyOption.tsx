/**
 * Restore's "Use my passkey" (docs/extension.md, "Backups"): instead of
 * typing the recovery key, the restore's passkey login also asks the passkey
 * for its PRF output, and the worker unwraps the recovery key the relay keeps
 * for that passkey (if it was turned on in Settings). The restore then goes on
 * exactly as with a typed key. Offered only where the browser can ask for a
 * PRF output.
 */
import { createSignal, type JSX, onMount, Show } from 'solid-js';
import type { RequestOf } from '../../lib/messaging.ts';
import { finishLoginWithPrf, type PasskeyPrfAnswer } from '../../lib/passkey-restore.ts';
import { call } from '../../lib/rpc-client.ts';
import { assertWithUserVerification, prfAvailable } from '../../lib/webauthn.ts';

/** Answers the restore's passkey login; with the passkey option, also its PRF output. */
export async function answerRestoreLogin(
  options: Readonly<Record<string, unknown>>,
  rpId: string,
  byPasskey: boolean,
): Promise<PasskeyPrfAnswer | undefined> {
  if (byPasskey) return finishLoginWithPrf(options);
  const assertion = await assertWithUserVerification(options, rpId);
  await call('finishUserVerification', {
    assertion: assertion as RequestOf<'finishUserVerification'>['assertion'],
  });
  return undefined;
}

/** The recovery key the relay keeps for this passkey, unwrapped by the worker (never shown). */
export async function recoveryKeyByPasskey(
  relayUrl: string,
  prf: PasskeyPrfAnswer,
): Promise<string> {
  return (await call('restoreKeyFromPasskey', { relayUrl, ...prf })).recoveryKey;
}

/** The choice between typing the key and using the passkey. */
export function PasskeyKeyOption(props: {
  using: boolean;
  onUse: (using: boolean) => void;
}): JSX.Element {
  const [available, setAvailable] = createSignal(false);
  onMount(() => void prfAvailable().then(setAvailable));
  return (
    <Show when={available()}>
      <div class="field" data-passkey-key-option>
        <Show
          when={props.using}
          fallback={
            <button type="button" class="btn btn--block" onClick={() => props.onUse(true)}>
              Use my passkey instead of typing the key
            </button>
          }
        >
          <p class="field__hint" id="restore-passkey-hint">
            Your passkey unlocks your recovery key: no need to type it. This works if you turned on
            “Let my passkey restore backups” in Settings on your old browser, with this same
            passkey.
          </p>
          <button type="button" class="btn btn--block" onClick={() => props.onUse(false)}>
            Type the recovery key instead
          </button>
        </Show>
      </div>
    </Show>
  );
}

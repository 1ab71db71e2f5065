/**
 * Settings → Backups: "Let my passkey restore backups" (docs/extension.md,
 * "Backups"). Shown only where the browser can ask a passkey for a PRF
 * output; turning it on asks for the passkey (user verification with the
 * PRF) and keeps the recovery key, wrapped under that passkey, on the relay;
 * turning it off deletes that copy.
 */
import { createSignal, type JSX, onMount, Show } from 'solid-js';
import { describeError } from '../lib/errors.ts';
import { enablePasskeyRestore } from '../lib/passkey-restore.ts';
import { call } from '../lib/rpc-client.ts';
import { prfAvailable } from '../lib/webauthn.ts';
import { ErrorLine } from './ErrorLine.tsx';
import { Toggle } from './Toggle.tsx';

export function PasskeyRestoreSwitch(): JSX.Element {
  const [available, setAvailable] = createSignal(false);
  const [on, setOn] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);

  const refresh = () =>
    call('passkeyRestoreStatus').then(
      (s) => setOn(s.on),
      (e: unknown) => setError(describeError(e)),
    );
  onMount(() => {
    void prfAvailable().then((yes) => {
      setAvailable(yes);
      if (yes) void refresh();
    });
  });

  const change = (wanted: boolean) => {
    if (busy()) return;
    setBusy(true);
    setError(null);
    (wanted ? enablePasskeyRestore() : call('passkeyRestoreDisable'))
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => {
        setBusy(false);
        void refresh();
      });
  };

  return (
    <Show when={available()}>
      <li data-passkey-restore>
        <Toggle
          label="Let my passkey restore backups (no need to type the recovery key)"
          description={
            busy()
              ? 'Waiting for your passkey…'
              : 'A copy of the recovery key, locked by your passkey, stays on the relay. On a new browser with the same passkey you can restore without typing the key. The relay cannot unlock it.'
          }
          checked={on()}
          disabled={busy()}
          onChange={change}
        />
        <ErrorLine error={error()} />
      </li>
    </Show>
  );
}

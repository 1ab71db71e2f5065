/**
 * Locked: unlock with the passkey (its PRF output opens the vault) or with
 * the passphrase, whichever this vault was set up with.
 */
import { createSignal, type JSX, onMount, Show } from 'solid-js';
import logoUrl from '../assets/icon.svg';
import { describeError } from '../lib/errors.ts';
import type { AppStatus, UnlockOptions } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { useAction } from '../lib/use-action.ts';
import { evaluatePrf } from '../lib/webauthn.ts';
import { BusyButton } from './BusyButton.tsx';
import { ErrorLine } from './ErrorLine.tsx';

/** Counts only: nothing about the waiting messages is known before unlock. */
function waitingText(n: number): string {
  return `${n} new ${n === 1 ? 'message' : 'messages'} waiting`;
}

export function LockScreen(props: { status: AppStatus }): JSX.Element {
  const [options, setOptions] = createSignal<UnlockOptions | null>(null);
  const [passphrase, setPassphrase] = createSignal('');
  const { busy, error, setError, run: attempt } = useAction();
  let field: HTMLInputElement | undefined;

  onMount(() => {
    call('getUnlockOptions')
      .then((o) => {
        setOptions(o);
        if (o.methods.includes('passphrase')) queueMicrotask(() => field?.focus());
      })
      .catch((e: unknown) => setError(describeError(e)));
  });

  const withPasskey = () =>
    attempt(async () => {
      const prf = options()?.prf;
      if (prf == null) return;
      const { credentialId, prfOutput } = await evaluatePrf(prf);
      await call('unlock', { method: 'prf', credentialId, prfOutput });
    });

  const withPassphrase = (e: SubmitEvent) => {
    e.preventDefault();
    void attempt(async () => {
      await call('unlock', { method: 'passphrase', passphrase: passphrase() });
      setPassphrase('');
    });
  };

  const account = () => props.status.account;

  return (
    <main class="lock" aria-labelledby="lock-title">
      <img class="lock__logo" src={logoUrl} alt="" />
      <h1 id="lock-title">Parley is locked</h1>
      <Show when={account()}>
        {(a) => (
          <p class="lock__who">
            @{a().handle} · {new URL(a().relayUrl).host}
          </p>
        )}
      </Show>
      <Show when={(props.status.lockedWaiting ?? 0) > 0}>
        <p class="lock__waiting" role="status">
          {waitingText(props.status.lockedWaiting ?? 0)}
        </p>
      </Show>
      <Show when={options()?.methods.includes('prf')}>
        <div class="lock__actions">
          <BusyButton
            busy={busy()}
            icon="passkey"
            label="Unlock with passkey"
            onClick={() => void withPasskey()}
            autofocus
          />
        </div>
      </Show>
      <Show when={options()?.methods.includes('passphrase')}>
        <form onSubmit={withPassphrase} aria-label="Unlock with passphrase">
          <label class="sr-only" for="unlock-passphrase">
            Passphrase
          </label>
          <input
            id="unlock-passphrase"
            ref={field}
            data-autofocus
            class="input"
            type="password"
            autocomplete="current-password"
            placeholder="Passphrase"
            value={passphrase()}
            aria-invalid={error() === null ? undefined : 'true'}
            onInput={(e) => setPassphrase(e.currentTarget.value)}
          />
          <BusyButton
            type="submit"
            busy={busy()}
            disabled={passphrase() === ''}
            icon="key"
            label="Unlock"
          />
        </form>
      </Show>
      <ErrorLine error={error()} />
    </main>
  );
}

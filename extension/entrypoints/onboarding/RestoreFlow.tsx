/**
 * Onboarding's third path: restore the account from an encrypted backup
 * (docs/extension.md, "Backups"). The person types the recovery key (case,
 * spaces and look-alikes do not matter; a typo is caught here, before
 * anything goes to the network), optionally picks a `.parleybackup` file,
 * names the relay and handle and chooses the vault passphrase; a passkey
 * login proves the account, then the worker checks the backup to its end,
 * makes this browser a new device of the account and imports it.
 */
import { createSignal, type JSX, Show } from 'solid-js';
import { browser } from 'wxt/browser';
import { parseRecoveryKey } from '../../../shared/backup/recovery-key.ts';
import { toBase64Url } from '../../../shared/bytes.ts';
import { BusyButton } from '../../components/BusyButton.tsx';
import { describeError } from '../../lib/errors.ts';
import type { RequestOf } from '../../lib/messaging.ts';
import { DEFAULT_RELAY_URL, PASSPHRASE_MIN_CHARS } from '../../lib/protocol.ts';
import { call } from '../../lib/rpc-client.ts';
import { assertWithUserVerification } from '../../lib/webauthn.ts';

type Phase = 'idle' | 'vault' | 'passkey' | 'restoring';

const PHASE_LINES: Readonly<Record<Exclude<Phase, 'idle'>, string>> = {
  vault: 'Preparing this browser…',
  passkey: 'Confirm with your passkey…',
  restoring: 'Checking and restoring your backup…',
};

/** The key's checksum, offline: the sentence for a typo, or null. */
function keyProblem(text: string): string | null {
  try {
    parseRecoveryKey(text).fill(0);
    return null;
  } catch (e) {
    return describeError(e);
  }
}

interface RestoreInput {
  readonly relayUrl: string;
  readonly handle: string;
  readonly recoveryKey: string;
  readonly passphrase: string;
  readonly file: File | null;
}

/** Vault, passkey login, restore; `phase` says which is running. */
async function restore(input: RestoreInput, phase: (p: Phase) => void): Promise<void> {
  phase('vault');
  const origin = new URL(input.relayUrl).origin;
  if (origin.startsWith('https:')) {
    const granted = await browser.permissions.request({ origins: [`${origin}/*`] });
    if (!granted) throw new Error('permission');
  }
  const { relayUrl } = await call('checkRelay', { relayUrl: input.relayUrl });
  let status = await call('getStatus');
  // A vault left by an earlier attempt (no account yet): start clean.
  if (status.onboarding === 'vault-ready') status = await call('resetOnboarding');
  if (status.vault === 'none')
    await call('createVault', { method: 'passphrase', passphrase: input.passphrase });
  const file =
    input.file === null ? undefined : toBase64Url(new Uint8Array(await input.file.arrayBuffer()));
  phase('passkey');
  const options = await call('restoreLoginBegin', { relayUrl, handle: input.handle });
  const assertion = await assertWithUserVerification(options, browser.runtime.id);
  await call('finishUserVerification', {
    assertion: assertion as RequestOf<'finishUserVerification'>['assertion'],
  });
  phase('restoring');
  await call('restoreBackup', {
    relayUrl,
    recoveryKey: input.recoveryKey,
    ...(file === undefined ? {} : { file }),
  });
}

/** The recovery key as typed, with its hint or the checksum's sentence. */
function RecoveryKeyField(props: {
  value: string;
  error: string | null;
  onInput: (value: string) => void;
}): JSX.Element {
  return (
    <div class="field">
      <label class="field__label" for="restore-key">
        Recovery key
      </label>
      <textarea
        id="restore-key"
        class="input recovery-key-input"
        rows="3"
        autocomplete="off"
        autocapitalize="characters"
        spellcheck={false}
        value={props.value}
        aria-invalid={props.error === null ? undefined : 'true'}
        aria-describedby={props.error === null ? 'restore-key-hint' : 'restore-key-error'}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      <Show
        when={props.error}
        fallback={
          <span class="field__hint" id="restore-key-hint">
            56 letters and digits in groups of four. Case and spaces do not matter.
          </span>
        }
      >
        <span class="field__error" id="restore-key-error" role="alert">
          {props.error}
        </span>
      </Show>
    </div>
  );
}

/** The new vault passphrase for this browser, twice. */
function PassphraseFields(props: {
  passphrase: string;
  confirm: string;
  onPassphrase: (value: string) => void;
  onConfirm: (value: string) => void;
}): JSX.Element {
  return (
    <>
      <div class="field">
        <label class="field__label" for="restore-passphrase">
          Vault passphrase for this browser
        </label>
        <input
          id="restore-passphrase"
          class="input"
          type="password"
          autocomplete="new-password"
          value={props.passphrase}
          aria-describedby="restore-passphrase-hint"
          onInput={(e) => props.onPassphrase(e.currentTarget.value)}
        />
        <span class="field__hint" id="restore-passphrase-hint">
          At least {PASSPHRASE_MIN_CHARS} characters. It locks Parley on this browser only.
        </span>
      </div>
      <div class="field">
        <label class="field__label" for="restore-confirm">
          Repeat it
        </label>
        <input
          id="restore-confirm"
          class="input"
          type="password"
          autocomplete="new-password"
          value={props.confirm}
          onInput={(e) => props.onConfirm(e.currentTarget.value)}
        />
      </div>
    </>
  );
}

export function RestoreFlow(props: { onDone: () => void; onBack: () => void }): JSX.Element {
  const [relayUrl, setRelayUrl] = createSignal(DEFAULT_RELAY_URL);
  const [handle, setHandle] = createSignal('');
  const [recoveryKey, setRecoveryKey] = createSignal('');
  const [file, setFile] = createSignal<File | null>(null);
  const [passphrase, setPassphrase] = createSignal('');
  const [confirm, setConfirm] = createSignal('');
  const [problem, setProblem] = createSignal<string | null>(null);
  const [keyError, setKeyError] = createSignal<string | null>(null);
  const [phase, setPhase] = createSignal<Phase>('idle');

  const localProblem = (): string | null => {
    if (!URL.canParse(relayUrl().trim()))
      return 'Enter the relay’s address, such as https://relay.example.';
    if (handle().trim() === '') return 'Enter your handle.';
    if (passphrase().length < PASSPHRASE_MIN_CHARS)
      return `Use at least ${PASSPHRASE_MIN_CHARS} characters for the passphrase.`;
    if (confirm() !== passphrase()) return 'The two passphrases do not match.';
    return null;
  };

  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    if (phase() !== 'idle') return;
    // The checksum first: a typo never reaches the network.
    setKeyError(keyProblem(recoveryKey()));
    setProblem(keyError() === null ? localProblem() : null);
    if (keyError() !== null) {
      document.getElementById('restore-key')?.focus();
      return;
    }
    if (problem() !== null) return;
    const input: RestoreInput = {
      relayUrl: relayUrl().trim(),
      handle: handle().trim().replace(/^@/, ''),
      recoveryKey: recoveryKey(),
      passphrase: passphrase(),
      file: file(),
    };
    restore(input, setPhase).then(
      () => {
        setRecoveryKey('');
        setPassphrase('');
        setConfirm('');
        props.onDone();
      },
      (error: unknown) => {
        setPhase('idle');
        setProblem(
          error instanceof Error && error.message === 'permission'
            ? 'Parley needs your permission to talk to this relay.'
            : describeError(error),
        );
      },
    );
  };

  return (
    <form class="onb__form" onSubmit={submit} novalidate>
      <div>
        <h2 tabindex="-1" data-view-heading>
          Restore from a backup
        </h2>
        <p class="onb__lead">
          Use your recovery key and your passkey. This browser becomes a new device of your account
          with your contacts, verified keys and messages; your contacts’ safety numbers stay the
          same.
        </p>
      </div>
      <RecoveryKeyField value={recoveryKey()} error={keyError()} onInput={setRecoveryKey} />
      <div class="field">
        <label class="field__label" for="restore-file">
          Backup file (optional)
        </label>
        <input
          id="restore-file"
          class="input"
          type="file"
          accept=".parleybackup"
          aria-describedby="restore-file-hint"
          onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
        />
        <span class="field__hint" id="restore-file-hint">
          Without a file, Parley restores the newest backup on the relay.
        </span>
      </div>
      <div class="field">
        <label class="field__label" for="restore-relay">
          Relay
        </label>
        <input
          id="restore-relay"
          class="input"
          type="url"
          inputmode="url"
          spellcheck={false}
          value={relayUrl()}
          onInput={(e) => setRelayUrl(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label class="field__label" for="restore-handle">
          Your handle
        </label>
        <div class="input-prefix">
          <span aria-hidden="true">@</span>
          <input
            id="restore-handle"
            class="input"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            value={handle()}
            onInput={(e) => setHandle(e.currentTarget.value)}
          />
        </div>
      </div>
      <PassphraseFields
        passphrase={passphrase()}
        confirm={confirm()}
        onPassphrase={setPassphrase}
        onConfirm={setConfirm}
      />
      <Show when={phase() !== 'idle'}>
        <p class="link-status" role="status">
          <span class="spinner" aria-hidden="true" />
          <span>{PHASE_LINES[phase() as Exclude<Phase, 'idle'>]}</span>
        </p>
      </Show>
      <Show when={problem()}>
        <p class="field__error" role="alert" data-restore-error>
          {problem()}
        </p>
      </Show>
      <BusyButton
        type="submit"
        busy={phase() !== 'idle'}
        label="Restore"
        busyLabel="Restoring…"
        icon="key"
      />
      <button type="button" class="btn btn--block" onClick={() => props.onBack()}>
        Create a new account instead
      </button>
    </form>
  );
}

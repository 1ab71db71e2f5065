/**
 * Onboarding's third path: restore the account from an encrypted backup
 * (docs/extension.md, "Backups"). The person types the recovery key (case,
 * spaces and look-alikes do not matter; a typo is caught here, before
 * anything goes to the network), optionally picks a `.parleybackup` file,
 * names the relay and handle and chooses the vault passphrase (or lets the
 * passkey unlock the recovery key instead: PasskeyKeyOption.tsx); a passkey
 * login proves the account; without a file the relay's snapshots are listed
 * to choose from (SnapshotChoice.tsx); then the worker checks the backup to
 * its end, makes this browser a new device of the account (optionally
 * removing its other, lost devices) and imports it.
 */
import { createSignal, type JSX, Show } from 'solid-js';
import { browser } from 'wxt/browser';
import { parseRecoveryKey } from '../../../shared/backup/recovery-key.ts';
import { toBase64Url } from '../../../shared/bytes.ts';
import { BusyButton } from '../../components/BusyButton.tsx';
import { describeError } from '../../lib/errors.ts';
import {
  DEFAULT_RELAY_URL,
  PASSPHRASE_MIN_CHARS,
  type RestoreSnapshot,
} from '../../lib/protocol.ts';
import { call } from '../../lib/rpc-client.ts';
import { answerRestoreLogin, PasskeyKeyOption, recoveryKeyByPasskey } from './PasskeyKeyOption.tsx';
import { SnapshotChoice } from './SnapshotChoice.tsx';

type Phase = 'idle' | 'vault' | 'passkey' | 'listing' | 'choose' | 'restoring';
type Busy = Exclude<Phase, 'idle' | 'choose'>;

const PHASE_LINES: Readonly<Record<Busy, string>> = {
  vault: 'Preparing this browser…',
  passkey: 'Confirm with your passkey…',
  listing: 'Looking for your backups on the relay…',
  restoring: 'Checking and restoring your backup…',
};

/** Said when the relay lists nothing for this key and account (docs/extension.md, "Backups"). */
export const NO_SNAPSHOTS =
  'The relay has no backup of this account for this recovery key. Check the key, or restore from a backup file.';

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
  readonly removeOthers: boolean;
  /** The passkey unlocks the recovery key (PasskeyKeyOption.tsx); `recoveryKey` is then empty. */
  readonly byPasskey: boolean;
}

/** Where a restore goes after the passkey login: the relay's list, or straight to the file. */
type SignedIn = { readonly recoveryKey: string } & (
  | { readonly relayUrl: string; readonly file: string }
  | { readonly relayUrl: string; readonly snapshots: RestoreSnapshot[] }
);

/** Vault, passkey login, then the relay's snapshots (none listed with a file); `phase` says which runs. */
async function signIn(input: RestoreInput, phase: (p: Phase) => void): Promise<SignedIn> {
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
  const prf = await answerRestoreLogin(options, browser.runtime.id, input.byPasskey);
  const recoveryKey =
    prf === undefined ? input.recoveryKey : await recoveryKeyByPasskey(relayUrl, prf);
  if (file !== undefined) return { relayUrl, file, recoveryKey };
  phase('listing');
  return {
    relayUrl,
    recoveryKey,
    snapshots: await call('restoreSnapshots', { relayUrl, recoveryKey }),
  };
}

/** The restore itself, from the chosen snapshot or the file. */
async function restoreFrom(
  input: RestoreInput,
  from: { readonly relayUrl: string; readonly file?: string; readonly seq?: number },
  phase: (p: Phase) => void,
): Promise<void> {
  phase('restoring');
  await call('restoreBackup', {
    relayUrl: from.relayUrl,
    recoveryKey: input.recoveryKey,
    removeOthers: input.removeOthers,
    ...(from.file === undefined ? {} : { file: from.file }),
    ...(from.seq === undefined ? {} : { seq: from.seq }),
  });
}

/** The form's other fields, checked before anything runs: the sentence for the first problem. */
function localProblem(f: {
  relayUrl: string;
  handle: string;
  passphrase: string;
  confirm: string;
}): string | null {
  if (!URL.canParse(f.relayUrl.trim()))
    return 'Enter the relay’s address, such as https://relay.example.';
  if (f.handle.trim() === '') return 'Enter your handle.';
  if (f.passphrase.length < PASSPHRASE_MIN_CHARS)
    return `Use at least ${PASSPHRASE_MIN_CHARS} characters for the passphrase.`;
  if (f.confirm !== f.passphrase) return 'The two passphrases do not match.';
  return null;
}

/** A failed step's sentence for the page. */
function failureLine(error: unknown): string {
  return error instanceof Error && error.message === 'permission'
    ? 'Parley needs your permission to talk to this relay.'
    : describeError(error);
}

/** "Also remove my other devices": off by default (docs/extension.md, "Backups"). */
function RemoveOthersField(props: { checked: boolean; onChange: (v: boolean) => void }) {
  return (
    <div class="field">
      <label class="check-row">
        <input
          id="restore-remove-others"
          type="checkbox"
          checked={props.checked}
          aria-describedby="restore-remove-others-hint"
          onChange={(e) => props.onChange(e.currentTarget.checked)}
        />
        Also remove my other devices — choose this if they are lost
      </label>
      <span class="field__hint" id="restore-remove-others-hint">
        They are signed out and stop receiving your messages. Leave it off if you still have one:
        linking to it brings everything over too.
      </span>
    </div>
  );
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

/** A device that still works is the better source (docs/extension.md, "Backups"). */
function LinkInstead(props: { onLink: () => void }): JSX.Element {
  return (
    <div class="field">
      <p class="field__hint" data-restore-link-hint>
        Another device of yours still works? Link this browser to it instead: it brings over
        everything, including messages newer than the backup.
      </p>
      <button type="button" class="btn btn--block" onClick={() => props.onLink()}>
        Link to an existing account instead
      </button>
    </div>
  );
}

/** The backup file (optional), the relay and the handle. */
function WhereFields(props: {
  relayUrl: string;
  handle: string;
  onFile: (file: File | null) => void;
  onRelayUrl: (value: string) => void;
  onHandle: (value: string) => void;
}): JSX.Element {
  return (
    <>
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
          onChange={(e) => props.onFile(e.currentTarget.files?.[0] ?? null)}
        />
        <span class="field__hint" id="restore-file-hint">
          Without a file, Parley lists your backups on the relay to choose from.
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
          value={props.relayUrl}
          onInput={(e) => props.onRelayUrl(e.currentTarget.value)}
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
            value={props.handle}
            onInput={(e) => props.onHandle(e.currentTarget.value)}
          />
        </div>
      </div>
    </>
  );
}

export function RestoreFlow(props: {
  onDone: () => void;
  onBack: () => void;
  /** To the "Link to an existing account" path. */
  onLink: () => void;
}): JSX.Element {
  const [relayUrl, setRelayUrl] = createSignal(DEFAULT_RELAY_URL);
  const [handle, setHandle] = createSignal('');
  const [recoveryKey, setRecoveryKey] = createSignal('');
  const [file, setFile] = createSignal<File | null>(null);
  const [passphrase, setPassphrase] = createSignal('');
  const [confirm, setConfirm] = createSignal('');
  const [removeOthers, setRemoveOthers] = createSignal(false);
  const [byPasskey, setByPasskey] = createSignal(false);
  const [problem, setProblem] = createSignal<string | null>(null);
  const [keyError, setKeyError] = createSignal<string | null>(null);
  const [phase, setPhase] = createSignal<Phase>('idle');
  // The relay's snapshots once listed, the one chosen, and the input they were listed for.
  const [snapshots, setSnapshots] = createSignal<RestoreSnapshot[]>([]);
  const [chosen, setChosen] = createSignal(0);
  let listed: { input: RestoreInput; relayUrl: string } | undefined;

  const failed = (error: unknown) => {
    setPhase('idle');
    setProblem(failureLine(error));
  };
  const finish = (input: RestoreInput, from: Parameters<typeof restoreFrom>[1]) =>
    restoreFrom(input, from, setPhase).then(() => {
      setRecoveryKey('');
      setPassphrase('');
      setConfirm('');
      props.onDone();
    }, failed);

  const start = (typed: RestoreInput) =>
    signIn(typed, setPhase).then((signed): Promise<void> | undefined => {
      const input = { ...typed, recoveryKey: signed.recoveryKey };
      if ('file' in signed) return finish(input, signed);
      const [newest] = signed.snapshots;
      if (newest === undefined) {
        setPhase('idle');
        setProblem(NO_SNAPSHOTS);
        return undefined;
      }
      listed = { input, relayUrl: signed.relayUrl };
      setSnapshots(signed.snapshots);
      setChosen(newest.seq);
      setPhase('choose');
      return undefined;
    }, failed);

  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    if (phase() === 'choose' && listed !== undefined) {
      void finish(
        { ...listed.input, removeOthers: removeOthers() },
        { relayUrl: listed.relayUrl, seq: chosen() },
      );
      return;
    }
    if (phase() !== 'idle') return;
    // The checksum first: a typo never reaches the network.
    setKeyError(byPasskey() ? null : keyProblem(recoveryKey()));
    const fields = { relayUrl: relayUrl(), handle: handle(), passphrase: passphrase() };
    setProblem(keyError() === null ? localProblem({ ...fields, confirm: confirm() }) : null);
    if (keyError() !== null) {
      document.getElementById('restore-key')?.focus();
      return;
    }
    if (problem() !== null) return;
    void start({
      relayUrl: relayUrl().trim(),
      handle: handle().trim().replace(/^@/, ''),
      recoveryKey: recoveryKey(),
      passphrase: passphrase(),
      file: file(),
      removeOthers: removeOthers(),
      byPasskey: byPasskey(),
    });
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
      <Show
        when={phase() === 'choose'}
        fallback={
          <>
            <Show when={!byPasskey()}>
              <RecoveryKeyField value={recoveryKey()} error={keyError()} onInput={setRecoveryKey} />
            </Show>
            <PasskeyKeyOption using={byPasskey()} onUse={setByPasskey} />
            <WhereFields
              relayUrl={relayUrl()}
              handle={handle()}
              onFile={setFile}
              onRelayUrl={setRelayUrl}
              onHandle={setHandle}
            />
            <PassphraseFields
              passphrase={passphrase()}
              confirm={confirm()}
              onPassphrase={setPassphrase}
              onConfirm={setConfirm}
            />
          </>
        }
      >
        <SnapshotChoice snapshots={snapshots()} chosen={chosen()} onChoose={setChosen} />
      </Show>
      <RemoveOthersField checked={removeOthers()} onChange={setRemoveOthers} />
      <LinkInstead onLink={props.onLink} />
      <Show when={phase() !== 'idle' && phase() !== 'choose'}>
        <p class="link-status" role="status">
          <span class="spinner" aria-hidden="true" />
          <span>{PHASE_LINES[phase() as Busy]}</span>
        </p>
      </Show>
      <Show when={problem()}>
        <p class="field__error" role="alert" data-restore-error>
          {problem()}
        </p>
      </Show>
      <BusyButton
        type="submit"
        busy={phase() !== 'idle' && phase() !== 'choose'}
        label={phase() === 'choose' ? 'Restore this backup' : 'Restore'}
        busyLabel="Restoring…"
        icon="key"
      />
      <button type="button" class="btn btn--block" onClick={() => props.onBack()}>
        Create a new account instead
      </button>
    </form>
  );
}

/**
 * Onboarding's third path: restore the account from an encrypted backup
 * (docs/extension.md, "Backups"). The person types the recovery key (case,
 * spaces and look-alikes do not matter; a typo is caught here, before
 * anything goes to the network), optionally picks a `.parleybackup` file,
 * names the relay and handle and chooses the vault passphrase (or lets the
 * passkey unlock the recovery key instead: PasskeyKeyOption.tsx); a passkey
 * login proves the account; if another device of the account connected
 * within 14 days, a notice points to linking first (StillActiveNotice.tsx);
 * without a file the relay's snapshots are listed
 * to choose from (SnapshotChoice.tsx); then the worker checks the backup to
 * its end, makes this browser a new device of the account (optionally
 * removing its other, lost devices) and imports it.
 */
import { createSignal, type JSX, Show } from 'solid-js';
import { browser } from 'wxt/browser';
import { parseRecoveryKey } from '../../../shared/backup/recovery-key.ts';
import { toBase64Url } from '../../../shared/bytes.ts';
import { BusyButton } from '../../components/BusyButton.tsx';
import { describedBy, HintOrError, invalid } from '../../components/HintOrError.tsx';
import { describeError } from '../../lib/errors.ts';
import {
  DEFAULT_RELAY_URL,
  PASSPHRASE_MIN_CHARS,
  type RestoreSnapshot,
} from '../../lib/protocol.ts';
import { call } from '../../lib/rpc-client.ts';
import { answerRestoreLogin, PasskeyKeyOption, recoveryKeyByPasskey } from './PasskeyKeyOption.tsx';
import { RelayHandleFields } from './RelayHandleFields.tsx';
import { SnapshotChoice } from './SnapshotChoice.tsx';
import { StillActiveNotice } from './StillActiveNotice.tsx';

type Phase =
  | 'idle'
  | 'vault'
  | 'passkey'
  | 'checking'
  | 'alive'
  | 'listing'
  | 'choose'
  | 'restoring';
type Busy = Exclude<Phase, 'idle' | 'choose' | 'alive'>;

const isBusy = (phase: Phase): phase is Busy =>
  phase !== 'idle' && phase !== 'choose' && phase !== 'alive';

const PHASE_LINES: Readonly<Record<Busy, string>> = {
  vault: 'Preparing this browser…',
  passkey: 'Confirm with your passkey…',
  checking: 'Checking whether another device of yours is active…',
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

/** After the passkey login: the relay, the recovery key (typed or unwrapped by the passkey), and the file's bytes when restoring from one. */
interface SignedIn {
  readonly relayUrl: string;
  readonly recoveryKey: string;
  readonly file?: string;
}

/** Vault, then the passkey login; `phase` says which runs. */
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
  return file === undefined ? { relayUrl, recoveryKey } : { relayUrl, recoveryKey, file };
}

/**
 * When another device of the account last connected, if within 14 days; null
 * otherwise. Advice only: if the relay cannot say, the restore goes on as
 * before (docs/extension.md, "Backups").
 */
async function activeElsewhere(
  relayUrl: string,
  phase: (p: Phase) => void,
): Promise<number | null> {
  phase('checking');
  try {
    const { recent } = await call('restoreActivity', { relayUrl });
    return recent?.lastSeenAt ?? null;
  } catch {
    return null;
  }
}

/** Signed in with a key the relay holds snapshots for (`newest`), or with a file (no `newest`). */
interface Accepted {
  readonly input: RestoreInput;
  readonly signed: SignedIn;
  readonly newest?: number;
}

/**
 * Vault and passkey login, then, without a file, the relay's snapshots for
 * this key and account (newest first, handed to `onList`); null when the
 * relay holds none under this key.
 */
async function acceptKey(
  typed: RestoreInput,
  phase: (p: Phase) => void,
  onList: (snapshots: RestoreSnapshot[]) => void,
): Promise<Accepted | null> {
  const signed = await signIn(typed, phase);
  const input = { ...typed, recoveryKey: signed.recoveryKey };
  if (signed.file !== undefined) return { input, signed };
  phase('listing');
  const list = await call('restoreSnapshots', {
    relayUrl: signed.relayUrl,
    recoveryKey: input.recoveryKey,
  });
  const [newest] = list;
  if (newest === undefined) return null;
  onList(list);
  return { input, signed, newest: newest.seq };
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

/** What is wrong with the form before anything is sent, or null. */
function entryProblem(
  relayUrl: string,
  handle: string,
  passphrase: string,
  confirm: string,
): string | null {
  if (!URL.canParse(relayUrl.trim()))
    return 'Enter the relay’s address, such as https://relay.example.';
  if (handle.trim() === '') return 'Enter your handle.';
  if (passphrase.length < PASSPHRASE_MIN_CHARS)
    return `Use at least ${PASSPHRASE_MIN_CHARS} characters for the passphrase.`;
  if (confirm !== passphrase) return 'The two passphrases do not match.';
  return null;
}

/** The running step's line, and the failure's sentence. */
function RestoreStatus(props: { phase: Phase; problem: string | null }): JSX.Element {
  return (
    <>
      <Show when={isBusy(props.phase)}>
        <p class="link-status" role="status">
          <span class="spinner" aria-hidden="true" />
          <span>{PHASE_LINES[props.phase as Busy]}</span>
        </p>
      </Show>
      <Show when={props.problem}>
        <p class="field__error" role="alert" data-restore-error>
          {props.problem}
        </p>
      </Show>
    </>
  );
}

function RestoreHeading(): JSX.Element {
  return (
    <div>
      <h2 tabindex="-1" data-view-heading>
        Restore from a backup
      </h2>
      <p class="onb__lead">
        Use your recovery key and your passkey. This browser becomes a new device of your account
        with your contacts, verified keys and messages; your contacts’ safety numbers stay the same.
      </p>
    </div>
  );
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
        aria-invalid={invalid(props.error)}
        aria-describedby={describedBy('restore-key', props.error)}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      <HintOrError id="restore-key" error={props.error}>
        56 letters and digits in groups of four. Case and spaces do not matter.
      </HintOrError>
    </div>
  );
}

/** The recovery key typed, or unlocked by the passkey instead (PasskeyKeyOption.tsx). */
function KeyChoice(props: {
  key: { value: string; error: string | null; onInput: (value: string) => void };
  passkey: { using: boolean; onUse: (using: boolean) => void };
}): JSX.Element {
  return (
    <>
      <Show when={!props.passkey.using}>
        <RecoveryKeyField
          value={props.key.value}
          error={props.key.error}
          onInput={props.key.onInput}
        />
      </Show>
      <PasskeyKeyOption using={props.passkey.using} onUse={props.passkey.onUse} />
    </>
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
      <button type="button" class="btn btn--small" onClick={() => props.onLink()}>
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
      <RelayHandleFields
        relay={{ id: 'restore-relay', value: props.relayUrl, onInput: props.onRelayUrl }}
        handle={{
          id: 'restore-handle',
          label: 'Your handle',
          value: props.handle,
          onInput: props.onHandle,
        }}
      />
    </>
  );
}

/** The form's fields as typed, what is wrong with them, and the input a restore starts from. */
function createEntry() {
  const [relayUrl, setRelayUrl] = createSignal(DEFAULT_RELAY_URL);
  const [handle, setHandle] = createSignal('');
  const [recoveryKey, setRecoveryKey] = createSignal('');
  const [file, setFile] = createSignal<File | null>(null);
  const [passphrase, setPassphrase] = createSignal('');
  const [confirm, setConfirm] = createSignal('');
  const [removeOthers, setRemoveOthers] = createSignal(false);
  const [byPasskey, setByPasskey] = createSignal(false);
  return {
    relayUrl,
    setRelayUrl,
    handle,
    setHandle,
    recoveryKey,
    setRecoveryKey,
    file,
    setFile,
    passphrase,
    setPassphrase,
    confirm,
    setConfirm,
    removeOthers,
    setRemoveOthers,
    byPasskey,
    setByPasskey,
    problem: () => entryProblem(relayUrl(), handle(), passphrase(), confirm()),
    input: (): RestoreInput => ({
      relayUrl: relayUrl().trim(),
      handle: handle().trim().replace(/^@/, ''),
      recoveryKey: recoveryKey(),
      passphrase: passphrase(),
      file: file(),
      removeOthers: removeOthers(),
      byPasskey: byPasskey(),
    }),
    forgetSecrets: () => {
      setRecoveryKey('');
      setPassphrase('');
      setConfirm('');
    },
  };
}

export function RestoreFlow(props: {
  onDone: () => void;
  onBack: () => void;
  /** To the "Link to an existing account" path. */
  onLink: () => void;
}): JSX.Element {
  const entry = createEntry();
  const [problem, setProblem] = createSignal<string | null>(null);
  const [keyError, setKeyError] = createSignal<string | null>(null);
  const [phase, setPhase] = createSignal<Phase>('idle');
  // The relay's snapshots once listed, the one chosen, and the input they were listed for.
  const [snapshots, setSnapshots] = createSignal<RestoreSnapshot[]>([]);
  const [chosen, setChosen] = createSignal(0);
  let listed: { input: RestoreInput; relayUrl: string } | undefined;
  // Signed in while another device was active at `aliveAt`: waits for "Restore anyway".
  const [aliveAt, setAliveAt] = createSignal(0);
  let pending: Accepted | undefined;

  const failed = (error: unknown) => {
    setPhase('idle');
    setProblem(failureLine(error));
  };
  const finish = (input: RestoreInput, from: Parameters<typeof restoreFrom>[1]) =>
    restoreFrom(input, from, setPhase).then(() => {
      entry.forgetSecrets();
      props.onDone();
    }, failed);

  // Past the live-device check: the file restores at once, else the relay's snapshots to choose.
  const proceed = ({ input, signed, newest }: Accepted): Promise<void> | undefined => {
    if (newest === undefined) return finish(input, signed);
    listed = { input, relayUrl: signed.relayUrl };
    setChosen(newest);
    setPhase('choose');
    return undefined;
  };

  const start = async (input: RestoreInput) => {
    try {
      const accepted = await acceptKey(input, setPhase, setSnapshots);
      if (accepted === null) {
        setPhase('idle');
        setProblem(NO_SNAPSHOTS);
        return;
      }
      const seen = await activeElsewhere(accepted.signed.relayUrl, setPhase);
      if (seen === null) return proceed(accepted);
      pending = accepted;
      setAliveAt(seen);
      setPhase('alive');
    } catch (error) {
      failed(error);
    }
  };

  const restoreAnyway = () => {
    if (pending === undefined || phase() !== 'alive') return;
    const accepted = pending;
    pending = undefined;
    void proceed({ ...accepted, input: { ...accepted.input, removeOthers: entry.removeOthers() } });
  };

  const submit = (e: SubmitEvent) => {
    e.preventDefault();
    if (phase() === 'choose' && listed !== undefined) {
      void finish(
        { ...listed.input, removeOthers: entry.removeOthers() },
        { relayUrl: listed.relayUrl, seq: chosen() },
      );
      return;
    }
    if (phase() !== 'idle') return;
    // The checksum first: a typo never reaches the network.
    setKeyError(entry.byPasskey() ? null : keyProblem(entry.recoveryKey()));
    setProblem(keyError() === null ? entry.problem() : null);
    if (keyError() !== null) {
      document.getElementById('restore-key')?.focus();
      return;
    }
    if (problem() !== null) return;
    void start(entry.input());
  };

  return (
    <form class="onb__form" onSubmit={submit} novalidate>
      <RestoreHeading />
      <Show when={phase() === 'alive'}>
        <StillActiveNotice
          lastSeenAt={aliveAt()}
          now={Date.now()}
          onLink={props.onLink}
          onRestoreAnyway={restoreAnyway}
        />
      </Show>
      <Show when={phase() === 'choose'}>
        <SnapshotChoice snapshots={snapshots()} chosen={chosen()} onChoose={setChosen} />
      </Show>
      <Show when={phase() !== 'choose' && phase() !== 'alive'}>
        <KeyChoice
          key={{ value: entry.recoveryKey(), error: keyError(), onInput: entry.setRecoveryKey }}
          passkey={{ using: entry.byPasskey(), onUse: entry.setByPasskey }}
        />
        <WhereFields
          relayUrl={entry.relayUrl()}
          handle={entry.handle()}
          onFile={entry.setFile}
          onRelayUrl={entry.setRelayUrl}
          onHandle={entry.setHandle}
        />
        <PassphraseFields
          passphrase={entry.passphrase()}
          confirm={entry.confirm()}
          onPassphrase={entry.setPassphrase}
          onConfirm={entry.setConfirm}
        />
      </Show>
      <Show when={phase() !== 'alive'}>
        <RemoveOthersField checked={entry.removeOthers()} onChange={entry.setRemoveOthers} />
        <LinkInstead onLink={props.onLink} />
        <BusyButton
          type="submit"
          busy={isBusy(phase())}
          label={phase() === 'choose' ? 'Restore this backup' : 'Restore'}
          busyLabel="Restoring…"
          icon="key"
        />
      </Show>
      <RestoreStatus phase={phase()} problem={problem()} />
      <button type="button" class="btn btn--block" onClick={() => props.onBack()}>
        Create a new account instead
      </button>
    </form>
  );
}

/**
 * Settings → Backups (docs/extension.md, "Backups"): on/off, the recovery key
 * shown once in groups of four with a copy button and an "I have saved it"
 * confirmation, "Back up now", when the last backup was made, the key again
 * after a fresh passkey verification, a `.parleybackup` download, and the
 * passkey option (PasskeyRestoreSwitch.tsx). The page holds the key only
 * while it is on screen.
 */
import { createSignal, For, type JSX, onCleanup, onMount, Show } from 'solid-js';
import { fromBase64Url } from '../../shared/bytes.ts';
import type { ParleyState } from '../lib/app-state.ts';
import { describeError, fromWireError } from '../lib/errors.ts';
import { fullDateTime } from '../lib/format.ts';
import type { BackupStatus } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { verifyUser } from '../lib/user-verification.ts';
import { ErrorLine } from './ErrorLine.tsx';
import { Icon } from './Icon.tsx';
import { PasskeyRestoreSwitch } from './PasskeyRestoreSwitch.tsx';
import { Toggle } from './Toggle.tsx';

/** The key's groups of four, as the worker formatted them. */
function groupsOf(key: string): string[] {
  return key.split(' ').filter((g) => g !== '');
}

/** The recovery key on screen: groups, copy, and the confirmation that hides it again. */
function RecoveryKeyPanel(props: { recoveryKey: string; onSaved: () => void }): JSX.Element {
  const [copied, setCopied] = createSignal(false);
  const [saved, setSaved] = createSignal(false);
  let heading: HTMLHeadingElement | undefined;
  onMount(() => heading?.focus());
  const copy = () => {
    void navigator.clipboard.writeText(props.recoveryKey).then(() => setCopied(true));
  };
  return (
    <section class="recovery-key-panel" aria-labelledby="recovery-key-title">
      <h3 id="recovery-key-title" class="recovery-key-panel__title" tabindex="-1" ref={heading}>
        Your recovery key
      </h3>
      <p class="setting__desc">
        Write it down or keep it in a password manager. With it and your passkey you can restore
        Parley on a new browser. Anyone who has it and your passkey can read your backups; Parley
        cannot show it to anyone else, and cannot recover it for you.
      </p>
      <p class="recovery-key" data-recovery-key>
        <For each={groupsOf(props.recoveryKey)}>
          {(group) => <span class="recovery-key__group">{group}</span>}
        </For>
      </p>
      <button type="button" class="btn" onClick={copy}>
        <Icon name={copied() ? 'check' : 'file'} />
        {copied() ? 'Copied' : 'Copy recovery key'}
      </button>
      <label class="check-row">
        <input
          type="checkbox"
          checked={saved()}
          onChange={(e) => setSaved(e.currentTarget.checked)}
        />
        I have saved my recovery key somewhere safe
      </label>
      <button
        type="button"
        class="btn btn--primary btn--block"
        aria-disabled={!saved()}
        onClick={() => {
          if (saved()) props.onSaved();
        }}
      >
        Done
      </button>
    </section>
  );
}

function lastBackupLine(status: BackupStatus): string {
  if (status.running) return 'Backing up…';
  if (status.lastAt === undefined) return 'No backup yet.';
  return `Last backup: ${fullDateTime(status.lastAt)} (snapshot ${status.lastSeq ?? 0}).`;
}

/** The last attempt's failure, from its stable code. */
function lastErrorLine(status: BackupStatus): string | null {
  if (status.lastError === undefined) return null;
  return `The last backup failed: ${describeError(fromWireError({ code: status.lastError, message: '' }))}`;
}

/** Saves bytes as a file through a temporary link (the page never keeps them). */
function saveFile(name: string, bytes: Uint8Array): void {
  const url = URL.createObjectURL(
    new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }),
  );
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Turning off deletes the relay's copies: the question, before anything happens. */
function TurnOffQuestion(props: { onTurnOff: () => void; onKeep: () => void }): JSX.Element {
  return (
    <li class="backup-actions">
      <p class="setting__desc" role="status">
        Turn off backups? The relay deletes its copies, and this browser forgets the recovery key.
      </p>
      <button type="button" class="btn btn--danger btn--block" onClick={() => props.onTurnOff()}>
        Turn off and delete backups
      </button>
      <button type="button" class="btn btn--block" onClick={() => props.onKeep()}>
        Keep backups
      </button>
    </li>
  );
}

type Busy = null | 'toggle' | 'now' | 'key' | 'file';

function BackupActions(props: {
  busy: Busy;
  onBackUpNow: () => void;
  onDownload: () => void;
  onShowKey: () => void;
}): JSX.Element {
  return (
    <li class="backup-actions">
      <button
        type="button"
        class="btn btn--block"
        aria-disabled={props.busy !== null}
        aria-busy={props.busy === 'now'}
        onClick={() => props.onBackUpNow()}
      >
        <Icon name="retry" />
        {props.busy === 'now' ? 'Backing up…' : 'Back up now'}
      </button>
      <button
        type="button"
        class="btn btn--block"
        aria-disabled={props.busy !== null}
        aria-busy={props.busy === 'file'}
        onClick={() => props.onDownload()}
      >
        <Icon name="download" />
        {props.busy === 'file' ? 'Preparing the file…' : 'Download backup file'}
      </button>
      <button
        type="button"
        class="btn btn--block"
        aria-disabled={props.busy !== null}
        aria-busy={props.busy === 'key'}
        onClick={() => props.onShowKey()}
      >
        <Icon name="key" />
        {props.busy === 'key' ? 'Waiting for your passkey…' : 'Show recovery key again'}
      </button>
    </li>
  );
}

export function BackupSection(props: { state: ParleyState }): JSX.Element {
  const [status, setStatus] = createSignal<BackupStatus | null>(null);
  const [shownKey, setShownKey] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal<Busy>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [note, setNote] = createSignal<string | null>(null);
  /** Turning off deletes the relay's copies: asked first. */
  const [confirmOff, setConfirmOff] = createSignal(false);

  const refresh = () =>
    call('backupStatus').then(setStatus, (e: unknown) => setError(describeError(e)));
  onMount(() => {
    void refresh();
    onCleanup(
      props.state.on((event) => {
        if (event.type === 'backup') void refresh();
      }),
    );
  });

  const run = async (what: 'toggle' | 'now' | 'key' | 'file', action: () => Promise<void>) => {
    if (busy() !== null) return;
    setBusy(what);
    setError(null);
    setNote(null);
    try {
      await action();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(null);
      void refresh();
    }
  };

  const toggle = (on: boolean) => {
    if (!on) {
      setConfirmOff(true);
      return;
    }
    void run('toggle', async () => {
      setShownKey((await call('backupEnable')).recoveryKey);
    });
  };
  const turnOff = () =>
    void run('toggle', async () => {
      setConfirmOff(false);
      setShownKey(null);
      await call('backupDisable');
    });
  const backUpNow = () =>
    void run('now', async () => {
      setStatus(await call('backupNow'));
      setNote('Backed up.');
    });
  const showKeyAgain = () =>
    void run('key', async () => {
      await verifyUser();
      setShownKey((await call('backupRecoveryKey')).recoveryKey);
    });
  const download = () =>
    void run('file', async () => {
      const file = await call('backupFile');
      saveFile(file.name, fromBase64Url(file.bytes));
      setNote(`Saved ${file.name}. It opens only with your recovery key.`);
    });
  const saved = () => {
    const first = status()?.lastAt === undefined;
    setShownKey(null);
    // The first snapshot right away, once the key is safe.
    if (first) backUpNow();
  };

  return (
    <section aria-labelledby="backups-title">
      <h2 class="section-title" id="backups-title">
        Backups
      </h2>
      <Show when={status()}>
        {(s) => (
          <ul class="settings-list">
            <li>
              <Toggle
                label="Encrypted backups"
                description="Once a day to the relay, encrypted with a recovery key only you hold. The relay cannot read them."
                checked={s().on && !confirmOff()}
                disabled={busy() !== null}
                onChange={toggle}
              />
            </li>
            <Show when={confirmOff()}>
              <TurnOffQuestion onTurnOff={turnOff} onKeep={() => setConfirmOff(false)} />
            </Show>
            <Show when={shownKey()}>
              {(key) => (
                <li>
                  <RecoveryKeyPanel recoveryKey={key()} onSaved={saved} />
                </li>
              )}
            </Show>
            <Show when={s().on && shownKey() === null && !confirmOff()}>
              <li>
                <p class="setting__desc" role="status" data-backup-status>
                  {lastBackupLine(s())}
                </p>
                <Show when={lastErrorLine(s())}>
                  {(line) => <p class="field__error">{line()}</p>}
                </Show>
              </li>
              <BackupActions
                busy={busy()}
                onBackUpNow={backUpNow}
                onDownload={download}
                onShowKey={showKeyAgain}
              />
              <PasskeyRestoreSwitch />
            </Show>
          </ul>
        )}
      </Show>
      <Show when={note()}>
        <p class="setting__desc" role="status">
          {note()}
        </p>
      </Show>
      <ErrorLine error={error()} />
    </section>
  );
}

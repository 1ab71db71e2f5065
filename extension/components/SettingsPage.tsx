/**
 * Settings: auto-lock, notification text, read receipts, typing indicators,
 * presence; backups (BackupSection.tsx); lock now; where the account lives.
 */
import { createSignal, For, type JSX, onCleanup, onMount, Show } from 'solid-js';
import type { ParleyState } from '../lib/app-state.ts';
import { describeError } from '../lib/errors.ts';
import { createPageData } from '../lib/page-data.ts';
import { AUTO_LOCK_CHOICES, type Settings } from '../lib/protocol.ts';
import { call } from '../lib/rpc-client.ts';
import { BackButton } from './BackButton.tsx';
import { BackupSection } from './BackupSection.tsx';
import { ErrorLine } from './ErrorLine.tsx';
import { Icon } from './Icon.tsx';
import { Toggle } from './Toggle.tsx';

function minutesLabel(m: number): string {
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'}`;
  const h = m / 60;
  return `${h} hour${h === 1 ? '' : 's'}`;
}

/** The auto-lock choice: a local setting, so committing on each arrow key sends nothing to anyone. */
function AutoLockSetting(props: {
  minutes: number;
  onChoose: (minutes: Settings['autoLockMinutes']) => void;
}): JSX.Element {
  return (
    <div class="setting">
      <div class="setting__text">
        <label class="setting__label" for="auto-lock">
          Lock automatically
        </label>
        <div class="setting__desc" id="auto-lock-desc">
          After this long without using Parley, and always when the browser exits. Messages keep
          arriving while locked, and the toolbar counts them.
        </div>
      </div>
      <select
        id="auto-lock"
        class="select"
        aria-describedby="auto-lock-desc"
        value={String(props.minutes)}
        onChange={(e) => {
          const minutes = Number(e.currentTarget.value);
          const choice = AUTO_LOCK_CHOICES.find((c) => c === minutes);
          if (choice !== undefined) props.onChoose(choice);
        }}
      >
        <For each={AUTO_LOCK_CHOICES}>
          {(m) => <option value={String(m)}>{minutesLabel(m)}</option>}
        </For>
      </select>
    </div>
  );
}

/** Which account this is, and on which relay. */
function AccountRow(props: { state: ParleyState }): JSX.Element {
  const account = () => props.state.status()?.account;
  return (
    <div class="setting">
      <div class="setting__text">
        <div class="setting__label">{account() ? `@${account()?.handle}` : 'No account'}</div>
        <div class="setting__desc">{account()?.relayUrl ?? ''}</div>
      </div>
      <Icon name="server" class="setting-icon" />
    </div>
  );
}

export function SettingsPage(props: {
  state: ParleyState;
  onBack: () => void;
  onShowShortcuts: () => void;
  /** Settings → Linked devices (side panel only: the popup has no settings). */
  onOpenDevices: () => void;
}): JSX.Element {
  const [error, setError] = createSignal<string | null>(null);
  const settings = createPageData({ read: () => call('getSettings'), error: [error, setError] });
  onMount(() => {
    onCleanup(
      props.state.on((event) => {
        if (event.type === 'settings') settings.set(event.settings);
      }),
    );
  });

  const update = async (patch: Partial<Settings>) => {
    try {
      settings.set(await call('updateSettings', patch));
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <main class="view">
      <header class="chat-head">
        <BackButton label="Back to conversations" onBack={props.onBack} />
        <h1 class="topbar__title" style={{ margin: '0' }} tabindex="-1" data-view-heading>
          Settings
        </h1>
      </header>
      <div class="scroll">
        <div class="page">
          <Show when={settings.value()}>
            {(s) => (
              <>
                <section>
                  <h2 class="section-title">Privacy</h2>
                  <ul class="settings-list">
                    <li>
                      <AutoLockSetting
                        minutes={s().autoLockMinutes}
                        onChoose={(autoLockMinutes) => void update({ autoLockMinutes })}
                      />
                    </li>
                    <li>
                      <Toggle
                        label="Notifications"
                        description="A system notification for each new message. While locked: only “New messages — unlock Parley to read”, at most every 5 minutes."
                        checked={s().notifications}
                        onChange={(on) => void update({ notifications: on })}
                      />
                    </li>
                    <li>
                      <Toggle
                        label="Message text in notifications"
                        description="Off: notifications only say who wrote. The system keeps notification text outside Parley’s vault."
                        checked={s().notificationPreview}
                        onChange={(on) => void update({ notificationPreview: on })}
                      />
                    </li>
                    <li>
                      <Toggle
                        label="Read receipts"
                        description="Let contacts see when you have read their messages."
                        checked={s().readReceipts}
                        onChange={(on) => void update({ readReceipts: on })}
                      />
                    </li>
                    <li>
                      <Toggle
                        label="Typing indicators"
                        description="Let contacts see when you are typing, and see when they are. Never stored, by the relay or anyone."
                        checked={s().typingIndicators}
                        onChange={(on) => void update({ typingIndicators: on })}
                      />
                    </li>
                    <li>
                      <Toggle
                        label="Show when I’m online"
                        description="Accepted contacts see “online” or when you were last seen. Off: they see neither."
                        checked={s().showPresence}
                        onChange={(on) => void update({ showPresence: on })}
                      />
                    </li>
                  </ul>
                </section>
                <BackupSection state={props.state} />
                <section>
                  <h2 class="section-title">Account</h2>
                  <ul class="settings-list">
                    <li>
                      <AccountRow state={props.state} />
                    </li>
                    <li>
                      <button
                        type="button"
                        class="btn btn--block"
                        data-opens="devices"
                        onClick={() => props.onOpenDevices()}
                      >
                        <Icon name="panel" />
                        Linked devices
                      </button>
                    </li>
                    <li>
                      <button
                        type="button"
                        class="btn btn--block"
                        onClick={() => props.onShowShortcuts()}
                      >
                        <Icon name="info" />
                        Keyboard shortcuts
                      </button>
                    </li>
                    <li>
                      <button
                        type="button"
                        class="btn btn--block"
                        onClick={() => void call('lock')}
                      >
                        <Icon name="lock" />
                        Lock Parley now
                      </button>
                    </li>
                  </ul>
                </section>
              </>
            )}
          </Show>
          <ErrorLine error={error()} />
        </div>
      </div>
    </main>
  );
}

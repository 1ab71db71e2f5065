/**
 * The running client's privacy settings (settings.ts stores them): read once
 * when the account is loaded and changed through `updateSettings`, unless the
 * host keeps the settings itself (the extension): after `useHostSettings` the
 * stored record is neither read nor written for them.
 *
 * A change made here goes to our other devices as a `settings` sync
 * (docs/client.md, "Own-device sync"); one that came from there is adopted
 * (`adopt`) without being sent on.
 */
import type { ClientHost } from '../host.ts';
import type { Batch } from '../store/batch.ts';
import { readSettings, type Settings, stageSettings } from './settings.ts';

export interface SettingsApiHost extends Pick<ClientHost, 'records' | 'transact' | 'now'> {
  /** ClientDeps.readReceipts: the default before the stored settings are read. */
  readonly readReceipts: boolean | undefined;
  /** The showPresence setting changed; `before` is the old value. */
  showPresenceChanged(before: boolean): void;
  /** Queues the settings for our other devices (in `batch`; nothing when no account is loaded). */
  stageSync(batch: Batch, settings: Settings): Promise<void>;
  /** The outbox has something new. */
  pump(): void;
  reportError(error: unknown, context: string): void;
}

function sameSettings(a: Settings, b: Settings): boolean {
  return (
    a.readReceipts === b.readReceipts &&
    a.typingIndicators === b.typingIndicators &&
    a.showPresence === b.showPresence
  );
}

export function createSettingsApi(host: SettingsApiHost) {
  let settings: Settings = {
    readReceipts: host.readReceipts ?? true,
    typingIndicators: true,
    showPresence: true,
  };
  let loaded = false;
  /** useHostSettings was called: the host keeps the settings; the stored record is not read. */
  let hostSettings = false;

  return {
    current: (): Settings => settings,
    /** The stored settings, read once (when an account is loaded). */
    async loadStored(): Promise<void> {
      if (loaded || hostSettings) return;
      settings = await readSettings(host.records, settings);
      loaded = true;
    },
    /** The public part (ParleyClient). */
    api: {
      getSettings: (): Settings => settings,
      async updateSettings(change: Partial<Settings>): Promise<Settings> {
        const before = settings;
        const next: Settings = { ...settings, ...change };
        await host.transact(async (batch) => {
          stageSettings(batch, next);
          if (!sameSettings(before, next)) await host.stageSync(batch, next);
        });
        settings = next;
        loaded = true;
        host.showPresenceChanged(before.showPresence);
        host.pump();
        return next;
      },
      useHostSettings(next: Settings): void {
        const before = settings;
        settings = {
          readReceipts: next.readReceipts,
          typingIndicators: next.typingIndicators,
          showPresence: next.showPresence,
        };
        // The first call hands over what the host kept; later ones are changes made here.
        const changed = hostSettings && !sameSettings(before, settings);
        hostSettings = true;
        host.showPresenceChanged(before.showPresence);
        if (changed) {
          const synced = settings;
          host
            .transact((batch) => host.stageSync(batch, synced))
            .then(() => host.pump())
            .catch((e: unknown) => host.reportError(e, 'settings sync'));
        }
      },
    },
    /** Settings our other device changed (already stored by the inbox): they apply now. */
    adopt(next: Settings): void {
      const before = settings;
      settings = next;
      loaded = true;
      host.showPresenceChanged(before.showPresence);
    },
  };
}

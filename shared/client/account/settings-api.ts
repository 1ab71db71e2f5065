/**
 * The running client's privacy settings (settings.ts stores them): read once
 * when the account is loaded and changed through `updateSettings`, unless the
 * host keeps the settings itself (the extension): after `useHostSettings` the
 * stored record is neither read nor written for them.
 */
import type { ClientHost } from '../host.ts';
import { readSettings, type Settings, stageSettings } from './settings.ts';

export interface SettingsApiHost extends Pick<ClientHost, 'records' | 'transact'> {
  /** ClientDeps.readReceipts: the default before the stored settings are read. */
  readonly readReceipts: boolean | undefined;
  /** The showPresence setting changed; `before` is the old value. */
  showPresenceChanged(before: boolean): void;
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
        });
        settings = next;
        loaded = true;
        host.showPresenceChanged(before.showPresence);
        return next;
      },
      useHostSettings(next: Settings): void {
        const before = settings;
        settings = {
          readReceipts: next.readReceipts,
          typingIndicators: next.typingIndicators,
          showPresence: next.showPresence,
        };
        hostSettings = true;
        host.showPresenceChanged(before.showPresence);
      },
    },
  };
}

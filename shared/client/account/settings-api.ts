/**
 * The running client's privacy settings (settings.ts stores them): read once
 * when the account is loaded, changed through `updateSettings`, and the read
 * receipt switch a host may pin for its session (a host that keeps its own
 * settings, like the extension: its value wins over the stored one).
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
  /** setReadReceipts was called: the host's value wins over the stored one. */
  let readReceiptsPinned = false;

  return {
    current: (): Settings => settings,
    /** The stored settings, read once (when an account is loaded). */
    async loadStored(): Promise<void> {
      if (loaded) return;
      const stored = await readSettings(host.records, settings);
      settings = readReceiptsPinned ? { ...stored, readReceipts: settings.readReceipts } : stored;
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
      setReadReceipts(enabled: boolean): void {
        settings = { ...settings, readReceipts: enabled };
        readReceiptsPinned = true;
      },
    },
  };
}

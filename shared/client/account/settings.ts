/**
 * Local privacy settings, kept in the store so they survive a restart of the
 * extension's worker:
 *
 *   readReceipts      send read receipts to contacts (our own devices always
 *                     learn what was read, so unread counts stay in step)
 *   typingIndicators  send typing indicators (and show others')
 *   showPresence      send presence (online / last seen) to accepted contacts
 */
import * as v from 'valibot';
import type { Batch } from '../store/batch.ts';
import { decodeRecord, encodeRecord } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import type { RecordStore } from '../store/store.ts';

export const SettingsSchema = v.object({
  v: v.literal(1),
  readReceipts: v.boolean(),
  typingIndicators: v.boolean(),
  showPresence: v.boolean(),
});

export interface Settings {
  readonly readReceipts: boolean;
  readonly typingIndicators: boolean;
  readonly showPresence: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
  readReceipts: true,
  typingIndicators: true,
  showPresence: true,
};

export async function readSettings(
  records: Pick<RecordStore, 'get'>,
  defaults: Settings = DEFAULT_SETTINGS,
): Promise<Settings> {
  const raw = await records.get(Keys.settings);
  if (raw === undefined) return defaults;
  const { v: _version, ...settings } = decodeRecord(SettingsSchema, raw, 'settings');
  return settings;
}

export function stageSettings(batch: Batch, settings: Settings): void {
  batch.set(
    Keys.settings,
    encodeRecord({
      v: 1,
      readReceipts: settings.readReceipts,
      typingIndicators: settings.typingIndicators,
      showPresence: settings.showPresence,
    }),
  );
}

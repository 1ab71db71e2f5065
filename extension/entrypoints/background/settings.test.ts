import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../lib/protocol.ts';
import { memoryMeta } from '../../testing/fakes.ts';
import { readSettings, SETTINGS_META, SettingsStore } from './settings.ts';

describe('settings', () => {
  it('fall back to defaults, field by field', () => {
    expect(readSettings(undefined)).toEqual(DEFAULT_SETTINGS);
    expect(readSettings('garbage')).toEqual(DEFAULT_SETTINGS);
    expect(readSettings({ readReceipts: false })).toEqual({
      ...DEFAULT_SETTINGS,
      readReceipts: false,
    });
    expect(readSettings({ autoLockMinutes: 7, notificationPreview: true })).toEqual(
      DEFAULT_SETTINGS,
    );
  });

  it('default to a reachable lock policy: hours of idle time, notifications on, no message text', () => {
    expect(DEFAULT_SETTINGS.autoLockMinutes).toBe(480);
    expect(DEFAULT_SETTINGS.notifications).toBe(true);
    expect(DEFAULT_SETTINGS.notificationPreview).toBe(false);
    expect(readSettings({ notifications: false })).toEqual({
      ...DEFAULT_SETTINGS,
      notifications: false,
    });
  });

  it('persist updates', async () => {
    const meta = memoryMeta();
    const store = new SettingsStore(meta);
    expect(await store.update({ autoLockMinutes: 60 })).toEqual({
      ...DEFAULT_SETTINGS,
      autoLockMinutes: 60,
    });
    expect(meta.data.get(SETTINGS_META)).toEqual({ ...DEFAULT_SETTINGS, autoLockMinutes: 60 });
    expect(await new SettingsStore(meta).get()).toEqual({
      ...DEFAULT_SETTINGS,
      autoLockMinutes: 60,
    });
  });
});

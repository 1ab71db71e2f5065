/**
 * What the worker does when the account's devices change (docs/extension.md,
 * "Linked devices"): a newly linked device becomes a notice every Parley view
 * shows until the person dismisses it ("A new device was linked: <name>,
 * <time>", with one-click removal); this browser being removed wipes its
 * local data and leaves only the time of removal, so pages can say what
 * happened and offer to set up again.
 *
 * Notices and the removal mark are kept in plain `meta`: a device name and a
 * time, shown even while the vault is locked (a stranger's device on the
 * account is news before unlocking).
 *
 * Runs in: the service worker and Node (tests).
 */
import type { ParleyClient } from '../../../shared/client/parley-client.ts';
import type { DeviceNotice } from '../../lib/protocol.ts';
import type { MetaStore } from './idb-store.ts';

export const DEVICE_NOTICES_META = 'device-notices';
export const REMOVED_META = 'removed-from-account';
/** Enough for any real account (at most 6 devices at a time); older notices drop. */
const MAX_NOTICES = 20;

function readNotices(raw: unknown): DeviceNotice[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (n): n is DeviceNotice =>
      typeof n === 'object' &&
      n !== null &&
      Number.isSafeInteger((n as DeviceNotice).deviceId) &&
      Number.isSafeInteger((n as DeviceNotice).at) &&
      ((n as DeviceNotice).name === null || typeof (n as DeviceNotice).name === 'string'),
  );
}

export class DeviceNotices {
  readonly #meta: MetaStore;

  constructor(meta: MetaStore) {
    this.#meta = meta;
  }

  async list(): Promise<DeviceNotice[]> {
    return readNotices(await this.#meta.get(DEVICE_NOTICES_META));
  }

  async add(added: readonly DeviceNotice[]): Promise<void> {
    if (added.length === 0) return;
    const known = await this.list();
    const fresh = added.filter((a) => !known.some((k) => k.deviceId === a.deviceId));
    await this.#meta.set(DEVICE_NOTICES_META, [...known, ...fresh].slice(-MAX_NOTICES));
  }

  async dismiss(deviceId: number): Promise<void> {
    const known = await this.list();
    await this.#meta.set(
      DEVICE_NOTICES_META,
      known.filter((k) => k.deviceId !== deviceId),
    );
  }

  async removedAt(): Promise<number | undefined> {
    const raw = await this.#meta.get(REMOVED_META);
    return typeof raw === 'number' && Number.isSafeInteger(raw) ? raw : undefined;
  }

  markRemoved(at: number): Promise<void> {
    return this.#meta.set(REMOVED_META, at);
  }
}

export interface DeviceWatchTargets {
  readonly notices: DeviceNotices;
  /** The device names the relay knows (a name is not part of the signed list). */
  readonly names: () => Promise<ReadonlyMap<number, string | null>>;
  readonly changed: () => void;
  /** This browser was removed: wipe everything, then mark it. */
  readonly wipe: (at: number) => Promise<void>;
  readonly report: (what: string, error: unknown) => void;
}

export function watchOwnDevices(client: ParleyClient, to: DeviceWatchTargets): void {
  client.on('devices-changed', ({ added, removed }) => {
    const self = client.deviceAddress()?.deviceId;
    const others = added.filter((a) => a.deviceId !== self);
    void (async () => {
      const names = others.length === 0 ? new Map() : await to.names().catch(() => new Map());
      await to.notices.add(
        others.map((a) => ({
          deviceId: a.deviceId,
          name: names.get(a.deviceId) ?? null,
          at: a.addedAt,
        })),
      );
      for (const id of removed) await to.notices.dismiss(id);
      to.changed();
    })().catch((e: unknown) => to.report('device notices', e));
  });
  client.on('unlinked', ({ at }) => {
    void to.wipe(at).catch((e: unknown) => to.report('unlink wipe', e));
  });
}

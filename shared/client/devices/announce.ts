/**
 * Announces changes of our own signed device list on this device
 * (docs/client.md, "Linked devices"): the list last announced is kept, and
 * each newer held version becomes one `devices-changed` event naming the
 * devices it added (id, when, by which device) and removed. The first list a
 * device ever sees is recorded without an event (nothing changed for the
 * user: it is the list the account already had).
 */
import * as v from 'valibot';
import type { SignedDeviceList } from '../../crypto/device-list.ts';
import { decodeDeviceList } from '../../crypto/device-list.ts';
import type { ClientHost } from '../host.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import { Batch } from '../store/batch.ts';
import { BytesField, decodeRecord, encodeRecord } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import { addedDevices, droppedDevices, isListed } from './held-lists.ts';

const AnnouncedSchema = v.object({ v: v.literal(1), list: BytesField });

export interface Announced {
  /** The list announced before named this device (so a list without it means unlinked). */
  readonly selfWasListed: boolean;
}

export async function announceOwnList(
  host: Pick<ClientHost, 'records' | 'events'>,
  ctx: SessionContext,
  held: SignedDeviceList | undefined,
): Promise<Announced> {
  const raw = await host.records.get(Keys.deviceListAnnounced);
  const before =
    raw === undefined
      ? undefined
      : decodeDeviceList(decodeRecord(AnnouncedSchema, raw, 'announced device list').list).list;
  const selfWasListed = before !== undefined && isListed(before, ctx.account.deviceId);
  if (held === undefined || (before !== undefined && held.version <= before.version)) {
    return { selfWasListed };
  }
  const batch = new Batch(host.records);
  batch.set(Keys.deviceListAnnounced, encodeRecord({ v: 1, list: held.encoded }));
  await batch.commit();
  if (before !== undefined) {
    const added = addedDevices(before, held).map((id) => {
      const entry = held.devices.find((d) => d.deviceId === id);
      return {
        deviceId: id,
        addedAt: entry?.addedAt ?? held.issuedAt,
        addedBy: entry?.addedBy ?? 0,
      };
    });
    host.events.emit('devices-changed', {
      version: held.version,
      added,
      removed: droppedDevices(before, held),
      at: held.issuedAt,
    });
  }
  return { selfWasListed };
}

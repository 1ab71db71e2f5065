/**
 * Fan-out: how one relay instance tells the instance holding a device's socket
 * that something is waiting for it. The libSQL queue is the source of truth;
 * a signal only says "look now", so a lost signal delays delivery (until the
 * next signal or reconnect) but never loses a message.
 *
 * In process (the default) every device lives in this instance's registry.
 * Across instances (docs/relay.md, "Fan-out across instances"), `attach` also records "device X is held by
 * instance I" in Redis with a TTL refreshed while the socket lives, and
 * `signal` publishes to instance I's channel; the receiving instance then
 * dispatches to its local listener exactly as the in-process version does.
 */

import type { QueueRow } from '../db/queue.ts';

export interface DeviceAddress {
  readonly accountId: string;
  readonly deviceId: number;
}

export type FanoutSignal =
  /**
   * New rows for this device were committed to the queue (highest seq
   * included). In process, the committed row itself may ride along with the
   * queue's writer epoch, so a caught-up socket can send it without reading
   * it back (see DeliveryWindow.queued); across instances only `seq` travels.
   */
  | {
      readonly type: 'queued';
      readonly seq: number;
      readonly row?: QueueRow;
      readonly epoch?: number;
    }
  /** A frame that is never stored (typing): delivered if the device is online, dropped otherwise. */
  | { readonly type: 'transient'; readonly frame: Uint8Array }
  /** The device was removed: its socket must close. */
  | { readonly type: 'revoked' }
  /** The device authenticated on another socket: the older one must close (one delivery stream per device). */
  | { readonly type: 'replaced'; readonly connectionId: string };

export type FanoutListener = (signal: FanoutSignal) => void;

export interface Attachment {
  /** Removes this listener (only if it is still the current one for the device). */
  detach(): Promise<void>;
}

export interface Fanout {
  /**
   * Makes this connection the current holder of `device`. Any previous holder,
   * on this instance or another, receives `replaced`.
   */
  attach(
    device: DeviceAddress,
    connectionId: string,
    listener: FanoutListener,
  ): Promise<Attachment>;
  /**
   * Delivers a signal to whichever instance holds `device`; a no-op when none
   * does. Never rejects: a failure is logged by the implementation and costs
   * at most a delay (the queue is the source of truth).
   */
  signal(device: DeviceAddress, signal: FanoutSignal): Promise<void>;
  /** Tells the other instances that an account's device list changed (they drop cached lists). */
  deviceListChanged(accountId: string): Promise<void>;
  /** Called for every other instance's `deviceListChanged`. */
  onDeviceListChanged(listener: (accountId: string) => void): void;
  /** Devices currently held by this instance (for metrics and shutdown). */
  readonly localCount: number;
  close(): Promise<void>;
}

export function deviceKey(device: DeviceAddress): string {
  return `${device.accountId}/${device.deviceId}`;
}

/** In-process fan-out: every socket lives in this instance, so a signal is a map lookup. */
import {
  type Attachment,
  type DeviceAddress,
  deviceKey,
  type Fanout,
  type FanoutListener,
  type FanoutSignal,
} from './fanout.ts';
import { LocalHolders } from './local-holders.ts';

export class MemoryFanout implements Fanout {
  readonly #holders: LocalHolders;

  constructor(onListenerError: (error: unknown) => void = () => {}) {
    this.#holders = new LocalHolders(onListenerError);
  }

  attach(
    device: DeviceAddress,
    connectionId: string,
    listener: FanoutListener,
  ): Promise<Attachment> {
    const key = deviceKey(device);
    this.#holders.claim(key, connectionId, listener);
    return Promise.resolve({
      detach: () => {
        this.#holders.release(key, connectionId);
        return Promise.resolve();
      },
    });
  }

  signal(device: DeviceAddress, signal: FanoutSignal): Promise<void> {
    const holder = this.#holders.get(deviceKey(device));
    if (holder !== undefined) this.#holders.dispatch(holder.listener, signal);
    return Promise.resolve();
  }

  /** A single instance has nobody else to tell. */
  deviceListChanged(_accountId: string): Promise<void> {
    return Promise.resolve();
  }

  onDeviceListChanged(_listener: (accountId: string) => void): void {}

  get localCount(): number {
    return this.#holders.size;
  }

  close(): Promise<void> {
    this.#holders.clear();
    return Promise.resolve();
  }
}

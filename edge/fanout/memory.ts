/** In-process fan-out: every socket lives in this instance, so a signal is a map lookup. */
import {
  type Attachment,
  type DeviceAddress,
  deviceKey,
  type Fanout,
  type FanoutListener,
  type FanoutSignal,
} from './fanout.ts';

interface Holder {
  readonly connectionId: string;
  readonly listener: FanoutListener;
}

export class MemoryFanout implements Fanout {
  readonly #holders = new Map<string, Holder>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  attach(
    device: DeviceAddress,
    connectionId: string,
    listener: FanoutListener,
  ): Promise<Attachment> {
    const key = deviceKey(device);
    const previous = this.#holders.get(key);
    this.#holders.set(key, { connectionId, listener });
    if (previous !== undefined && previous.connectionId !== connectionId) {
      this.#dispatch(previous.listener, { type: 'replaced', connectionId });
    }
    return Promise.resolve({
      detach: () => {
        if (this.#holders.get(key)?.connectionId === connectionId) this.#holders.delete(key);
        return Promise.resolve();
      },
    });
  }

  signal(device: DeviceAddress, signal: FanoutSignal): Promise<void> {
    const holder = this.#holders.get(deviceKey(device));
    if (holder !== undefined) this.#dispatch(holder.listener, signal);
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

  /** A listener's failure belongs to its connection, never to the sender. */
  #dispatch(listener: FanoutListener, signal: FanoutSignal): void {
    try {
      listener(signal);
    } catch (error) {
      this.#onListenerError(error);
    }
  }
}

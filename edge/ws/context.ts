/**
 * What every connection shares, handed down by the hub. Kept apart from
 * hub.ts so that connection.ts depends on this module and not on the hub
 * (which itself creates connections): no import cycle between the two.
 */
import type { Bytes } from '../../shared/bytes.ts';
import type { Timers } from '../clock.ts';
import type { RelayConfig } from '../config.ts';
import type { Fanout } from '../fanout/fanout.ts';
import type { ChargeInOrder, RateLimiter } from '../limits/rate-limiter.ts';
import type { Audit } from '../observability/audit.ts';
import type { Logger } from '../observability/log.ts';
import type { RelayMetrics } from '../observability/metrics.ts';
import type { PrekeyCounts } from '../services/devices.ts';
import type { MessageService } from '../services/messages.ts';

/** What a connection needs from the device directory. */
export interface DeviceDirectory {
  deviceKey(accountId: string, deviceId: number): Promise<Bytes | undefined>;
  /** The account's identity signing key, for unlock proofs; undefined unless the device is registered. */
  managementKey(accountId: string, deviceId: number): Promise<Bytes | undefined>;
  prekeyCounts(accountId: string, deviceId: number): Promise<PrekeyCounts>;
  /** Marks the device seen; false when it no longer exists. */
  touch(accountId: string, deviceId: number): Promise<boolean>;
}

export interface HubDeps {
  readonly config: RelayConfig;
  readonly messages: MessageService;
  readonly devices: DeviceDirectory;
  readonly fanout: Fanout;
  readonly audit: Audit;
  readonly log: Logger;
  readonly metrics: RelayMetrics;
  readonly now: () => number;
  readonly random: (n: number) => Bytes;
  /** Frames per authenticated device. */
  readonly frameLimiter: RateLimiter;
  /** Device copies written by sends, per sending device. */
  readonly copyLimiter: RateLimiter;
  /** Charges a send's frame and copies together (one store command when shared). */
  readonly chargeInOrder: ChargeInOrder;
  /** Defaults to the runtime's timers. */
  readonly timers?: Timers;
}

/** What the hub knows of a connection it tracks. */
export interface HubMember {
  readonly id: string;
}

export interface HubContext extends HubDeps {
  readonly timers: Timers;
  /** The connection closed: the hub stops tracking it. */
  forget(connection: HubMember): void;
}

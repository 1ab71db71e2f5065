/**
 * What a test socket received from the relay (decoded server frames) and how
 * to wait for more: shared by the in-memory FakeSocket and the real-socket
 * WsTestClient.
 */

import { waitFor } from '../../shared/testing/wait.ts';
import type { ServerFrame, ServerFrameOf, ServerFrameType } from '../../shared/wire/frames.ts';

export function framesOf<T extends ServerFrameType>(
  received: readonly ServerFrame[],
  type: T,
): ServerFrameOf<T>[] {
  return received.filter((f): f is ServerFrameOf<T> => f.t === type);
}

/** Waits until `count` frames of `type` have arrived; fails at once when the socket closed first. */
export function waitForFrames<T extends ServerFrameType>(
  received: readonly ServerFrame[],
  type: T,
  count: number,
  closedWith: () => { readonly code: number; readonly reason: string } | undefined,
  timeoutMs: number,
  everyMs: number,
): Promise<ServerFrameOf<T>[]> {
  const state = () =>
    `${type} x${count}: got [${received.map((f) => f.t).join(', ')}], closed=${JSON.stringify(closedWith())}`;
  return waitFor(
    () => {
      const frames = framesOf(received, type);
      if (frames.length >= count) return frames;
      if (closedWith() !== undefined) throw new Error(`Socket closed waiting for ${state()}`);
      return undefined;
    },
    state,
    timeoutMs,
    everyMs,
  );
}

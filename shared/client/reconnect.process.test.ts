/**
 * How long clients take to come back after the REAL relay restarts (a Deno
 * process, stopped with SIGTERM and started again on the same port and
 * database after a pause, as a redeploy does). Two clients, no help from
 * `reconnectNow`: only the backoff schedule brings them back.
 *
 * The bound is generous on purpose (this is a measurement, not a timing
 * test): with the relay-was-just-reachable cap (backoff.ts) a client retries
 * at least every 4 s, so it is online within ~4 s of the relay plus a
 * handshake. The old schedule (1, 2, 4, 8, 16, 32 s) took 21 s and 45-50 s.
 * The measured times are printed for docs/client.md.
 */
import { describe, expect, it } from 'vitest';
import { sleep } from '../testing/wait.ts';
import { registerUser, waitFor } from './testing/harness.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

/** How long the relay stays down (a restart that takes a while: image pull, migrations). */
const DOWN_MS = 12_000;
/** Generous: the schedule promises ~4 s; a loaded CI machine may add a few. */
const BOUND_MS = 12_000;

const relay = useRelayProcess();

describe('reconnect after a relay restart', () => {
  it('brings every client back within seconds of the relay, without user action', async () => {
    const users = await Promise.all(
      ['ann', 'ben'].map((name) => registerUser(relay.url, `${name}${Date.now() % 100_000}r`)),
    );
    for (const u of users) relay.track(u.client);
    await waitFor(() => users.every((u) => u.client.status().state === 'online'), 'online');

    await relay.process.stop();
    await waitFor(
      () => users.every((u) => u.client.status().state === 'retrying'),
      'clients notice',
    );
    await sleep(DOWN_MS); // the pause is the scenario, not a wait for something
    await relay.process.restart();
    const back = Date.now();
    const took: number[] = [];
    await waitFor(
      () => {
        for (const [i, u] of users.entries()) {
          if (took[i] === undefined && u.client.status().state === 'online')
            took[i] = Date.now() - back;
        }
        return took.filter((t) => t !== undefined).length === users.length;
      },
      'clients back online',
      BOUND_MS + 60_000,
    );
    console.log(
      `reconnect after a relay restart (down ${DOWN_MS / 1000} s): ${took.map((t) => `${(t / 1000).toFixed(1)} s`).join(', ')} after the relay was healthy`,
    );
    for (const t of took) expect(t).toBeLessThan(BOUND_MS);
  });
});

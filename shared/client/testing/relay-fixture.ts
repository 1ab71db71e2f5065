/**
 * The set-up every process test of the client shares: one REAL relay process
 * per test file (started before the file's tests, stopped after them with
 * every client the file started), accounts registered with a real passkey
 * ceremony, and further devices of an account linked the direct way (a
 * passkey login plus the exported identity, docs/client.md). Test-only: it
 * registers vitest hooks, so import it from test files only.
 */
import { afterAll, beforeAll } from 'vitest';
import { RelayProcess, type RelayProcessOptions } from '../../../edge/testing/relay-process.ts';
import { type ClientDeps, createClient, type ParleyClient } from '../client.ts';
import { nodeClientDeps, registerUser, type TestUser } from './harness.ts';

export interface RelayFixture {
  /** The relay process (only inside tests and hooks: it starts in beforeAll). */
  readonly process: RelayProcess;
  /** The relay's base URL. */
  readonly url: string;
  /** A request to the relay by path (RelayProcess.http), for tests that speak REST directly. */
  readonly http: RelayProcess['http'];
  /** Every client the file started so far, oldest first. */
  readonly running: readonly ParleyClient[];
  /** Stops `client` after the file's tests; returns it. */
  track(client: ParleyClient): ParleyClient;
  /** A new account `${name}${n}${handleSuffix}` with a started client (stopped after the file). */
  newUser(name: string, overrides?: Partial<ClientDeps>): Promise<TestUser>;
  /** Another device of `owner`'s account, started and listed in the signed device list. */
  linkDevice(owner: TestUser, overrides?: Partial<ClientDeps>): Promise<TestUser>;
}

export interface RelayFixtureOptions {
  /** Appended to every handle (after a counter) so files never share one. */
  readonly handleSuffix?: string;
  /** How the relay process starts (extra environment and so on). */
  readonly relay?: RelayProcessOptions;
}

/** Registers the file's beforeAll/afterAll for a relay process; call at the top level. */
export function useRelayProcess(options: RelayFixtureOptions = {}): RelayFixture {
  let relay: RelayProcess | undefined;
  const running: ParleyClient[] = [];
  let handles = 0;

  beforeAll(async () => {
    relay = await RelayProcess.start(options.relay);
  });

  afterAll(async () => {
    for (const client of running) await client.stop();
    await relay?.dispose();
  });

  const started = (): RelayProcess => {
    if (relay === undefined) throw new Error('the relay process starts in beforeAll');
    return relay;
  };

  const fixture: RelayFixture = {
    get process() {
      return started();
    },
    get url() {
      return started().url;
    },
    http: (path, init) => started().http(path, init),
    running,
    track(client) {
      running.push(client);
      return client;
    },
    async newUser(name, overrides = {}) {
      const handle = `${name}${++handles}${options.handleSuffix ?? ''}`;
      const u = await registerUser(started().url, handle, overrides);
      running.push(u.client);
      return u;
    },
    async linkDevice(owner, overrides = {}) {
      const session = await owner.client.login(owner.authenticator);
      const identity = await owner.client.exportIdentity();
      const deps = nodeClientDeps(overrides);
      const client = createClient(deps);
      const info = await client.joinAccount({ relayUrl: started().url, session, identity });
      await client.start();
      // Peers address a device once the account's signed list names it (docs/protocol.md, "Device list").
      await client.signedDeviceList.ensureSelfListed();
      running.push(client);
      return {
        ...owner,
        client,
        storage: deps.storage,
        userId: info.userId,
        deviceId: info.deviceId,
      };
    },
  };
  return fixture;
}

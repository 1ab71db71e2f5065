/**
 * Test and tool wiring for the client core under Node: real fetch, the `ws`
 * package's WebSocket, real timers and clock, the software passkey
 * authenticator, and the in-memory store. Not shipped (testing folders are
 * outside the purity lint).
 */
import WebSocket from 'ws';
import { toBase64Url } from '../../bytes.ts';
import { systemRandom } from '../../crypto/random.ts';
import { SoftAuthenticator } from '../../testing/soft-authenticator.ts';
import { waitFor } from '../../testing/wait.ts';
import type { AuthenticationResponse, RegistrationResponse } from '../../wire/rest-auth.ts';
import type { Authenticator } from '../account/account.ts';
import {
  type ClientDeps,
  type ClientEvents,
  createClient,
  type MessageView,
  type ParleyClient,
} from '../client.ts';
import type { FetchLike, Timers } from '../deps.ts';
import { type ClientStorage, createMemoryStorage } from '../store/store.ts';

/** The extension's origin (edge/config.ts EXTENSION_ORIGIN): the relay's default RP. */
export const TEST_ORIGIN = 'chrome-extension://bmdomknieihcmbmhfmajogfncjkidlbh';

export const nodeTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export const nodeFetch: FetchLike = (url, init) => fetch(url, init);

/** The software authenticator behind the client's Authenticator interface. */
export function softAuthenticator(
  origin = TEST_ORIGIN,
): Authenticator & { readonly soft: SoftAuthenticator } {
  const soft = new SoftAuthenticator({ origin });
  return {
    soft,
    // The wire types are @simplewebauthn's JSON shapes, checked loosely (extra members allowed).
    createCredential: async (options) =>
      (await soft.createCredential(options as never)) as unknown as RegistrationResponse,
    getAssertion: async (options) =>
      (await soft.getAssertion(options as never)) as unknown as AuthenticationResponse,
  };
}

export function nodeClientDeps(
  overrides: Partial<ClientDeps> & { readonly storage?: ClientStorage } = {},
): ClientDeps {
  return {
    storage: createMemoryStorage(),
    fetch: nodeFetch,
    webSocket: WebSocket,
    timers: nodeTimers,
    now: () => Date.now(),
    random: systemRandom,
    origin: TEST_ORIGIN,
    ...overrides,
  };
}

export interface TestUser {
  readonly client: ParleyClient;
  readonly storage: ClientStorage;
  readonly authenticator: Authenticator & { readonly soft: SoftAuthenticator };
  readonly handle: string;
  readonly userId: string;
  readonly deviceId: number;
}

/** Registers a new account on the relay (real passkey ceremony) and starts its client. */
export async function registerUser(
  relayUrl: string,
  handle: string,
  overrides: Partial<ClientDeps> = {},
): Promise<TestUser> {
  const deps = nodeClientDeps(overrides);
  const client = createClient(deps);
  const authenticator = softAuthenticator();
  const account = await client.register({ relayUrl, handle, authenticator });
  await client.start();
  return {
    client,
    storage: deps.storage,
    authenticator,
    handle,
    userId: account.userId,
    deviceId: account.deviceId,
  };
}

/** Polls until `check` holds (integration tests wait for the network, never on timing). */
export { waitFor };

let texts = 0;
/** A message text no other test run can have sent (scans and waits never match an older one). */
export function uniqueText(text: string): string {
  return `${text} #${++texts}-${toBase64Url(systemRandom(6))}`;
}

/** Every `type` event the client emits from now on, in a live array. */
export function collect<K extends keyof ClientEvents>(
  client: ParleyClient,
  type: K,
): ClientEvents[K][] {
  const seen: ClientEvents[K][] = [];
  client.on(type, (e) => seen.push(e));
  return seen;
}

/** A conversation's messages (up to 500, oldest first). */
export async function messagesOf(
  client: ParleyClient,
  conversationId: string,
): Promise<MessageView[]> {
  return (await client.getMessages({ conversationId, limit: 500 })).messages;
}

/** A conversation's texts (not notices), oldest first. */
export async function textsOf(client: ParleyClient, conversationId: string): Promise<string[]> {
  return (await messagesOf(client, conversationId))
    .filter((m) => m.kind === 'text')
    .map((m) => m.text);
}

/** Waits until `client` holds at least `count` texts in `conversationId`; all of them. */
export function waitTexts(
  client: ParleyClient,
  conversationId: string,
  count: number,
  what: string,
): Promise<string[]> {
  return waitFor(async () => {
    const all = await textsOf(client, conversationId);
    return all.length >= count ? all : undefined;
  }, what);
}

/** Lets every client finish what it is doing, three rounds (frames in flight land). */
export async function settle(...users: readonly TestUser[]): Promise<void> {
  for (let i = 0; i < 3; i++) for (const u of users) await u.client.idle();
}

/** Waits until `text` is among a conversation's texts (none while it does not exist yet). */
export async function seenText(
  client: ParleyClient,
  conversationId: string,
  text: string,
): Promise<void> {
  await waitFor(
    async () =>
      (await textsOf(client, conversationId).catch((): string[] => [])).includes(text) || undefined,
    `"${text}"`,
  );
}

/**
 * The CLI's linking commands (docs/protocol.md, "Linking a device"):
 * `link-code` on a new headless device (prints the code, waits, completes),
 * `link-approve <code>` on an existing one. The existing side asks before it
 * hands the account over, unless `--yes` (bots, tests).
 */
import { createInterface } from 'node:readline/promises';
import type { Authenticator } from '../../shared/client/account/account.ts';
import type { ParleyClient } from '../../shared/client/client.ts';
import {
  approveLink,
  type HistoryOutcome,
  type LinkedDevice,
} from '../../shared/client/linking/existing-device.ts';
import {
  historyReceiverFor,
  historySenderFor,
} from '../../shared/client/linking/history-bindings.ts';
import { resumePendingHistory } from '../../shared/client/linking/history-resume.ts';
import {
  type HistoryResult,
  type LinkedAccount,
  type LinkInvitation,
  linkAsNewDevice,
} from '../../shared/client/linking/new-device.ts';
import { registerLinkedDevice } from '../../shared/client/linking/register-linked-device.ts';
import { RelayApi } from '../../shared/client/relay/relay-api.ts';
import { nodeFetch, nodeTimers, TEST_ORIGIN } from '../../shared/client/testing/harness.ts';
import { systemRandom } from '../../shared/crypto/random.ts';

/** Chunk requests of the history blob (shared/attachments/relay-http.ts). */
const blobFetch = (url: string, init?: RequestInit) => fetch(url, init);

type Out = (line: string, data?: Record<string, unknown>) => void;

function anonymousApi(relayUrl: string): RelayApi {
  return new RelayApi({
    baseUrl: relayUrl,
    fetch: nodeFetch,
    now: () => Date.now(),
    timers: nodeTimers,
    origin: TEST_ORIGIN,
  });
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

export interface LinkCodeInput {
  readonly client: ParleyClient;
  readonly relayUrl: string;
  readonly deviceName: string;
  /** Path B: show a link string and ask for the check code instead of a typed code. */
  readonly linkString: boolean;
  readonly out: Out;
}

/** `link-code`: this profile becomes a new device of the account that approves the code. */
export function linkCode(input: LinkCodeInput): Promise<LinkedAccount> {
  const { client, out } = input;
  return linkAsNewDevice({
    api: anonymousApi(input.relayUrl),
    random: systemRandom,
    timers: nodeTimers,
    now: () => Date.now(),
    deviceName: input.deviceName,
    path: input.linkString ? 'string' : 'code',
    onInvitation: (i: LinkInvitation) => {
      const expires = new Date(i.expiresAt).toISOString();
      if (i.code !== undefined)
        out(`link code: ${i.code} (type it on a device of the account; expires ${expires})`, {
          event: 'link-code',
          code: i.code,
          expiresAt: i.expiresAt,
        });
      else
        out(`link string: ${i.linkString} (expires ${expires})`, {
          event: 'link-string',
          linkString: i.linkString,
          expiresAt: i.expiresAt,
        });
    },
    askCheckCode: () => ask('Check code shown on the other device: '),
    onStrike: (strikes) =>
      out(`a wrong code was typed on the other device (${strikes} of 3)`, {
        event: 'link-strike',
        strikes,
      }),
    register: (payload) =>
      registerLinkedDevice(client, payload, {
        deviceName: input.deviceName,
        extractableDeviceKey: true,
      }),
    historyReceiver: historyReceiverFor(client, blobFetch),
  });
}

export interface LinkApproveInput {
  readonly client: ParleyClient;
  readonly relayUrl: string;
  readonly code: string;
  readonly authenticator: Authenticator;
  /** Approve without asking (bots, tests). */
  readonly yes: boolean;
  /** Send the account's history to the new device (false: `--no-history`). */
  readonly history: boolean;
  readonly out: Out;
}

/** `link-approve <code>`: hands this account to the device showing the code, after approval. */
export function linkApprove(input: LinkApproveInput): Promise<LinkedDevice> {
  const { client, out } = input;
  return approveLink({
    api: anonymousApi(input.relayUrl),
    random: systemRandom,
    timers: nodeTimers,
    now: () => Date.now(),
    code: input.code,
    onCheckCode: (code) =>
      out(`check code: ${code} (type it on the new device)`, { event: 'check-code', code }),
    approve: async ({ deviceName }) => {
      if (input.yes) return true;
      const answer = await ask(
        `A NEW DEVICE "${deviceName}" will read ALL your messages. Continue only if you started this yourself right now. Link it? [y/N] `,
      );
      return /^y(es)?$/i.test(answer.trim());
    },
    session: () => client.login(input.authenticator),
    identity: () => client.exportIdentity(),
    ensureListed: () => client.signedDeviceList.ensureSelfListed(),
    settings: () => client.getSettings(),
    history: input.history,
    historySender: historySenderFor(client, blobFetch),
  });
}

/**
 * Any command on a linked profile whose `link-code` stopped mid-download
 * (docs/protocol.md, "History transfer"): the kept offer is downloaded and
 * imported before the command starts the client. A failure is reported and
 * the command goes on (the offer stays unless the blob is gone or damaged).
 */
export async function resumeLinkHistory(client: ParleyClient, out: Out): Promise<void> {
  const relayUrl = client.account()?.relayUrl;
  if (relayUrl === undefined) return;
  try {
    const history = await resumePendingHistory({
      pending: () => client.archive.pendingTransfer.get(),
      receiver: historyReceiverFor(client, blobFetch),
      relayUrl,
      deps: { random: systemRandom, timers: nodeTimers },
    });
    if (history !== undefined)
      out(`resumed ${describeImportedHistory(history)}`, { event: 'history', ...history });
  } catch (error) {
    console.error(`parley: the linked history could not be resumed: ${(error as Error).message}`);
  }
}

/** `link-code`'s last line: how many records the history brought, or why none. */
export function describeImportedHistory(history: HistoryResult): string {
  if (history.imported)
    return `history: ${history.records} records imported (${history.skipped} already here, ${history.bytes} bytes)`;
  const why = {
    declined: 'the other device cannot send it',
    failed: 'the other device could not export it',
    unsupported: 'this build cannot import it',
    expired: 'it was kept on the relay for one hour only and is gone',
    interrupted: 'the other device stopped before sending it',
  }[history.reason];
  return `history: none (${why})`;
}

export function describeSentHistory(outcome: HistoryOutcome): string {
  if (outcome.sent)
    return `history: sent (${outcome.bytes} bytes${outcome.messages ? '' : ', without messages'})`;
  return outcome.reason === 'unsupported' ? 'history: not sent' : 'history: export failed';
}

/** The outcome without its error object (for --json). */
export function historyFields(outcome: HistoryOutcome): Record<string, unknown> {
  if (outcome.sent) return { sent: true, bytes: outcome.bytes, messages: outcome.messages };
  return { sent: false, reason: outcome.reason };
}

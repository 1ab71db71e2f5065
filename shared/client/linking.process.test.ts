/**
 * Linking a device through the REAL relay process (docs/protocol.md,
 * "Linking a device"): a new client with no account runs the new-device side,
 * the account's existing client the other, each with its own relay API; the
 * new device then takes part in the account like any other (a message from a
 * third user reaches both devices). Also: three wrong codes kill the code,
 * a declined approval ends the new device's wait, path B with its check code
 * (three wrong check codes end both sides).
 * Afterwards the relay's database holds no identity key or session token.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isParleyError } from '../errors.ts';
import type { ParleyClient } from './client.ts';
import { createClient } from './client.ts';
import { approveLink, type ExistingDeviceLinkOptions } from './linking/existing-device.ts';
import type { NewDeviceLinkOptions } from './linking/new-device.ts';
import { nodeClientDeps, type TestUser, textsOf, uniqueText, waitFor } from './testing/harness.ts';
import { existingLinkSide, newLinkSide } from './testing/link-sides.ts';
import { useRelayProcess } from './testing/relay-fixture.ts';

const relay = useRelayProcess();

const user = (name: string): Promise<TestUser> => relay.newUser(name);

const newSide = (client: ParleyClient, overrides: Partial<NewDeviceLinkOptions> = {}) =>
  newLinkSide(relay.url, client, 'headless test device', overrides);

const existingSide = (
  owner: TestUser,
  code: string,
  overrides: Partial<ExistingDeviceLinkOptions> = {},
): ExistingDeviceLinkOptions => existingLinkSide(relay.url, owner, code, overrides);

async function linkFailure(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (isParleyError(error, ErrorCode.LINK_FAILED))
      return (error.details as { reason?: string } | undefined)?.reason;
    throw error;
  }
  return undefined;
}

/** A check code that is not `right` (one the person mistyped). */
const wrongCheckCode = (right: string) => (right === '000000' ? '000001' : '000000');

/**
 * Path B's set-up: alice, and a fresh tracked client that starts the new-device side by
 * link string. Each time that side asks for the check code, `answer` types one, given the
 * code the existing side shows (that side's onCheckCode must call `showCheckCode`).
 */
async function startLinkByString(answer: (attempt: number, shown: string) => string) {
  const alice = await user('alice');
  const client = createClient(nodeClientDeps());
  relay.track(client);
  let showCheckCode: (c: string) => void = () => {};
  const checkCode = new Promise<string>((r) => {
    showCheckCode = r;
  });
  const n = newSide(client, {
    path: 'string',
    askCheckCode: async (attempt) => answer(attempt, await checkCode),
  });
  return { alice, client, n, showCheckCode };
}

describe('linking a device (real relay)', () => {
  it('links by typed code; the new device receives what a third user sends', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await alice.client.updateSettings({ typingIndicators: false });
    const client = createClient(nodeClientDeps());
    relay.track(client);
    const n = newSide(client);
    const { code, expiresAt } = await n.invitation;
    expect(code).toMatch(/^[1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}-[1-9A-HJ-NP-TV-Z]{4}$/);
    expect(expiresAt).toBeGreaterThan(Date.now());
    const requests: string[] = [];
    const approved = await approveLink(
      existingSide(alice, code ?? '', {
        approve: async (r) => {
          requests.push(r.deviceName);
          return true;
        },
      }),
    );
    const info = await n.done;
    expect(requests).toEqual(['headless test device']);
    expect(info).toMatchObject({ userId: alice.userId, handle: alice.handle });
    expect(approved.deviceId).toBe(info.deviceId);
    expect(client.getSettings().typingIndicators).toBe(false);
    // The rendezvous is gone once linking finished.
    expect((await relay.process.http(`/v1/link/locators/${code?.slice(0, 4)}`)).status).toBe(404);

    await client.start();
    const chat = await bob.client.startConversation(alice.handle);
    const text = uniqueText('to both of alice');
    await bob.client.sendText({ conversationId: chat.id, text });
    const convo = `u:${bob.userId}`;
    await waitFor(
      async () => (await textsOf(alice.client, convo)).includes(text),
      'alice1 receives',
    );
    await waitFor(async () => (await textsOf(client, convo)).includes(text), 'alice2 receives');

    // Nothing secret crossed the relay in the clear.
    const identity = await alice.client.exportIdentity();
    const files = [relay.process.dbPath, `${relay.process.dbPath}-wal`]
      .filter((p) => existsSync(p))
      .map((p) => readFileSync(p));
    for (const bytes of files) expect(bytes.indexOf(Buffer.from(identity.sigPrivate))).toBe(-1);
  });

  it('three wrong codes kill the code on both sides', async () => {
    const alice = await user('alice');
    const client = createClient(nodeClientDeps());
    const strikes: number[] = [];
    const n = newSide(client, { onStrike: (s) => strikes.push(s) });
    const failed = linkFailure(n.done);
    const { code } = await n.invitation;
    const real = code ?? '';
    const wrong = `${real.slice(0, 10)}${real.slice(10) === '2222' ? '3333' : '2222'}`;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const reason = await linkFailure(approveLink(existingSide(alice, wrong)));
      // The third failure kills the rendezvous instead of answering.
      expect(reason).toBe(attempt < 3 ? 'confirmation' : 'expired');
    }
    expect(await failed).toBe('strikes');
    expect(strikes).toEqual([1, 2, 3]);
    // The right code no longer finds anything.
    expect(await linkFailure(approveLink(existingSide(alice, real)))).toBe('expired');
    expect(client.account()).toBeUndefined();
  });

  it('a declined approval sends nothing and ends the new device wait', async () => {
    const alice = await user('alice');
    const client = createClient(nodeClientDeps());
    const n = newSide(client);
    const failed = linkFailure(n.done);
    const { code } = await n.invitation;
    const declined = approveLink(existingSide(alice, code ?? '', { approve: async () => false }));
    expect(await linkFailure(declined)).toBe('declined');
    expect(await failed).toBe('expired');
    expect(client.account()).toBeUndefined();
  });

  it('links by link string and check code (path B)', async () => {
    const typed: string[] = [];
    const { alice, n, showCheckCode } = await startLinkByString((attempt, right) => {
      // The user mistypes once first.
      const value = attempt === 1 ? wrongCheckCode(right) : right;
      typed.push(value);
      return value;
    });
    const { linkString } = await n.invitation;
    expect(linkString).toMatch(/^parley:link\?v=1&r=/);
    const approved = await approveLink(
      existingSide(alice, linkString ?? '', { onCheckCode: (c) => showCheckCode(c) }),
    );
    const info = await n.done;
    expect(approved.deviceId).toBe(info.deviceId);
    expect(typed).toHaveLength(2);
    expect(info.userId).toBe(alice.userId);
  });

  it('path B: three wrong check codes end both sides and nothing is sent', async () => {
    const attempts: number[] = [];
    const { alice, client, n, showCheckCode } = await startLinkByString((attempt, right) => {
      attempts.push(attempt);
      return wrongCheckCode(right);
    });
    const failed = linkFailure(n.done);
    const { linkString } = await n.invitation;
    const asked: string[] = [];
    const approved = approveLink(
      existingSide(alice, linkString ?? '', {
        onCheckCode: (c) => showCheckCode(c),
        approve: async (r) => {
          asked.push(r.deviceName);
          return true;
        },
      }),
    );
    expect(await failed).toBe('check-code');
    // The new device's reject ends the existing side's wait before any approval.
    expect(await linkFailure(approved)).toBe('confirmation');
    expect(attempts).toEqual([1, 2, 3]);
    expect(asked).toEqual([]);
    expect(client.account()).toBeUndefined();
  });
});

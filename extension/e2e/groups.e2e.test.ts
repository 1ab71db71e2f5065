/**
 * Groups, disappearing messages, receipts, typing, presence and message
 * requests, end to end in real Chromium: three browser profiles (Alice, Bob,
 * Carol) with the built extension, the real relay process, and a tap between
 * them (relay-tap.ts) that sees every WebSocket frame and can act as a
 * malicious relay. Two plain client-core accounts (Dave, Eve) write to Bob as
 * strangers.
 *
 *  - Alice creates a group with Bob and Carol from the side panel (listed as
 *    invited until they accept and write); they accept the invitation; everyone reads everyone; receipts count members; Bob's
 *    typing shows on Alice's side; the popup lists the group.
 *  - The group page offers each control only when the role allows it.
 *  - Alice removes Carol. Proven about what Carol can read afterwards:
 *      1. no group message sent after the removal is addressed to her device
 *         (the relay is never asked to deliver one), and the new sender key
 *         goes to Bob only;
 *      2. those messages use a sender-key chain she never received;
 *      3. when the tap, as a malicious relay, withholds her removal and hands
 *         her client such a ciphertext anyway, her client cannot decrypt it
 *         with any key it holds (no text; it asks Alice again, unanswered);
 *      4. once the removal reaches her, her page says she is no longer a
 *         member and nothing sent later appears.
 *  - Message requests from strangers: one accepted (receipts and presence
 *    start), one blocked (what they send later never arrives).
 *  - A 30-second group timer: the messages disappear on both remaining sides
 *    (the DOM and the worker's records) and from the relay's database file and
 *    WAL (the relay sweeps every second here, so its WAL is checkpointed);
 *    meanwhile Carol's own disappearing message is deleted by her worker while
 *    the vault is locked and no extension page is open, after Chrome stopped
 *    the worker (an alarm starts it again).
 *
 * Waits are on conditions; the only long wait is the 30-second timer itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProcess } from '../../edge/testing/relay-process.ts';
import { isGroupMessageBody } from '../../shared/client/groups/receive.ts';
import { registerUser, type TestUser } from '../../shared/client/testing/harness.ts';
import { parseGroupMessageHeader } from '../../shared/crypto/sender-key-message.ts';
import type { SendFrame } from '../../shared/wire/frames.ts';
import { EXPIRY_BUCKET_MS } from '../entrypoints/background/record-keys.ts';
import {
  callWorker,
  errorsOf,
  launchBrowser,
  openPage,
  type ParleyBrowser,
  startRelay,
} from './fixture.ts';
import { type Captured, type RelayTap, startRelayTap } from './relay-tap.ts';
import {
  bubble,
  chooseTimer,
  eventually,
  notice,
  onboard,
  openConversation,
  recordKeys,
  send,
  shot,
  stateOf,
  stopWorker,
  timerButton,
  timerValue,
  WAIT_MS,
} from './steps.ts';

const GROUP = 'Weekend trip';
let relay: RelayProcess;
let tap: RelayTap;
let alice: ParleyBrowser;
let bob: ParleyBrowser;
let carol: ParleyBrowser;
const strangers: TestUser[] = [];
/** Tabs by role (the onboarding tab becomes the side panel: it holds the passkey). */
const tabs: Record<string, Page> = {};
/** User ids by handle (relay lookups). */
const ids: Record<string, string> = {};
/** Every text sent in the group while its timer was on: none may survive anywhere. */
const disappearing: string[] = [];

async function launch(): Promise<ParleyBrowser> {
  const b = await launchBrowser();
  b.context.setDefaultTimeout(WAIT_MS);
  return b;
}

beforeAll(async () => {
  // Sweep (and checkpoint the WAL) every second: acked rows leave the files quickly.
  relay = await startRelay({ env: { SWEEP_INTERVAL_SECONDS: '1' } });
  tap = await startRelayTap(relay.url);
  [alice, bob, carol] = await Promise.all([launch(), launch(), launch()]);
});

afterAll(async () => {
  for (const s of strangers) await s.client.stop();
  await Promise.allSettled([alice?.close(), bob?.close(), carol?.close()]);
  await tap?.close();
  await relay?.dispose();
});

function tab(name: string): Page {
  const page = tabs[name];
  if (page === undefined) throw new Error(`no tab ${name}`);
  return page;
}

function userId(handle: string): string {
  const id = ids[handle];
  if (id === undefined) throw new Error(`no id for ${handle}`);
  return id;
}

/** Frames the tap saw going up from `user`'s sockets, `send` only, from index `from` on. */
function sendsBy(user: string, from = 0): SendFrame[] {
  return tap.frames
    .slice(from)
    .filter(
      (c): c is Extract<Captured, { dir: 'up' }> & { frame: SendFrame } =>
        c.dir === 'up' && c.user === user && c.frame.t === 'send',
    )
    .map((c) => c.frame);
}

/** Whether any of `needles` (the middle 32 bytes of each) is in the relay's database or WAL. */
function inRelayFiles(needles: readonly Uint8Array[]): boolean {
  const files = [relay.dbPath, `${relay.dbPath}-wal`]
    .filter((p) => existsSync(p))
    .map((p) => readFileSync(p));
  return needles.some((n) => {
    const start = Math.max(0, Math.floor(n.length / 2) - 16);
    const slice = Buffer.from(n.subarray(start, start + 32));
    return files.some((f) => f.indexOf(slice) >= 0);
  });
}

async function groupId(page: Page): Promise<string> {
  const list = await callWorker(page, 'listConversations');
  const group = list.ok ? list.value.find((c) => c.title === GROUP) : undefined;
  if (group === undefined) throw new Error('group not listed');
  return group.id;
}

async function openGroupPage(page: Page): Promise<void> {
  await page
    .getByRole('button', { name: new RegExp(`^${GROUP}, .*: group details and members$`) })
    .click();
  await page.getByRole('heading', { name: 'Members' }).waitFor();
}

async function backToChat(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Back to the conversation' }).click();
  await page.getByRole('log', { name: `Messages with ${GROUP}` }).waitFor();
}

describe('groups, timers, receipts, typing and requests across three browsers', () => {
  it('three profiles register three accounts', async () => {
    const [a, b, c] = await Promise.all([
      onboard(alice, tap.url, 'alice'),
      onboard(bob, tap.url, 'bob'),
      onboard(carol, tap.url, 'carol'),
    ]);
    tabs.alicePanel = await openPage(alice, 'sidepanel', a);
    tabs.bobPanel = await openPage(bob, 'sidepanel', b);
    tabs.carolPanel = await openPage(carol, 'sidepanel', c);
    // A stranger's client looks the handles up, as anyone can.
    const dave = await registerUser(relay.url, 'dave', { presenceIntervalMs: 1_000 });
    strangers.push(dave);
    for (const h of ['alice', 'bob', 'carol']) ids[h] = (await dave.client.lookupHandle(h)).user;
    ids.dave = dave.userId;
    await eventually(() => tap.devices().size).toBe(3);
  });

  it('Alice creates a group; Bob and Carol accept the invitation; everyone reads everyone', async () => {
    const panel = tab('alicePanel');
    await panel.getByRole('button', { name: 'Start a chat' }).first().click();
    await panel.getByRole('button', { name: 'Group', exact: true }).click();
    await panel.getByLabel('Group name').fill(GROUP);
    await panel.getByLabel('Members').fill('@bob, carol, nobody.here');
    await panel.getByRole('button', { name: 'Create', exact: true }).click();
    await eventually(() => panel.getByRole('alert').textContent()).toBe(
      'Nobody called @nobody.here is on this relay.',
    );
    await panel.getByLabel('Members').fill('@bob, carol');
    await panel.getByRole('button', { name: 'Create', exact: true }).click();
    await panel.getByRole('log', { name: `Messages with ${GROUP}` }).waitFor();
    // Bob and Carol are invited, not members, until they accept.
    await eventually(() => panel.locator('.chat-head__sub').textContent()).toBe('1 member');
    await notice(panel, 'You created the group').waitFor();
    await openGroupPage(panel);
    const invited = panel.getByRole('list', { name: 'Invited' }).getByRole('listitem');
    await eventually(() => invited.count()).toBe(2);
    expect(await invited.first().textContent()).toMatch(/@(bob|carol)invited/);
    await backToChat(panel);

    for (const name of ['bob', 'carol']) {
      const page = tab(`${name}Panel`);
      const entry = page
        .getByRole('list', { name: 'Conversations' })
        .getByRole('button', { name: /^Weekend trip, group, 1 member, message request\b/ });
      await entry.waitFor();
      await openConversation(page, GROUP);
      const invitation = page.locator('.notice--request');
      await eventually(() => invitation.textContent()).toContain(
        '@alice added you to Weekend trip.',
      );
      // No composer before accepting a group invitation.
      expect(await page.getByLabel('Message', { exact: true }).count()).toBe(0);
      if (name === 'bob') await shot(page, 'groups-invitation');
      await page.getByRole('button', { name: 'Accept' }).click();
      await page.getByLabel('Message', { exact: true }).waitFor();
    }

    const hello = 'Hello both! Let’s plan Saturday here.';
    await send(panel, hello);
    const fromBob = 'Count me in — I’ll bring the map.';
    const fromCarol = 'Me too. Which train?';
    await bubble(tab('bobPanel'), hello).waitFor();
    await send(tab('bobPanel'), fromBob);
    await bubble(tab('carolPanel'), fromBob).waitFor();
    await send(tab('carolPanel'), fromCarol);
    for (const [page, texts] of [
      [panel, [fromBob, fromCarol]],
      [tab('bobPanel'), [hello, fromCarol]],
      [tab('carolPanel'), [hello, fromBob]],
    ] as const) {
      for (const text of texts) await bubble(page, text).waitFor();
    }
    // Incoming group messages carry their sender's name.
    expect(await bubble(panel, fromBob).locator('.bubble__sender').textContent()).toBe('bob');
    expect(await bubble(tab('bobPanel'), hello).locator('.bubble__sender').textContent()).toBe(
      'alice',
    );
    // Receipts are counted per member until everyone has read it.
    await eventually(() => stateOf(panel, hello)).toBe('Read by everyone');

    // Bob types: Alice sees it; sending ends it.
    const bobField = tab('bobPanel').getByLabel('Message', { exact: true });
    await bobField.pressSequentially('Typing something lo');
    const typing = panel.locator('.typing-line');
    await eventually(() => typing.textContent()).toBe('bob is typing…');
    await shot(panel, 'groups-chat-typing');
    await bobField.fill('');
    await bobField.pressSequentially('ng. Done.');
    await bobField.press('Enter');
    await bubble(panel, 'ng. Done.').waitFor();
    await eventually(() => typing.textContent()).toBe('');
    await shot(panel, 'groups-chat');

    // The popup lists the group: name, member count, last message with its sender.
    const popup = await openPage(alice, 'popup');
    tabs.alicePopup = popup;
    const entry = popup
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: /^Weekend trip, group, 3 members/ });
    await eventually(() => entry.textContent()).toContain('bob: ng. Done.');
    await shot(popup, 'groups-popup-list');
    // Background tabs get no animation frames (and are not "visible"): one tab at a time.
    await popup.close();
    for (const [b, page] of [
      [alice, panel],
      [alice, popup],
      [bob, tab('bobPanel')],
      [carol, tab('carolPanel')],
    ] as const)
      expect(errorsOf(b, page)).toEqual([]);
  });

  it('the group page offers each control only when the role allows it', async () => {
    const owner = tab('alicePanel');
    const member = tab('bobPanel');
    await openGroupPage(owner);
    await openGroupPage(member);
    const members = owner.getByRole('list', { name: 'Members' }).getByRole('listitem');
    await eventually(() => members.count()).toBe(3);
    expect(await members.first().textContent()).toContain('@alice (you)Owner');
    // Everyone wrote: nobody is left under "Invited".
    expect(await owner.getByRole('heading', { name: 'Invited' }).count()).toBe(0);

    // The owner: rename, timer, manage each member, add; not leave (ownership first).
    for (const name of ['Rename group', 'Manage @bob', 'Manage @carol'])
      expect(await owner.getByRole('button', { name }).count()).toBe(1);
    expect(await owner.getByRole('form', { name: 'Add members' }).count()).toBe(1);
    expect(await timerButton(owner).count()).toBe(1);
    expect(await owner.getByRole('button', { name: 'Leave group' }).count()).toBe(0);

    // A member: nothing to change but leaving.
    await member.getByRole('button', { name: 'Leave group' }).waitFor();
    for (const name of ['Rename group', 'Manage @alice', 'Manage @carol'])
      expect(await member.getByRole('button', { name }).count()).toBe(0);
    expect(await member.getByRole('form', { name: 'Add members' }).count()).toBe(0);
    // Shown as text, not as a control.
    expect(await timerButton(member).count()).toBe(0);
    expect(await timerValue(member)).toBe('Off');

    // Alice makes Bob an admin; his page follows at once: rename, timer, add,
    // remove a member; still no role changes and no way to remove the owner.
    await owner.getByRole('button', { name: 'Manage @bob' }).click();
    await owner.getByRole('button', { name: 'Make admin' }).click();
    await eventually(() => members.nth(1).textContent()).toContain('Admin');
    await member.getByRole('button', { name: 'Rename group' }).waitFor();
    expect(await member.getByRole('form', { name: 'Add members' }).count()).toBe(1);
    expect(await timerButton(member).count()).toBe(1);
    expect(await member.getByRole('button', { name: 'Manage @alice' }).count()).toBe(0);
    await member.getByRole('button', { name: 'Manage @carol' }).click();
    await member.getByRole('button', { name: 'Remove from group' }).waitFor();
    expect(await member.getByRole('button', { name: 'Make admin' }).count()).toBe(0);
    expect(await member.getByRole('button', { name: 'Make owner' }).count()).toBe(0);
    await member.getByRole('button', { name: 'Manage @carol' }).click();
    await shot(owner, 'groups-page-owner');
    await shot(member, 'groups-page-admin');
    await owner.getByRole('button', { name: 'Manage @bob' }).click();
    await backToChat(member);
    // The role change is in both timelines.
    await notice(member, /made you an admin/).waitFor();
  });

  it('an admin removes Carol: new messages never reach her, and she could not read them anyway', async () => {
    const owner = tab('alicePanel');
    const carolPage = tab('carolPanel');
    const aliceId = userId('alice');
    const carolId = userId('carol');
    const aliceDevice = tap.devices().get(aliceId);
    if (aliceDevice === undefined) throw new Error('alice is not connected');

    // Every chain id of Alice's group messages that reached Carol before.
    const chainsCarolGot = new Set(
      tap.frames
        .filter(
          (c) =>
            c.dir === 'down' &&
            c.user === carolId &&
            c.frame.t === 'deliver' &&
            c.frame.from === aliceId &&
            isGroupMessageBody(c.frame.body),
        )
        .map((c) => (c.frame.t === 'deliver' ? parseGroupMessageHeader(c.frame.body).chainId : -1)),
    );
    expect(chainsCarolGot.size).toBeGreaterThan(0);

    // The tap turns malicious: whatever the relay delivers to Carol now waits.
    tap.hold(carolId);
    const mark = tap.frames.length;
    const carolRow = owner.getByRole('listitem').filter({ hasText: '@carol' });
    await carolRow.getByRole('button', { name: 'Manage @carol' }).click();
    await carolRow.getByRole('button', { name: 'Remove from group' }).click();
    await carolRow.getByRole('button', { name: 'Remove @carol' }).click();
    const members = owner.getByRole('list', { name: 'Members' }).getByRole('listitem');
    await eventually(() => members.count()).toBe(2);
    await backToChat(owner);
    await notice(owner, 'You removed carol').waitFor();

    const secret = 'After Carol left: the cabin key is under the blue pot.';
    await send(owner, secret);
    await bubble(tab('bobPanel'), secret).waitFor();

    // 1. The message went to Bob only; the new sender key (the `pre` frame just
    //    before it) too.
    const sends = sendsBy(aliceId, mark).filter((f) => f.transient !== true);
    const groupSends = sends.filter((f) => f.body !== undefined);
    expect(groupSends).toHaveLength(1);
    const message = groupSends[0] as SendFrame & { body: Uint8Array };
    // Alice's own account is named too, with no device (she has no other): docs/protocol.md,
    // "Own devices in every send".
    expect(message.to.filter((r) => r.devices.length > 0).map((r) => r.user)).toEqual([
      userId('bob'),
    ]);
    expect(message.to.find((r) => r.user === aliceId)?.devices).toEqual([]);
    const pre = sends[sends.indexOf(message) - 1];
    expect(pre?.body).toBeUndefined();
    expect(pre?.to.map((r) => r.user)).toEqual([userId('bob')]);
    // 2. ...under a sender-key chain Carol never received.
    const header = parseGroupMessageHeader(message.body);
    expect(chainsCarolGot.has(header.chainId)).toBe(false);
    // The removal itself is waiting for her in the tap.
    expect(tap.held(carolId).length).toBeGreaterThan(0);

    // 3. A malicious relay hands her the ciphertext anyway, before she learns
    //    she was removed: her client tries every key it holds, reads nothing,
    //    and asks Alice for the message again (a retry receipt, a pairwise
    //    send to Alice), which Alice does not answer: Carol was not among the
    //    message's recipients.
    const injected = tap.frames.length;
    expect(
      tap.inject(carolId, {
        t: 'deliver',
        id: message.id,
        from: aliceId,
        fromDevice: aliceDevice,
        body: message.body,
        sentAt: Date.now(),
      }),
    ).toBeGreaterThan(0);
    await eventually(() =>
      sendsBy(carolId, injected).some(
        (f) => f.transient !== true && f.to.some((r) => r.user === aliceId),
      ),
    ).toBe(true);
    expect(await carolPage.getByRole('log').textContent()).not.toContain('cabin key');

    // 4. The removal reaches her: her page says so, and nothing later appears.
    tap.release(carolId);
    await carolPage.getByText('You’re no longer a member of this group').waitFor();
    expect(await carolPage.getByLabel('Message', { exact: true }).count()).toBe(0);
    await notice(carolPage, 'alice removed you').waitFor();
    const later = 'Only Bob and me now.';
    const before = tap.frames.length;
    await send(owner, later);
    await bubble(tab('bobPanel'), later).waitFor();
    const laterSends = sendsBy(aliceId, before).filter((f) => f.body !== undefined);
    expect(laterSends.flatMap((f) => f.to.map((r) => r.user))).not.toContain(carolId);
    expect(await carolPage.getByRole('log').textContent()).not.toContain(later);
    expect(
      tap.frames
        .slice(before)
        .some(
          (c) =>
            c.dir === 'down' &&
            c.user === carolId &&
            c.frame.t === 'deliver' &&
            isGroupMessageBody(c.frame.body),
        ),
    ).toBe(false);
    await shot(carolPage, 'groups-removed-member');
    expect(errorsOf(carol, carolPage)).toEqual([]);
  });

  it('message requests from strangers: one accepted (receipts, presence), one blocked', async () => {
    const dave = strangers[0];
    if (dave === undefined) throw new Error('no dave');
    const eve = await registerUser(relay.url, 'eve');
    strangers.push(eve);
    const popup = await openPage(bob, 'popup');
    tabs.bobPopup = popup;

    const daveChat = (await dave.client.startConversation('bob')).id;
    await dave.client.sendText({
      conversationId: daveChat,
      text: 'Hi Bob, Dave from the climbing club.',
    });
    const requests = popup.getByRole('button', { name: /^Requests/ });
    await requests.waitFor();
    await requests.click();
    const list = popup.getByRole('list', { name: 'Conversations' });
    await eventually(() => list.getByRole('button').count()).toBe(1);
    await list.getByRole('button', { name: /^dave, 1 unread, message request/ }).click();
    const banner = popup.locator('.notice--request');
    await eventually(() => banner.textContent()).toContain('@dave wants to message you.');
    await shot(popup, 'groups-request-banner');
    await popup.getByRole('button', { name: 'Accept' }).click();
    await eventually(() => banner.count()).toBe(0);
    // Accepted: receipts flow back to Dave, and his presence shows.
    const next = await dave.client.sendText({
      conversationId: daveChat,
      text: 'Saturday still on?',
    });
    await bubble(popup, 'Saturday still on?').waitFor();
    await eventually(async () => {
      const page = await dave.client.getMessages({ conversationId: daveChat, limit: 10 });
      return page.messages.find((m) => m.id === next.id)?.state;
    }).toBe('read');
    await eventually(() => popup.locator('.chat-head__sub').textContent()).toBe('online');

    const eveChat = (await eve.client.startConversation('bob')).id;
    await eve.client.sendText({ conversationId: eveChat, text: 'A special offer, just for you' });
    await popup.getByRole('button', { name: 'Back to conversations' }).click();
    await popup
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: /^eve, 1 unread, message request/ })
      .click();
    await popup.getByRole('button', { name: 'Block' }).click();
    await popup.getByRole('button', { name: 'Block @eve' }).click();
    await popup.getByText('You blocked @eve').waitFor();
    // The relay drops what she sends now; Dave's later message shows hers had its chance.
    await eve.client.sendText({ conversationId: eveChat, text: 'Are you there?' });
    await dave.client.sendText({ conversationId: daveChat, text: 'See you then!' });
    await popup.getByRole('button', { name: 'Back to conversations' }).click();
    await openConversation(popup, 'dave');
    await bubble(popup, 'See you then!').waitFor();
    await popup.getByRole('button', { name: 'Back to conversations' }).click();
    await openConversation(popup, 'eve');
    expect(await popup.getByRole('log').textContent()).not.toContain('Are you there?');
    expect(errorsOf(bob, popup)).toEqual([]);
    await popup.close();
  });

  it('a 30-second timer: messages disappear on both sides, from the relay database, and from a locked, closed profile', async () => {
    const owner = tab('alicePanel');
    const admin = tab('bobPanel');
    const conv = await groupId(owner);

    // Bob (admin) sets the timer: both timelines say so.
    await openGroupPage(admin);
    await chooseTimer(admin, '30 seconds');
    await backToChat(admin);
    await notice(owner, /bob set disappearing messages to 30 seconds/).waitFor();
    await notice(admin, /You set disappearing messages to 30 seconds/).waitFor();
    await admin.getByRole('img', { name: 'Disappearing messages: 30 seconds' }).waitFor();
    await shot(admin, 'groups-timer-notice');

    // Carol, meanwhile, sets a 30-second timer in her chat with Alice and writes.
    const carolPage = tab('carolPanel');
    await carolPage.getByRole('button', { name: 'Back to conversations' }).click();
    await carolPage.getByRole('button', { name: 'Start a chat' }).first().click();
    await carolPage.getByPlaceholder('handle').fill('alice');
    await carolPage.getByRole('button', { name: 'Chat', exact: true }).click();
    await carolPage.getByRole('log', { name: 'Messages with alice' }).waitFor();
    await carolPage
      .getByRole('button', { name: /^alice, .*: contact details and safety number$/ })
      .click();
    await chooseTimer(carolPage, '30 seconds');
    await carolPage.getByRole('button', { name: 'Back to the conversation' }).click();
    await notice(carolPage, /You set disappearing messages to 30 seconds/).waitFor();
    const carolsNote = 'Carol’s note to self-destruct while locked';
    await send(carolPage, carolsNote);
    // Record keys on disk are opaque (record kind, then HMAC tags: docs/extension.md,
    // "Vault and locking"), so the checks count whole kinds. Carol is out of the group:
    // only her chat with Alice adds messages.
    const carolKeys = await recordKeys(carolPage, 'msg/');
    expect((await recordKeys(carolPage, 'expiry/')).length).toBe(1);

    // The group messages, each read at once by the other side.
    const ownerBefore = await recordKeys(owner, 'msg/');
    const before = tap.frames.length;
    const g1 = 'Disappearing: meet at the station at 9.';
    const g2 = 'Disappearing too: bring sandwiches.';
    await send(owner, g1);
    await bubble(admin, g1).waitFor();
    await send(admin, g2);
    await bubble(owner, g2).waitFor();
    disappearing.push(g1, g2);
    await owner
      .getByRole('img', { name: /^Disappears in \d+ s$/ })
      .first()
      .waitFor();
    await shot(owner, 'groups-timer-countdown');
    const bodies = [...sendsBy(userId('alice'), before), ...sendsBy(userId('bob'), before)]
      .filter((f) => f.body !== undefined)
      .map((f) => f.body as Uint8Array);
    expect(bodies).toHaveLength(2);
    await eventually(() => inRelayFiles(bodies)).toBe(false); // acked, deleted, checkpointed
    // The group's stored prefix: the tag both new group messages share (Carol's
    // note, if it reached Alice meanwhile, has another).
    const fresh = (await recordKeys(owner, 'msg/'))
      .filter((k) => !ownerBefore.includes(k))
      .map((k) => k.split('/')[1]);
    const groupPrefix = `msg/${fresh.find((t, i) => fresh.indexOf(t) !== i)}/`;
    expect(fresh.filter((t) => `msg/${t}/` === groupPrefix)).toHaveLength(2);
    const groupKeys = ownerBefore.filter((k) => k.startsWith(groupPrefix)).length;

    // Carol locks Parley, closes every extension page, and Chrome stops her worker.
    await carolPage.getByRole('button', { name: 'Back to conversations' }).click();
    await carolPage.getByRole('button', { name: 'Lock Parley' }).click();
    await carolPage.getByRole('button', { name: 'Unlock with passkey' }).waitFor();
    const alarm = (await carol.context
      .serviceWorkers()
      .at(-1)
      ?.evaluate("chrome.alarms.get('parley/expiry')")) as { scheduledTime: number } | undefined;
    expect(alarm?.scheduledTime).toBeGreaterThan(Date.now());
    // The periodic wake alarm (alarms.ts) may come first and start the worker earlier.
    const wake = (await carol.context
      .serviceWorkers()
      .at(-1)
      ?.evaluate("chrome.alarms.get('parley/wake')")) as { scheduledTime: number } | undefined;
    const firstAlarm = Math.min(
      alarm?.scheduledTime ?? 0,
      wake?.scheduledTime ?? Number.POSITIVE_INFINITY,
    );
    for (const page of carol.context.pages()) await page.close();
    const worker = await stopWorker(carol);

    // 30 seconds: gone from both pages (live), from both workers' records...
    const expiry = 45_000;
    for (const page of [owner, admin])
      for (const text of [g1, g2])
        await eventually(() => bubble(page, text).count(), expiry).toBe(0);
    await eventually(() => recordKeys(owner, 'expiry/')).toEqual([]);
    expect((await recordKeys(owner, groupPrefix)).length).toBe(groupKeys);
    await eventually(() => recordKeys(admin, 'expiry/')).toEqual([]);
    for (const page of [owner, admin]) {
      const texts = await page.getByRole('log').textContent();
      expect(texts).not.toContain('Disappearing');
      // The notices stay.
      await notice(page, /disappearing messages to 30 seconds/).waitFor();
    }
    // ...and from the relay's files.
    expect(inRelayFiles(bodies)).toBe(false);
    expect(inRelayFiles(disappearing.map((t) => new TextEncoder().encode(t)))).toBe(false);

    // Carol's worker was started again by an alarm, deleted her message while
    // locked (no key: by its expiry bucket, at most EXPIRY_BUCKET_MS late),
    // with no extension page open.
    await eventually(() => worker.running(), expiry).toBe(true);
    // Not before an alarm (the expiry one, or the wake alarm when it came first): no page did.
    expect(worker.startedAt()).toBeGreaterThanOrEqual(firstAlarm - 1_000);
    console.info(
      `[groups e2e] Carol's worker started ${(worker.startedAt() ?? 0) - (alarm?.scheduledTime ?? 0)} ms after the expiry alarm's time`,
    );
    const restarted = carol.context.serviceWorkers().at(-1);
    if (restarted === undefined) throw new Error('no worker');
    await eventually(() => recordKeys(restarted, 'expiry/'), expiry + EXPIRY_BUCKET_MS).toEqual([]);
    expect((await recordKeys(restarted, 'msg/')).length).toBe(carolKeys.length - 1);
    expect(carol.context.pages().filter((p) => p.url().startsWith('chrome-extension://'))).toEqual(
      [],
    );
    expect(await restarted.evaluate('chrome.action.getTitle({})')).toBe('Parley — locked');

    // After all this use, no record key on any profile names a user, the
    // group, a handle or a time (docs/extension.md, "Vault and locking"). Handles shorter than five
    // letters are left out: a random 16-character tag could contain one.
    const names = ['alice', 'bob', 'carol', ...strangers.map((s) => s.handle)];
    const needles = [
      ...names.flatMap((n) => (ids[n] === undefined ? [] : [ids[n] as string])),
      conv.slice(2),
      ...names.filter((n) => n.length >= 5),
    ];
    for (const target of [owner, admin, restarted]) {
      const keys = await recordKeys(target, '');
      expect(keys.length).toBeGreaterThan(10);
      expect(keys.filter((k) => needles.some((n) => k.includes(n)))).toEqual([]);
      const timed = keys.filter((k) => !k.startsWith('expiry/') && /\d{10}/.test(k));
      expect(timed).toEqual([]);
    }
    await shot(owner, 'groups-after-timer');
    expect(alice.workerLog).toEqual([]);
    expect(bob.workerLog).toEqual([]);
  }, 240_000); // the 30 s countdown, up to one expiry bucket while locked, and headroom on a loaded 2-core CI machine
});

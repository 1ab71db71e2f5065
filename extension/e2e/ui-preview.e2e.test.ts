/**
 * Every screen of the popup and side panel with realistic content, rendered
 * by the real components in real Chromium (the worker replaced by made-up
 * data: see preview/), screenshotted light and dark for people to look at,
 * and checked for the behaviour a person notices: keyboard navigation,
 * virtualised history, the blocking identity-change notice, no console errors.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { PAGE_VIEWPORTS, screenshot } from './fixture.ts';
import { usePreviewBrowser } from './preview/preview-browser.ts';
import { timerValue } from './steps.ts';

const env = usePreviewBrowser();

async function open(
  variant: 'popup' | 'sidepanel',
  scene = 'chat',
  colorScheme: 'light' | 'dark' = 'light',
) {
  const page = await env.browser.newPage({ viewport: PAGE_VIEWPORTS[variant], colorScheme });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${env.preview.url}?variant=${variant}&scene=${scene}`);
  return { page, errors };
}

async function visible(
  page: Page,
  name: string | RegExp,
  role: Parameters<Page['getByRole']>[0] = 'heading',
) {
  await expect.poll(() => page.getByRole(role, { name }).first().isVisible()).toBe(true);
}

describe('UI preview in Chromium', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`popup: list, conversation, relay banner (${scheme})`, async () => {
      const { page, errors } = await open('popup', 'chat', scheme);
      const list = page.getByRole('list', { name: 'Conversations' });
      await expect.poll(() => list.getByRole('button').count()).toBe(6);
      await screenshot(page, `popup-list-${scheme}`);
      // Groups show their member count and the last sender; requests are marked.
      await expect
        .poll(() => list.getByRole('button').first().ariaSnapshot())
        .toMatch(/"Weekend trip, group, 4 members, 1 unread, .*alice is typing…/);
      expect(
        await list.getByRole('button', { name: /^dana\.r, 1 unread, message request/ }).count(),
      ).toBe(1);

      // Keyboard: arrow down moves between conversations, Enter opens one.
      await list.getByRole('button', { name: /^alice/ }).focus();
      await page.keyboard.press('ArrowDown');
      await expect.poll(() => page.locator(':focus').ariaSnapshot()).toMatch(/button "bob\.k/);
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('Enter');
      await visible(page, /^alice, .*: contact details/, 'button');
      await expect
        .poll(() => page.getByRole('log').textContent())
        .toContain('I’ll text when I leave.');
      await screenshot(page, `popup-chat-${scheme}`);
      expect(await page.getByRole('img', { name: 'Sending' }).count()).toBeGreaterThan(0);
      expect(await page.getByRole('img', { name: 'Read' }).count()).toBeGreaterThan(0);
      expect(errors).toEqual([]);
      await page.close();
    });

    it(`side panel: chat, contact with safety number, settings (${scheme})`, async () => {
      const { page, errors } = await open('sidepanel', 'chat', scheme);
      await page.getByRole('button', { name: /^alice/ }).click();
      const log = page.getByRole('log');
      await expect.poll(() => log.textContent()).toContain('See you there!');
      // Virtualised: 400+ messages loaded lazily, only a window of them in the DOM.
      const rendered = await page.locator('.messages__item').count();
      expect(rendered).toBeGreaterThan(3);
      expect(rendered).toBeLessThan(60);
      await screenshot(page, `sidepanel-chat-${scheme}`);

      await page.getByRole('button', { name: /^alice, .*: contact details/ }).click();
      await visible(page, '@alice');
      const groups = page.getByRole('list', { name: /Safety number/ }).getByRole('listitem');
      await expect.poll(() => groups.count()).toBe(12);
      await expect.poll(() => page.getByRole('img', { name: /QR code/ }).isVisible()).toBe(true);
      await screenshot(page, `sidepanel-contact-${scheme}`);

      await page.getByRole('button', { name: 'Back to the conversation' }).click();
      await page.getByRole('button', { name: 'Back to conversations' }).click();
      await page.getByRole('button', { name: 'Settings' }).click();
      await visible(page, 'Settings');
      await expect
        .poll(() => page.getByRole('switch', { name: 'Read receipts' }).isChecked())
        .toBe(true);
      await screenshot(page, `sidepanel-settings-${scheme}`);
      expect(errors).toEqual([]);
      await page.close();
    });
  }

  for (const scheme of ['light', 'dark'] as const) {
    it(`side panel: group chat (senders, receipts, timers, typing) and group page (${scheme})`, async () => {
      const { page, errors } = await open('sidepanel', 'chat', scheme);
      await page.getByRole('button', { name: /^Weekend trip/ }).click();
      const log = page.getByRole('log', { name: 'Messages with Weekend trip' });
      await expect.poll(() => log.textContent()).toContain('I can drive if someone brings snacks');
      // The first message of a run names its sender; receipts count members; timers show.
      expect(await log.locator('.bubble__sender').allTextContents()).toEqual(['alice', 'carol_m']);
      await visible(page, 'Read by 1 of 3', 'img');
      await visible(page, 'Read by everyone', 'img');
      await visible(page, /^Disappears in 5[34] min$/, 'img');
      await visible(page, 'Disappears 1 hour after it is read', 'img');
      await visible(page, 'Disappearing messages: 1 hour', 'img');
      await expect
        .poll(() => page.getByRole('status').last().textContent())
        .toBe('alice is typing…');
      await screenshot(page, `sidepanel-group-chat-${scheme}`);

      await page
        .getByRole('button', { name: /^Weekend trip, .*: group details and members$/ })
        .click();
      await visible(page, 'Members');
      const members = page.getByRole('list', { name: 'Members' }).getByRole('listitem');
      await expect.poll(() => members.count()).toBe(3);
      expect(await members.first().textContent()).toContain('@sam (you)Owner');
      // dmitri was added but has not joined yet: listed under Invited, not Members.
      const invited = page.getByRole('list', { name: 'Invited' }).getByRole('listitem');
      expect(await invited.allTextContents()).toEqual([expect.stringContaining('@dmitri')]);
      await page.getByRole('button', { name: 'Manage @carol_m' }).click();
      await visible(page, 'Remove from group', 'button');
      await visible(page, 'Make admin', 'button');
      await visible(page, 'Rename group', 'button');
      expect(await timerValue(page)).toBe('1 hour');
      expect(await page.getByRole('button', { name: 'Leave group' }).count()).toBe(0); // the owner
      await screenshot(page, `sidepanel-group-page-${scheme}`);
      expect(errors).toEqual([]);
      await page.close();
    });
  }

  it('a message request: marked in the list, a Requests filter, and a banner with Accept, Block, Delete', async () => {
    const { page, errors } = await open('sidepanel');
    await page.getByRole('button', { name: /^Requests/ }).click();
    const list = page.getByRole('list', { name: 'Conversations' });
    await expect.poll(() => list.getByRole('button').count()).toBe(1);
    await list.getByRole('button', { name: /^dana\.r/ }).click();
    await expect
      .poll(() => page.locator('.notice--request').textContent())
      .toContain('dana.r wants to message you');
    for (const name of ['Accept', 'Block', 'Delete']) await visible(page, name, 'button');
    // Delete asks before it deletes.
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await visible(page, 'Delete for good', 'button');
    await page.keyboard.press('Escape');
    await visible(page, 'Delete', 'button');
    await screenshot(page, 'sidepanel-request-light');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('side panel: a changed safety number blocks the composer until acknowledged', async () => {
    const { page, errors } = await open('sidepanel');
    await page.getByRole('button', { name: /^bob\.k/ }).click();
    await visible(page, 'Safety number changed', 'alert');
    expect(await page.getByLabel('Message', { exact: true }).count()).toBe(0);
    await screenshot(page, 'sidepanel-identity-changed-light');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('scrolling up loads older history and keeps the reader in place', async () => {
    const { page } = await open('sidepanel');
    await page.getByRole('button', { name: /^alice/ }).click();
    const log = page.getByRole('log');
    await expect.poll(() => log.textContent()).toContain('See you there!');
    const heightBefore = await log.evaluate((el) => el.scrollHeight);
    await log.evaluate((el) => {
      el.scrollTop = 0;
    });
    await expect.poll(() => log.evaluate((el) => el.scrollHeight)).toBeGreaterThan(heightBefore);
    // The reader is not thrown back to the top (or the bottom) while older pages arrive.
    const top = await log.evaluate((el) => el.scrollTop);
    expect(top).toBeGreaterThan(0);
    await page.close();
  });

  it('composer: a text over the limit stays whole, is counted and refused with a sentence', async () => {
    const { page, errors } = await open('sidepanel', 'chat');
    await page.getByRole('button', { name: /^alice/ }).click();
    const field = page.getByLabel('Message', { exact: true });
    await field.fill('Near the limit. '.repeat(1_000)); // 16,000 of 16,384
    await expect.poll(() => page.locator('.composer__count').textContent()).toBe('16,000 / 16,384');
    await field.fill('A long paste. '.repeat(1_500)); // 21,000
    await expect
      .poll(() => page.locator('.composer__limit').textContent())
      .toBe(
        'Too long to send: 21,000 characters, the limit is 16,384. Remove 4,616 characters or split it into several messages.',
      );
    expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
    await screenshot(page, 'sidepanel-composer-over-limit-light');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('popup: empty state and relay retry banner', async () => {
    const { page, errors } = await open('popup', 'empty');
    await visible(page, 'No conversations yet');
    await screenshot(page, 'popup-empty-light');
    await page.close();
    const retry = await open('popup', 'retrying');
    const bar = retry.page.locator('.conn-bar');
    // The problem is announced once; the countdown beside it is shown, not announced.
    await expect.poll(() => bar.getByRole('status').textContent()).toBe('Relay unreachable');
    await expect.poll(() => bar.textContent()).toMatch(/Relay unreachable — retrying in \d s/);
    await visible(retry.page, 'Retry now', 'button');
    await screenshot(retry.page, 'popup-relay-retrying-light');
    // Every view: the open conversation too, where presence is unknown while disconnected.
    await retry.page.getByRole('button', { name: /^alice/ }).click();
    await visible(retry.page, /^alice, .*: contact details/, 'button');
    await expect.poll(() => bar.getByRole('status').textContent()).toBe('Relay unreachable');
    expect(await retry.page.locator('.chat-head__sub').textContent()).not.toContain('online');
    expect(await retry.page.locator('.chat-head .avatar__online').count()).toBe(0);
    await screenshot(retry.page, 'popup-chat-relay-retrying-light');
    await retry.page.getByRole('button', { name: 'Retry now' }).click();
    expect([...errors, ...retry.errors]).toEqual([]);
    await retry.page.close();
  });
});

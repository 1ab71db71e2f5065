/**
 * Small first-run defects, in real Chromium:
 *  - the contact page no longer tells people to "scan the code" (nothing in
 *    Parley scans); instead they copy their number and paste the one the other
 *    side sent, and the page says whether it matches (UI preview, no relay);
 *  - an empty handle asks for one ("Enter a handle.") instead of reciting the
 *    rule, on the onboarding page (built extension) and in "Start a chat".
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  errorsOf,
  launchBrowser,
  openPage,
  PAGE_VIEWPORTS,
  type ParleyBrowser,
} from './fixture.ts';
import { usePreviewBrowser } from './preview/preview-browser.ts';

const env = usePreviewBrowser();

async function open(variant: 'popup' | 'sidepanel'): Promise<{ page: Page; errors: string[] }> {
  const page = await env.browser.newPage({ viewport: PAGE_VIEWPORTS[variant] });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${env.preview.url}?variant=${variant}&scene=chat`);
  return { page, errors };
}

describe('first run in Chromium', () => {
  it('safety number: no promise of scanning; a pasted number is compared', async () => {
    const { page, errors } = await open('sidepanel');
    await page.getByRole('button', { name: /^alice/ }).click();
    await page.getByRole('button', { name: /^alice, .*: contact details/ }).click();
    const card = page.getByRole('region', { name: 'Safety number' });
    await card.waitFor();
    const groups = await card.getByRole('listitem').allTextContents();
    expect(groups).toHaveLength(12);
    expect(await card.textContent()).not.toMatch(/scan/i);

    const paste = page.getByLabel('Paste the number @alice sent you');
    const status = card.getByRole('status');
    await paste.fill(`${groups.slice(0, 6).join(' ')}\n${groups.slice(6).join(' ')}`);
    await expect.poll(() => status.textContent()).toMatch(/^It matches/);
    const wrong = [...groups];
    wrong[11] = wrong[11] === '00000' ? '00001' : '00000';
    await paste.fill(wrong.join(' '));
    await expect.poll(() => status.textContent()).toMatch(/^It does not match/);
    await paste.fill(groups.slice(0, 3).join(' '));
    await expect
      .poll(() => status.textContent())
      .toBe('A safety number has 60 digits; this has 15.');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('start a chat with only "@" typed asks for a handle', async () => {
    const { page, errors } = await open('popup');
    await page.getByRole('button', { name: 'Start a chat' }).first().click();
    await page.getByLabel('Handle').fill('@');
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
    await expect
      .poll(() => page.locator('#start-chat-error').textContent())
      .toBe('Enter a handle.');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('onboarding with an empty handle says "Enter a handle."', async () => {
    let ext: ParleyBrowser | undefined;
    try {
      ext = await launchBrowser();
      const page = await openPage(ext, 'onboarding');
      await page.getByLabel('Handle').fill('');
      await page.getByRole('button', { name: 'Continue' }).click();
      await expect
        .poll(() => page.getByRole('alert').first().textContent())
        .toBe('Enter a handle.');
      expect(errorsOf(ext, page)).toEqual([]);
    } finally {
      await ext?.close();
    }
  });
});

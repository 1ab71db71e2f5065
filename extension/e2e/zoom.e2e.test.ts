/**
 * Zoom and reflow (WCAG 1.4.4, 1.4.10) in the UI preview (the real
 * components with made-up data, see preview/): a viewport in CSS px stands
 * for the zoomed window, deviceScaleFactor 2 makes the screenshots look like
 * 200 %. The popup zoomed to 150 % gets 600 screen px = 400 CSS px of
 * height from Chrome; the side panel at 200 % is 320 CSS px wide. Each case
 * asserts no horizontal scroll and the key elements inside the viewport.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot } from './fixture.ts';
import { usePreviewBrowser } from './preview/preview-browser.ts';

const env = usePreviewBrowser();

async function open(
  variant: 'popup' | 'sidepanel',
  viewport: { width: number; height: number },
): Promise<Page> {
  const page = await env.browser.newPage({ viewport, deviceScaleFactor: 2 });
  await page.goto(`${env.preview.url}?variant=${variant}&scene=chat`);
  return page;
}

/** No horizontal scroll anywhere: the page, and no element wider than its scroll box. */
async function noHorizontalScroll(page: Page): Promise<void> {
  const widths = await page.evaluate(() => {
    const doc = document.scrollingElement ?? document.documentElement;
    return { scroll: doc.scrollWidth, client: doc.clientWidth };
  });
  expect(widths.scroll).toBeLessThanOrEqual(widths.client);
}

/** The element's box lies inside the viewport (nothing cut off at an edge). */
async function inViewport(locator: Locator): Promise<void> {
  const page = locator.page();
  const size = page.viewportSize();
  const box = await locator.boundingBox();
  expect(box, 'element is rendered').not.toBeNull();
  if (box === null || size === null) return;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(size.width + 0.5);
  expect(box.y + box.height).toBeLessThanOrEqual(size.height + 0.5);
}

/** The element shows all of its text (not cut to "b…"). */
async function notTruncated(locator: Locator): Promise<void> {
  const clipped = await locator.evaluate((el) => el.scrollWidth > el.clientWidth + 1);
  expect(clipped).toBe(false);
}

describe('zoom and reflow', () => {
  it('popup at 150 %: the composer stays in view, the history scrolls', async () => {
    const page = await open('popup', { width: 380, height: 400 });
    await page.getByRole('list', { name: 'Conversations' }).getByRole('button').first().waitFor();
    await page
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: /^alice/ })
      .click();
    const composer = page.getByLabel('Message', { exact: true });
    await composer.waitFor();
    await inViewport(composer);
    await inViewport(page.getByRole('button', { name: 'Back to conversations' }));
    const doc = await page.evaluate(() => {
      const el = document.scrollingElement ?? document.documentElement;
      return { scroll: el.scrollHeight, client: el.clientHeight };
    });
    expect(doc.scroll).toBeLessThanOrEqual(doc.client);
    await noHorizontalScroll(page);
    await screenshot(page, 'zoom-popup-150-chat');
    await page.close();
  });

  // 320 CSS px: WCAG 1.4.10's reflow width; 200: Chrome's default 400 px side panel at 200 %.
  for (const width of [320, 200]) {
    it(`side panel at 200 % (${width} CSS px): list names, chat header and contact page reflow`, async () => {
      const page = await open('sidepanel', { width, height: 380 });
      const list = page.getByRole('list', { name: 'Conversations' });
      await list.getByRole('button').first().waitFor();
      for (const name of await page.locator('.conv__name').all()) await notTruncated(name);
      await noHorizontalScroll(page);
      await screenshot(page, `zoom-sidepanel-${width}-list`);

      await list.getByRole('button', { name: /^alice/ }).click();
      const title = page.locator('.chat-head__title');
      await title.waitFor();
      await notTruncated(title);
      await inViewport(title);
      await inViewport(page.getByLabel('Message', { exact: true }));
      await noHorizontalScroll(page);
      await screenshot(page, `zoom-sidepanel-${width}-chat-header`);

      await page.getByRole('button', { name: /^alice, .*: contact details/ }).click();
      const groups = page.getByRole('list', { name: /Safety number/ }).getByRole('listitem');
      await expect.poll(() => groups.count()).toBe(12);
      await noHorizontalScroll(page);
      // Every group of the safety number is whole and inside the page's width.
      for (const group of await groups.all()) {
        const box = await group.boundingBox();
        expect(box).not.toBeNull();
        if (box !== null) expect(box.x + box.width).toBeLessThanOrEqual(width);
      }
      const qr = page.getByRole('img', { name: /QR code/ });
      await qr.scrollIntoViewIfNeeded();
      await inViewport(qr);
      await screenshot(page, `zoom-sidepanel-${width}-contact`);
      await page.getByRole('region', { name: 'Safety number' }).scrollIntoViewIfNeeded();
      await screenshot(page, `zoom-sidepanel-${width}-safety-number`);
      await page.close();
    });
  }
});

/**
 * The attachment UI with stubbed pointers: the real components in real
 * Chromium through the UI preview (e2e/preview: the worker replaced by
 * made-up data, file transfers by fake-transfer.ts). Covers what a person
 * sees and does: images inline with a placeholder of their aspect ratio and a
 * lightbox (Escape closes, focus returns), file cards with Download and Save
 * as, a program's warning, a download's progress with Cancel, an expired
 * file, a voice note's player, and the composer's tray (attach, captions, a
 * blocked type, upload progress). The end-to-end path through the relay is
 * attachments.e2e.test.ts.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { blocking, runAxe } from './axe.ts';
import { PAGE_VIEWPORTS, screenshot } from './fixture.ts';
import { usePreviewBrowser } from './preview/preview-browser.ts';

const env = usePreviewBrowser();

async function openFiles(scene = 'chat'): Promise<{ page: Page; errors: string[] }> {
  const page = await env.browser.newPage({ viewport: PAGE_VIEWPORTS.sidepanel });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${env.preview.url}?variant=sidepanel&scene=${scene}`);
  await page.getByRole('button', { name: /^dmitri/ }).click();
  return { page, errors };
}

describe('attachments in the UI preview', () => {
  it('shows images inline at their aspect ratio and opens them in an accessible lightbox', async () => {
    const { page, errors } = await openFiles();
    const open = page.getByRole('button', { name: 'Open Image: ridge.png' });
    await expect.poll(() => open.isVisible()).toBe(true);
    const box = await open.boundingBox();
    expect(box).not.toBeNull();
    expect((box?.width ?? 0) / (box?.height ?? 1)).toBeCloseTo(640 / 400, 1);
    await expect
      .poll(() =>
        page
          .getByRole('img', { name: 'Image: ridge.png' })
          .evaluate((i: HTMLImageElement) => i.naturalWidth),
      )
      .toBe(640);
    // The chat opens at its newest message; the image is further up.
    await open.scrollIntoViewIfNeeded();
    await screenshot(page, 'attachments-inline-image');

    await open.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Image: ridge.png' });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Close image');
    await screenshot(page, 'attachments-lightbox');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Open Image: ridge.png');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the sender’s preview, blurred, at the image’s aspect ratio before the image', async () => {
    const { page, errors } = await openFiles();
    const box = page.locator('.attachment__placeholder', { hasText: 'Image: lake.jpg, loading' });
    await expect.poll(() => box.count()).toBe(1);
    await box.scrollIntoViewIfNeeded();
    const preview = box.locator('img.attachment__preview');
    await expect
      .poll(() => preview.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth))
      .toBe(8);
    expect(await preview.evaluate((i) => getComputedStyle(i).filter)).toContain('blur');
    const size = await box.boundingBox();
    expect((size?.width ?? 0) / (size?.height ?? 1)).toBeCloseTo(800 / 500, 1);
    await screenshot(page, 'attachments-thumb-placeholder');

    // Above the auto-download size it waits for a click; then the image replaces the preview.
    await box.getByRole('button', { name: /^Load image/ }).click();
    const image = page.getByRole('img', { name: 'Image: lake.jpg' });
    await expect.poll(() => image.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(800);
    expect(await page.locator('img.attachment__preview').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows files as cards: download progress with cancel, a program warning, an expired file, a voice note', async () => {
    const { page, errors } = await openFiles();
    await expect
      .poll(() => page.getByRole('button', { name: 'Download route-notes.pdf' }).isVisible())
      .toBe(true);
    await expect
      .poll(() => page.getByRole('button', { name: 'Save route-notes.pdf as…' }).isVisible())
      .toBe(true);
    await expect.poll(() => page.getByText('This is a program.').isVisible()).toBe(true);

    await page.getByRole('button', { name: 'Download summit.mp4' }).click();
    const bar = page.getByRole('progressbar', { name: 'Downloading summit.mp4' });
    await expect.poll(() => bar.getAttribute('aria-valuenow')).toBe('40');
    expect(await bar.getAttribute('aria-valuemax')).toBe('100');
    await screenshot(page, 'attachments-file-card-progress');
    await page.getByRole('button', { name: 'Cancel: Downloading summit.mp4' }).click();
    await expect.poll(() => bar.count()).toBe(0);

    await page.getByRole('button', { name: 'Download old-photos.zip' }).click();
    await expect
      .poll(() => page.getByRole('alert').filter({ hasText: 'This file has expired' }).count())
      .toBe(1);

    await expect.poll(() => page.getByText('0:00 / 0:07').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Play voice note' }).click();
    await expect
      .poll(() => page.getByRole('button', { name: 'Pause voice note' }).isVisible())
      .toBe(true);
    await page.getByRole('button', { name: 'Pause voice note' }).click();
    await screenshot(page, 'attachments-file-cards');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('puts chosen files in the tray with captions, refuses a blocked type, and shows upload progress', async () => {
    const { page, errors } = await openFiles();
    await expect
      .poll(() => page.getByRole('button', { name: 'Attach files' }).isVisible())
      .toBe(true);
    const png = await page.evaluate(async () => {
      const c = new OffscreenCanvas(300, 200);
      const g = c.getContext('2d');
      if (g !== null) {
        g.fillStyle = '#c63';
        g.fillRect(0, 0, 300, 200);
      }
      const blob = await c.convertToBlob({ type: 'image/png' });
      return [...new Uint8Array(await blob.arrayBuffer())];
    });
    await page.locator('input[type=file]').setInputFiles([
      { name: 'sunset.png', mimeType: 'image/png', buffer: Buffer.from(png) },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.alloc(300_000, 97) },
      { name: 'invoice.pdf.scr', mimeType: 'application/octet-stream', buffer: Buffer.alloc(10) },
    ]);
    const tray = page.getByRole('list', { name: 'Files to send' });
    await expect.poll(() => tray.getByRole('listitem').count()).toBe(3);
    await page.getByRole('textbox', { name: 'Caption for sunset.png' }).fill('Tonight');
    await expect
      .poll(() => tray.getByRole('alert').filter({ hasText: 'does not send' }).count())
      .toBe(1);
    await screenshot(page, 'attachments-composer-tray');

    await page.getByRole('button', { name: 'Send' }).click();
    const upload = page.getByRole('progressbar', { name: 'Uploading sunset.png' });
    await expect.poll(() => upload.count()).toBe(1);
    await screenshot(page, 'attachments-upload-progress');
    // Sent files leave the tray; the blocked one stays with its reason until removed.
    await expect.poll(() => tray.getByRole('listitem').count(), { timeout: 15_000 }).toBe(1);
    await page.getByRole('button', { name: 'Remove invoice.pdf.scr' }).click();
    await expect.poll(() => tray.count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('offers an upload a closed page left unfinished: Resume with the same file, never another', async () => {
    const { page, errors } = await openFiles('paused');
    const tray = page.getByRole('list', { name: 'Files to send' });
    const row = tray.getByRole('listitem').filter({ hasText: 'Upload paused' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('survey.pdf');
    await screenshot(page, 'attachments-upload-paused');
    // No blocking accessibility violation with the paused row and the blurred preview shown.
    expect(blocking(await runAxe(page))).toEqual([]);

    // The browser lost the file: Resume asks for it; a different file is refused with the reason.
    const picker = row.locator('input[type=file]');
    const content = Buffer.from(Uint8Array.from({ length: 300_000 }, (_, i) => i % 251));
    const other = Buffer.from(content);
    other[5] = 0;
    const chooser = page.waitForEvent('filechooser');
    await row.getByRole('button', { name: 'Resume' }).click();
    await (await chooser).setFiles({
      name: 'survey.pdf',
      mimeType: 'application/pdf',
      buffer: other,
    });
    await expect
      .poll(() => row.getByRole('alert').filter({ hasText: 'content differs' }).count())
      .toBe(1);
    await screenshot(page, 'attachments-upload-paused-wrong-file');

    await picker.setInputFiles({
      name: 'survey.pdf',
      mimeType: 'application/pdf',
      buffer: content,
    });
    const bar = page.getByRole('progressbar', { name: 'Uploading survey.pdf' });
    await expect
      .poll(async () => Number(await bar.getAttribute('aria-valuenow')))
      .toBeGreaterThanOrEqual(40);
    await expect.poll(() => tray.count(), { timeout: 15_000 }).toBe(0);

    expect(errors).toEqual([]);
    await page.close();
  });

  it('discards a paused upload for good', async () => {
    const { page, errors } = await openFiles('paused');
    const row = page.getByRole('listitem').filter({ hasText: 'Upload paused' });
    await expect.poll(() => row.count()).toBe(1);
    await page.getByRole('button', { name: 'Discard the paused upload of survey.pdf' }).click();
    await expect.poll(() => row.count()).toBe(0);
    // Not offered again when the chat opens anew (the record is gone).
    await page.getByRole('button', { name: 'Back to conversations' }).click();
    await page.getByRole('button', { name: /^dmitri/ }).click();
    await expect
      .poll(() => page.getByRole('button', { name: 'Attach files' }).isVisible())
      .toBe(true);
    await expect
      .poll(() => page.getByRole('button', { name: 'Open Image: ridge.png' }).count())
      .toBe(1);
    expect(await row.count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});

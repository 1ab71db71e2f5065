/**
 * Attachments end to end in real Chromium: two profiles with the built
 * extension and one real relay. Alice sends Bob an image (shown inline on
 * Bob's side), a file of FILE_BYTES (progress shown; Bob downloads it and its
 * SHA-256 matches) and a voice note recorded with Chromium's fake microphone;
 * Bob is offline while they are sent and gets everything after reconnecting.
 * Screenshots: the composer tray, the upload progress, the inline image and
 * the file card.
 *
 * FILE_BYTES is the 50 MB the feature is specified for. The files go in by
 * path (the browser is local), not as buffers through the protocol.
 *
 * Needs the attachment format (shared/attachments/) and the relay's
 * attachment routes: it cannot pass before those are merged.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProcess } from '../../edge/testing/relay-process.ts';
import { errorsOf, launchBrowser, openPage, type ParleyBrowser, startRelay } from './fixture.ts';
import { eventually, onboard, openConversation, shot, WAIT_MS } from './steps.ts';

/** The test file's size: 50 MB (not a multiple of the 1 MiB chunk). */
const FILE_BYTES = 50_000_000;

const FAKE_MEDIA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

let relay: RelayProcess;
let alice: ParleyBrowser;
let bob: ParleyBrowser;
const tabs: Record<string, Page> = {};
const file = randomBytes(FILE_BYTES);
const fileSha = createHash('sha256').update(file).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'parley-e2e-att-'));

function tab(name: string): Page {
  const page = tabs[name];
  if (page === undefined) throw new Error(`no tab ${name}`);
  return page;
}

async function launch(): Promise<ParleyBrowser> {
  const b = await launchBrowser({ extraArgs: FAKE_MEDIA });
  b.context.setDefaultTimeout(WAIT_MS);
  return b;
}

beforeAll(async () => {
  [relay, alice, bob] = await Promise.all([startRelay(), launch(), launch()]);
});

afterAll(async () => {
  await Promise.allSettled([alice?.close(), bob?.close()]);
  await relay?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** A small PNG made in the page (so the test ships no binary fixture). */
async function pngBytes(page: Page): Promise<Buffer> {
  const bytes = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(320, 200);
    const g = canvas.getContext('2d');
    if (g !== null) {
      g.fillStyle = '#2a7';
      g.fillRect(0, 0, 320, 200);
    }
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    return [...new Uint8Array(await blob.arrayBuffer())];
  });
  return Buffer.from(bytes);
}

describe('attachments between two browsers', () => {
  it('two profiles register and open a chat', async () => {
    const [a, b] = await Promise.all([
      onboard(alice, relay.url, 'alice'),
      onboard(bob, relay.url, 'bob'),
    ]);
    tabs.alice = await openPage(alice, 'sidepanel', a);
    tabs.bob = await openPage(bob, 'sidepanel', b);
    await tab('alice').getByRole('button', { name: 'Start a chat' }).first().click();
    await tab('alice').getByPlaceholder('handle').fill('bob');
    await tab('alice').getByRole('button', { name: 'Chat', exact: true }).click();
    await tab('alice').getByRole('log', { name: 'Messages with bob' }).waitFor();
    const field = tab('alice').getByLabel('Message', { exact: true });
    await field.fill('files coming');
    await field.press('Enter');
    await openConversation(tab('bob'), 'alice');
  });

  it('Alice sends an image, a file and a voice note while Bob is offline', async () => {
    await bob.context.setOffline(true);
    const page = tab('alice');
    const png = join(dir, 'green.png');
    const data = join(dir, 'data.bin');
    writeFileSync(png, await pngBytes(page));
    writeFileSync(data, file);
    await page.locator('input[type=file]').setInputFiles([png, data]);
    const tray = page.getByRole('list', { name: 'Files to send' });
    await eventually(() => tray.getByRole('listitem').count()).toBe(2);
    await page.getByRole('textbox', { name: 'Caption for green.png' }).fill('a green square');
    await shot(page, 'attachments-e2e-composer-tray');
    await page.getByRole('button', { name: 'Send' }).click();
    await eventually(() =>
      page.getByRole('progressbar', { name: /^Uploading / }).count(),
    ).toBeGreaterThan(0);
    await shot(page, 'attachments-e2e-upload-progress');
    await eventually(() => tray.count(), 120_000).toBe(0);

    // A voice note from the fake microphone (a beep), about two seconds long.
    await page.getByRole('button', { name: 'Record a voice note' }).click();
    await page.getByRole('timer').filter({ hasText: '0:02' }).waitFor();
    await page.getByRole('button', { name: 'Stop recording and add the voice note' }).click();
    await eventually(() => tray.getByRole('listitem').count()).toBe(1);
    await page.getByRole('button', { name: 'Send' }).click();
    await eventually(() => tray.count(), 60_000).toBe(0);
    expect(errorsOf(alice, page)).toEqual([]);
  });

  it('Bob reconnects and gets everything: the image inline, the file intact, the voice note', async () => {
    await bob.context.setOffline(false);
    const page = tab('bob');
    const image = page.getByRole('img', { name: 'Image: green.png', exact: true });
    await eventually(() => image.isVisible(), 60_000).toBe(true);
    expect(await image.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(320);
    // In the history, not the announcer: whether the arrival was also announced depends on
    // whether the chat was open when it came.
    const caption = page.getByRole('log').getByText('a green square');
    await eventually(() => caption.isVisible()).toBe(true);
    await shot(page, 'attachments-e2e-inline-image');

    const card = page.getByRole('button', { name: 'Download data.bin' });
    await card.waitFor();
    await shot(page, 'attachments-e2e-file-card');
    const [download] = await Promise.all([page.waitForEvent('download'), card.click()]);
    const path = await download.path();
    const got = readFileSync(path);
    expect(got.length).toBe(FILE_BYTES);
    expect(createHash('sha256').update(got).digest('hex')).toBe(fileSha);

    const play = page.getByRole('button', { name: 'Play voice note' });
    await play.click();
    await eventually(() => page.getByRole('button', { name: 'Pause voice note' }).isVisible()).toBe(
      true,
    );
    expect(errorsOf(bob, page)).toEqual([]);
  });
});

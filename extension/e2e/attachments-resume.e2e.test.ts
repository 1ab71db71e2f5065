/**
 * An upload survives a browser restart, in real Chromium through the real
 * relay (docs/extension.md "Attachments", resuming after a restart; one page
 * per upload).
 *
 * Alice (passkey without PRF, passphrase vault: a virtual authenticator's PRF
 * secret does not survive a browser restart, fixture.ts) sends Bob a
 * FILE_BYTES file. The relay tap passes her first PASSED_CHUNKS chunk PUTs and
 * holds the rest unanswered, so the upload is in progress for as long as the
 * test needs, with no timing involved. Her browser is then closed (the
 * process ends; the profile stays), started again on the same profile and
 * unlocked with the passphrase on the lock screen. Checked:
 *  - before and after the restart, nothing claims the file was sent: no
 *    message in the history, the tray says "Upload paused", Bob has nothing;
 *  - two real pages of the extension (side panel and popup) both offer the
 *    paused upload; the side panel resumes it and holds its Web Lock, and the
 *    popup's Resume is refused ("already being sent from another Parley
 *    window") while a page opened meanwhile does not offer it at all;
 *  - closing the page that holds the lock frees it, and the popup resumes;
 *  - the relay's status endpoint holds exactly the chunks PUT before the
 *    restart, and after it only the others are PUT (resumed, not restarted);
 *  - pages that listed the upload before it was sent neither send it again
 *    nor delete its relay file (Resume, Discard);
 *  - Bob gets one message with the file, whose SHA-256 matches.
 * Screenshots: the paused upload after the restart, the refused second page,
 * the out-of-date page after its Resume.
 *
 * Runs in: Node (vitest), driving /usr/bin/chromium through playwright-core.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProcess } from '../../edge/testing/relay-process.ts';
import { CHUNKS_IN_FLIGHT, uploadStatus } from '../../shared/attachments/relay-http.ts';
import { errorsOf, launchBrowser, openPage, type ParleyBrowser, startRelay } from './fixture.ts';
import { chunkOf, type RelayTap, startRelayTap, type TappedRequest } from './relay-tap.ts';
import {
  bubble,
  eventually,
  onboard,
  onboardWithPassphrase,
  openConversation,
  shot,
  WAIT_MS,
} from './steps.ts';

/** 10 MB: ten relay chunks of 1 MiB, the last one short. */
const FILE_BYTES = 10_000_000;
const CHUNKS = 10;
/** Chunk PUTs the relay gets before the tap starts holding them. */
const PASSED_CHUNKS = 3;
const NAME = 'report.bin';
const PASSPHRASE = 'correct horse battery staple';
const BUSY = 'This upload is already being sent from another Parley window.';

let relay: RelayProcess;
let tap: RelayTap;
let alice: ParleyBrowser;
let bob: ParleyBrowser;
const aliceDir = mkdtempSync(join(tmpdir(), 'parley-e2e-resume-alice-'));
const dir = mkdtempSync(join(tmpdir(), 'parley-e2e-resume-'));
const filePath = join(dir, NAME);
const file = randomBytes(FILE_BYTES);
const fileSha = createHash('sha256').update(file).digest('hex');
const tabs: Record<string, Page> = {};
/** Requests through the tap before Alice's browser was closed. */
let beforeRestart = 0;

function tab(name: string): Page {
  const page = tabs[name];
  if (page === undefined) throw new Error(`no tab ${name}`);
  return page;
}

async function launch(userDataDir?: string): Promise<ParleyBrowser> {
  const b = await launchBrowser(userDataDir === undefined ? {} : { userDataDir });
  b.context.setDefaultTimeout(WAIT_MS);
  return b;
}

beforeAll(async () => {
  writeFileSync(filePath, file);
  relay = await startRelay();
  tap = await startRelayTap(relay.url);
  [alice, bob] = await Promise.all([launch(aliceDir), launch()]);
});

afterAll(async () => {
  await Promise.allSettled([alice?.close(), bob?.close()]);
  await tap?.close();
  await relay?.dispose();
  rmSync(aliceDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** Alice's chunk PUTs through the tap (Bob talks to the relay directly). */
function chunkPuts(from = 0, to = tap.requests.length): TappedRequest[] {
  return tap.requests.slice(from, to).filter((r) => r.method === 'PUT' && chunkOf(r.path) !== null);
}

/** Indexes of the chunk PUTs the relay accepted, sorted. */
function accepted(puts: readonly TappedRequest[]): number[] {
  return puts
    .filter((r) => r.status !== undefined && r.status < 300)
    .map((r) => chunkOf(r.path)?.index ?? -1)
    .sort((a, b) => a - b);
}

/** Pids of processes started with this profile (Chromium's browser and its helpers). */
function processesOf(userDataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(userDataDir)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** The paused-upload row of the tray (PausedUploadRow.tsx). */
function pausedRow(page: Page) {
  return page
    .getByRole('list', { name: 'Files to send' })
    .getByRole('listitem')
    .filter({ hasText: 'Upload paused.' })
    .filter({ hasText: NAME });
}

/** Messages in the history that carry the file (its card). */
function fileMessages(page: Page) {
  return page.getByRole('log').getByRole('button', { name: `Download ${NAME}` });
}

/** The upload's relay id and token, as Alice's page sent them (read from the tap). */
function uploadOf(): { relayId: string; token: string } {
  const put = chunkPuts()[0];
  const chunk = put === undefined ? null : chunkOf(put.path);
  const token = put?.authorization?.replace(/^Bearer /, '');
  if (chunk === null || token === undefined) throw new Error('no chunk PUT seen');
  return { relayId: chunk.id, token };
}

function relayHolds(): Promise<number[]> {
  const { relayId, token } = uploadOf();
  return uploadStatus({ relayUrl: relay.url, id: relayId, fetch }, token).then((r) =>
    [...r].sort((a, b) => a - b),
  );
}

describe('an upload survives a browser restart', () => {
  it('Alice (passphrase vault) and Bob register and open a chat', async () => {
    const [a, b] = await Promise.all([
      onboardWithPassphrase(alice, tap.url, 'alice', PASSPHRASE),
      onboard(bob, relay.url, 'bob'),
    ]);
    tabs.alice = await openPage(alice, 'sidepanel', a);
    tabs.bob = await openPage(bob, 'sidepanel', b);
    const page = tab('alice');
    await page.getByRole('button', { name: 'Start a chat' }).first().click();
    await page.getByPlaceholder('handle').fill('bob');
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
    await page.getByRole('log', { name: 'Messages with bob' }).waitFor();
    const field = page.getByLabel('Message', { exact: true });
    await field.fill('a report is coming');
    await field.press('Enter');
    await openConversation(tab('bob'), 'alice');
  });

  it('Alice sends the file; the relay gets a few chunks, the rest wait in the tap', async () => {
    const page = tab('alice');
    tap.holdChunkPuts(PASSED_CHUNKS);
    await page.locator('input[type=file]').first().setInputFiles(filePath);
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('progressbar', { name: `Uploading ${NAME}` }).waitFor();
    await eventually(() => accepted(chunkPuts()).length).toBe(PASSED_CHUNKS);
    // The page keeps CHUNKS_IN_FLIGHT PUTs open: all of them wait now.
    await eventually(() => tap.heldChunkPuts()).toBe(CHUNKS_IN_FLIGHT);
    // In progress, and shown as such: no message yet, here or at Bob's.
    expect(await fileMessages(page).count()).toBe(0);
    expect(await fileMessages(tab('bob')).count()).toBe(0);
    expect(await relayHolds()).toEqual([0, 1, 2]);
  });

  it('Alice’s browser is closed mid-upload: the process ends, the profile stays', async () => {
    expect(processesOf(aliceDir).length).toBeGreaterThan(0);
    expect(errorsOf(alice, tab('alice'))).toEqual([]);
    await alice.close();
    await eventually(() => processesOf(aliceDir)).toEqual([]);
    // Its held PUTs went with it; the relay still has what it had.
    await eventually(() => tap.heldChunkPuts()).toBe(0);
    beforeRestart = tap.requests.length;
    expect(await relayHolds()).toEqual([0, 1, 2]);
    expect(await fileMessages(tab('bob')).count()).toBe(0);
  });

  it('after a restart and the passphrase, the upload is offered as paused, not as sent', async () => {
    alice = await launch(aliceDir);
    const page = await openPage(alice, 'sidepanel');
    tabs.alice = page;
    const passphrase = page.getByLabel('Passphrase', { exact: true });
    await passphrase.fill(PASSPHRASE);
    await passphrase.press('Enter');
    await openConversation(page, 'bob');
    await pausedRow(page).waitFor();
    await bubble(page, 'a report is coming').waitFor();
    expect(await fileMessages(page).count()).toBe(0);
    expect(await page.getByRole('progressbar').count()).toBe(0);
    await shot(page, 'attachments-resume-paused-after-restart');
    // Nothing was sent while the page only showed it.
    expect(chunkPuts(beforeRestart)).toEqual([]);
  });

  it('two pages offer it; one resumes and holds the lock, the other is refused and sends nothing', async () => {
    const panel = tab('alice');
    const popup = await openPage(alice, 'popup');
    tabs.popup = popup;
    await openConversation(popup, 'bob');
    await pausedRow(popup).waitFor();

    tap.holdChunkPuts(0);
    await panel.getByLabel(`Choose ${NAME} to resume its upload`).setInputFiles(filePath);
    await panel.getByRole('progressbar', { name: `Uploading ${NAME}` }).waitFor();
    await eventually(() => tap.heldChunkPuts()).toBe(CHUNKS_IN_FLIGHT);
    const [held] = await popup.evaluate(async () =>
      ((await navigator.locks.query()).held ?? []).map((l) => l.name),
    );
    expect(held).toMatch(/^parley-upload:[A-Za-z0-9_-]{22}$/);

    const puts = chunkPuts(beforeRestart).length;
    await popup.getByLabel(`Choose ${NAME} to resume its upload`).setInputFiles(filePath);
    await eventually(() => pausedRow(popup).getByRole('alert').textContent()).toContain(BUSY);
    expect(await popup.getByRole('progressbar').count()).toBe(0);
    expect(chunkPuts(beforeRestart).length).toBe(puts);
    await shot(popup, 'attachments-resume-busy-elsewhere');

    // A page opened now does not offer it at all (the lock says another page sends it).
    const third = await openPage(alice, 'popup');
    await openConversation(third, 'bob');
    await bubble(third, 'a report is coming').waitFor();
    expect(await third.getByRole('list', { name: 'Files to send' }).count()).toBe(0);
    await third.close();
  });

  it('the page holding the lock closes: the browser frees it, and the popup resumes', async () => {
    const panel = tab('alice');
    expect(errorsOf(alice, panel)).toEqual([]);
    await panel.close();
    // Its PUTs went with it, and so did its claim: no lock is held any more.
    await eventually(() => tap.heldChunkPuts()).toBe(0);
    const popup = await openPage(alice, 'popup', tab('popup'));
    expect(await popup.evaluate(async () => (await navigator.locks.query()).held ?? [])).toEqual(
      [],
    );
    await openConversation(popup, 'bob');
    await pausedRow(popup).waitFor();
    expect(await pausedRow(popup).getByRole('alert').count()).toBe(0);
    expect(await relayHolds()).toEqual([0, 1, 2]);

    // Two more pages list it now; they will be out of date once the popup has sent it.
    for (const name of ['staleResume', 'staleDiscard']) {
      const page = await openPage(alice, 'popup');
      tabs[name] = page;
      await openConversation(page, 'bob');
      await pausedRow(page).waitFor();
    }

    tap.releaseChunkPuts();
    await popup.bringToFront();
    await popup.getByLabel(`Choose ${NAME} to resume its upload`).setInputFiles(filePath);
    await eventually(() => fileMessages(popup).count(), 60_000).toBe(1);
    await eventually(() => popup.getByRole('list', { name: 'Files to send' }).count()).toBe(0);

    // Resumed, not restarted: after the restart no page PUT a chunk the relay had,
    // and the relay accepted each missing one once.
    const after = chunkPuts(beforeRestart);
    const indexes = after.map((r) => chunkOf(r.path)?.index ?? -1);
    expect(indexes.filter((i) => i < PASSED_CHUNKS)).toEqual([]);
    expect(accepted(after)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(await relayHolds()).toEqual([...Array(CHUNKS).keys()]);
    expect(errorsOf(alice, popup)).toEqual([]);
  });

  it('a page that still lists the sent upload neither sends it again nor deletes it', async () => {
    const resumer = tab('staleResume');
    await resumer.bringToFront();
    const seen = tap.requests.length;
    await resumer.getByLabel(`Choose ${NAME} to resume its upload`).setInputFiles(filePath);
    // The row goes (the history above shows the message); nothing is sent again: not
    // even the status request or the complete a second send would start with.
    await eventually(() => pausedRow(resumer).count()).toBe(0);
    await shot(resumer, 'attachments-resume-already-sent');
    const again = tap.requests.slice(seen).filter((r) => r.path.startsWith('/v1/attachments/'));
    expect(again).toEqual([]);
    expect(await fileMessages(resumer).count()).toBe(1);

    const discarder = tab('staleDiscard');
    await discarder.bringToFront();
    await discarder.getByRole('button', { name: `Discard the paused upload of ${NAME}` }).click();
    await eventually(() => pausedRow(discarder).count()).toBe(0);
    // The relay still has the sent file (Discard deleted nothing but the stale row).
    expect(await relayHolds()).toEqual([...Array(CHUNKS).keys()]);
    expect(errorsOf(alice, resumer)).toEqual([]);
    expect(errorsOf(alice, discarder)).toEqual([]);
  });

  it('Bob gets one message with the file, and its SHA-256 matches', async () => {
    const page = tab('bob');
    const card = fileMessages(page);
    await eventually(() => card.count(), 60_000).toBe(1);
    const [download] = await Promise.all([page.waitForEvent('download'), card.click()]);
    const got = readFileSync(await download.path());
    expect(got.length).toBe(FILE_BYTES);
    expect(createHash('sha256').update(got).digest('hex')).toBe(fileSha);
    // Still one: no page sent it a second time meanwhile.
    expect(await card.count()).toBe(1);
    expect(errorsOf(bob, page)).toEqual([]);
  });
});

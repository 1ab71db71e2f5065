/**
 * The service worker's entry: registers every listener synchronously (MV3
 * only delivers the event that woke the worker to listeners added in the
 * first turn), then lets them wait for the app built in app.ts.
 */
import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { ParleyError } from '../../../shared/errors.ts';
import { messenger } from '../../lib/messaging.ts';
import { type BackgroundApp, createBackgroundApp } from './app.ts';
import { EventHub } from './events.ts';
import { LOCKED_NOTIFICATION_ID } from './locked-notice.ts';
import { conversationOf } from './notifications.ts';
import { registerRpc } from './rpc.ts';

/** Codes and error names only: messages from lower layers are not ours to print. */
function report(what: string, error: unknown): void {
  const kind =
    error instanceof ParleyError ? error.code : error instanceof Error ? error.name : typeof error;
  console.warn(`[parley] ${what} failed (${kind})`);
}

/**
 * The locked notice's click: the side panel of the focused window shows the
 * lock screen; with no window to attach it to (or if Chrome refuses), a small
 * window with the popup page, which shows the same lock screen.
 */
async function openUnlockScreen(): Promise<void> {
  try {
    const w = await browser.windows.getLastFocused();
    if (w.id === undefined) throw new Error('no window');
    await browser.sidePanel.open({ windowId: w.id });
  } catch {
    await browser.windows.create({
      url: browser.runtime.getURL('/popup.html'),
      type: 'popup',
      width: 380,
      height: 600,
    });
  }
}

export default defineBackground(() => {
  const self = { id: browser.runtime.id };
  const hub = new EventHub(self);
  let started: Promise<BackgroundApp> | undefined;
  const app = (): Promise<BackgroundApp> => {
    started ??= createBackgroundApp(hub, report).catch((e: unknown) => {
      started = undefined; // let the next event try again
      throw e;
    });
    return started;
  };

  registerRpc(messenger, async () => (await app()).requests, self, report);

  browser.runtime.onConnect.addListener((port) => {
    if (!hub.attach(port)) return;
    void app()
      .then((a) => a.shell.status())
      .then((status) => hub.send(port, { type: 'status', status }))
      .catch((e: unknown) => report('greeting', e));
  });

  browser.alarms.onAlarm.addListener((alarm) => {
    void app()
      .then((a) => a.onAlarm(alarm.name))
      .catch((e: unknown) => report(`alarm ${alarm.name}`, e));
  });

  // The browser started with this profile: reconnect and set the alarms again
  // (Chrome may drop them across a restart), with no page open.
  browser.runtime.onStartup.addListener(() => {
    void app()
      .then((a) => a.onStartup())
      .catch((e: unknown) => report('startup', e));
  });

  // Onboarding opens by itself only for a first install with no account yet:
  // never on an update, a browser restart or an extension reload.
  browser.runtime.onInstalled.addListener(({ reason }) => {
    if (reason !== 'install') return;
    void app()
      .then((a) => a.needsOnboarding())
      .then((needed) =>
        needed
          ? browser.tabs.create({ url: browser.runtime.getURL('/onboarding.html') })
          : undefined,
      )
      .catch((e: unknown) => report('onboarding tab', e));
  });

  browser.commands.onCommand.addListener((command, tab) => {
    if (command !== 'open-side-panel' || tab?.windowId === undefined) return;
    void browser.sidePanel
      .open({ windowId: tab.windowId })
      .catch((e: unknown) => report('side panel', e));
  });

  browser.notifications.onClicked.addListener((id) => {
    const conversationId = conversationOf(id);
    void browser.notifications.clear(id);
    if (id === LOCKED_NOTIFICATION_ID) {
      void openUnlockScreen().catch((e: unknown) => report('open from notification', e));
      return;
    }
    if (conversationId === null) return;
    void app()
      .then((a) => a.shell.setFocus(conversationId))
      .then(() => browser.windows.getLastFocused())
      .then((w) => (w.id === undefined ? undefined : browser.sidePanel.open({ windowId: w.id })))
      .catch(() =>
        browser.action.openPopup().catch((e: unknown) => report('open from notification', e)),
      );
  });

  // Start right away too: reconnect to the relay and set the badge even if
  // the worker was woken by something that needs neither.
  void app().catch((e: unknown) => report('start', e));
});

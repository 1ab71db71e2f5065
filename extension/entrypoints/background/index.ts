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
import { conversationOf } from './notifications.ts';
import { registerRpc } from './rpc.ts';

/** Codes and error names only: messages from lower layers are not ours to print. */
function report(what: string, error: unknown): void {
  const kind =
    error instanceof ParleyError ? error.code : error instanceof Error ? error.name : typeof error;
  console.warn(`[parley] ${what} failed (${kind})`);
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

  registerRpc(messenger, async () => (await app()).shell, self, report);

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

  browser.runtime.onInstalled.addListener(({ reason }) => {
    if (reason === 'install')
      void browser.tabs.create({ url: browser.runtime.getURL('/onboarding.html') });
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
    if (conversationId === null) return;
    void app()
      .then((a) => a.shell.setFocus({ conversationId }))
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

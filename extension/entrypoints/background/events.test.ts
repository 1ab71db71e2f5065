import { describe, expect, it } from 'vitest';
import { EVENTS_PORT } from '../../lib/protocol.ts';
import { EventHub, type EventPort, parseSignal } from './events.ts';

const self = { id: 'bmdomknieihcmbmhfmajogfncjkidlbh' };
const page = { id: self.id, url: `chrome-extension://${self.id}/sidepanel.html` };

function port(name: string, sender: EventPort['sender']) {
  const received: unknown[] = [];
  const disconnectListeners: Array<() => void> = [];
  const messageListeners: Array<(m: unknown) => void> = [];
  let disconnected = false;
  const p: EventPort = {
    name,
    sender,
    postMessage: (m) => {
      if (disconnected) throw new Error('Attempting to use a disconnected port object');
      received.push(m);
    },
    disconnect: () => {
      disconnected = true;
    },
    onDisconnect: { addListener: (cb) => disconnectListeners.push(cb) },
    onMessage: { addListener: (cb) => messageListeners.push(cb) },
  };
  return {
    p,
    received,
    isDisconnected: () => disconnected,
    say: (m: unknown) => {
      for (const cb of messageListeners) cb(m);
    },
    drop: () => {
      disconnected = true;
      for (const cb of disconnectListeners) cb();
    },
  };
}

describe('EventHub', () => {
  it('accepts only our pages on the events port and broadcasts to them', () => {
    const hub = new EventHub(self);
    const ours = port(EVENTS_PORT, page);
    const foreign = port(EVENTS_PORT, {
      id: 'x'.repeat(32),
      url: 'chrome-extension://xxxx/popup.html',
    });
    const contentScript = port(EVENTS_PORT, { id: self.id, url: 'https://example.com/' });
    const otherName = port('something-else', page);
    expect(hub.attach(ours.p)).toBe(true);
    expect(hub.attach(foreign.p)).toBe(false);
    expect(hub.attach(contentScript.p)).toBe(false);
    expect(hub.attach(otherName.p)).toBe(false);
    expect(foreign.isDisconnected()).toBe(true);
    expect(contentScript.isDisconnected()).toBe(true);

    hub.broadcast({ type: 'conversations' });
    expect(ours.received).toEqual([{ type: 'conversations' }]);
    expect(foreign.received).toEqual([]);
    expect(contentScript.received).toEqual([]);
  });

  it('forgets ports that closed or broke', () => {
    const hub = new EventHub(self);
    const a = port(EVENTS_PORT, page);
    const b = port(EVENTS_PORT, page);
    hub.attach(a.p);
    hub.attach(b.p);
    a.drop();
    b.p.disconnect(); // broken without an onDisconnect: postMessage throws
    hub.broadcast({ type: 'conversations' });
    expect(hub.size).toBe(0);
  });

  it('knows which conversation a page shows until it says otherwise or closes', () => {
    const hub = new EventHub(self);
    const panel = port(EVENTS_PORT, page);
    const popup = port(EVENTS_PORT, page);
    hub.attach(panel.p);
    hub.attach(popup.p);
    panel.say({ type: 'viewing', conversationId: 'u:a' });
    popup.say({ type: 'viewing', conversationId: 'u:b' });
    expect(hub.isViewing('u:a')).toBe(true);
    expect(hub.isViewing('u:b')).toBe(true);
    panel.say({ type: 'viewing', conversationId: null });
    expect(hub.isViewing('u:a')).toBe(false);
    popup.drop();
    expect(hub.isViewing('u:b')).toBe(false);
  });

  it('ignores anything on the port that is not a well-formed viewing signal', () => {
    const hub = new EventHub(self);
    const a = port(EVENTS_PORT, page);
    hub.attach(a.p);
    for (const bad of [
      null,
      'u:a',
      { type: 'viewing' },
      { type: 'viewing', conversationId: 'msg/u:a' },
      { type: 'viewing', conversationId: 'u:a', extra: 1 },
      { type: 'other', conversationId: 'u:a' },
      { type: 'viewing', conversationId: 7 },
    ]) {
      expect(parseSignal(bad)).toBeUndefined();
      a.say(bad);
    }
    expect(hub.isViewing('u:a')).toBe(false);
    // A page that was refused cannot signal either.
    const foreign = port(EVENTS_PORT, { id: 'x'.repeat(32), url: 'https://example.com/' });
    hub.attach(foreign.p);
    foreign.say({ type: 'viewing', conversationId: 'u:a' });
    expect(hub.isViewing('u:a')).toBe(false);
  });
});

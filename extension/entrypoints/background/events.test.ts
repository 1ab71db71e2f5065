import { describe, expect, it } from 'vitest';
import { EVENTS_PORT } from '../../lib/protocol.ts';
import { EventHub, type EventPort } from './events.ts';

const self = { id: 'bmdomknieihcmbmhfmajogfncjkidlbh' };
const page = { id: self.id, url: `chrome-extension://${self.id}/sidepanel.html` };

function port(name: string, sender: EventPort['sender']) {
  const received: unknown[] = [];
  const disconnectListeners: Array<() => void> = [];
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
  };
  return {
    p,
    received,
    isDisconnected: () => disconnected,
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
});

import { describe, expect, it } from 'vitest';
import type { ConversationView } from '../../../shared/client/client.ts';
import { ParleyError } from '../../../shared/errors.ts';
import { ExtErrorCode } from '../../lib/errors.ts';
import { fakeClient } from '../../testing/fakes.ts';
import { ChatViews } from './chat-views.ts';
import type { ClientRuntime } from './client-runtime.ts';
import type { RequestContext } from './requests/row.ts';
import { checkSender, handleRequest, type SenderInfo } from './rpc.ts';
import type { ParleyShell } from './service.ts';

const self = { id: 'bmdomknieihcmbmhfmajogfncjkidlbh' };
const origin = `chrome-extension://${self.id}`;
const popup: SenderInfo = { id: self.id, url: `${origin}/popup.html`, origin };

function senderCode(sender: SenderInfo | undefined): string {
  try {
    checkSender(sender, self);
    return 'ok';
  } catch (e) {
    return e instanceof ParleyError ? `${e.code}:${e.details?.reason}` : String(e);
  }
}

/**
 * A request context whose client and relay probe record what reaches them:
 * an unlocked vault, a client core that finds every handle, a probe that
 * answers, and `shell` overrides for failures.
 */
function recordingContext(shell: Partial<ParleyShell> = {}) {
  const calls: Array<[string, unknown]> = [];
  const client = fakeClient({
    startConversation: async (handle) => {
      calls.push(['startConversation', { handle }]);
      return {
        id: 'c1',
        kind: 'direct',
        title: handle,
        unread: 0,
        lastMessage: null,
        updatedAt: 0,
        verified: false,
        identityChanged: false,
        isRequest: false,
      } satisfies ConversationView;
    },
  });
  const context: RequestContext = {
    client,
    views: new ChatViews(client),
    runtime: {} as ClientRuntime,
    shell: {
      isUnlocked: () => true,
      deps: {
        probeRelay: async (relayUrl: string) => {
          calls.push(['checkRelay', { relayUrl }]);
          return { relayUrl, latencyMs: 1 };
        },
      },
      ...shell,
    } as unknown as ParleyShell,
    clearNotification: () => {},
  };
  return { context, calls };
}

describe('checkSender', () => {
  it("accepts this extension's own pages, with or without a fragment or query", () => {
    for (const path of [
      '/popup.html',
      '/sidepanel.html',
      '/onboarding.html',
      '/sidepanel.html#/c/1',
      '/popup.html?x=1',
    ]) {
      expect(senderCode({ id: self.id, url: `${origin}${path}`, origin })).toBe('ok');
    }
    expect(senderCode({ id: self.id, url: `${origin}/popup.html` })).toBe('ok'); // no origin field (older Chrome)
  });

  it('rejects content scripts, other extensions, the worker itself and malformed senders', () => {
    expect(senderCode(undefined)).toBe('SENDER_REJECTED:no sender');
    expect(
      senderCode({ id: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', url: `${origin}/popup.html`, origin }),
    ).toBe('SENDER_REJECTED:foreign extension');
    // A content script carries our id, but the web page's URL and origin.
    expect(
      senderCode({
        id: self.id,
        url: 'https://evil.example/popup.html',
        origin: 'https://evil.example',
      }),
    ).toBe('SENDER_REJECTED:not an extension page');
    expect(
      senderCode({
        id: self.id,
        url: 'chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/popup.html',
        origin,
      }),
    ).toBe('SENDER_REJECTED:not an extension page');
    expect(
      senderCode({ id: self.id, url: `${origin}/popup.html`, origin: 'https://evil.example' }),
    ).toBe('SENDER_REJECTED:origin mismatch');
    expect(senderCode({ id: self.id, url: `${origin}/background.js`, origin })).toBe(
      'SENDER_REJECTED:not a Parley page',
    );
    expect(senderCode({ id: self.id, url: `${origin}/other.html`, origin })).toBe(
      'SENDER_REJECTED:not a Parley page',
    );
    expect(senderCode({ id: self.id, origin })).toBe('SENDER_REJECTED:no url');
    expect(senderCode({ id: self.id, url: 'not a url', origin })).toBe('SENDER_REJECTED:bad url');
  });
});

describe('handleRequest', () => {
  it('checks the sender before anything else: no handler call, no payload parsing', async () => {
    const { context, calls } = recordingContext();
    const result = await handleRequest(
      context,
      'unlock',
      { method: 'nonsense' },
      { id: 'other' },
      self,
    );
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'SENDER_REJECTED',
        message: 'Request refused',
        details: { reason: 'foreign extension' },
      },
    });
    expect(calls).toEqual([]);
  });

  it('refuses unknown request types', async () => {
    const { context, calls } = recordingContext();
    const result = await handleRequest(context, 'exportKeys', undefined, popup, self);
    expect(result.ok ? 'ok' : result.error.code).toBe(ExtErrorCode.UNKNOWN_REQUEST);
    expect(calls).toEqual([]);
  });

  it('refuses invalid payloads with BODY_INVALID naming the field, never the value', async () => {
    const { context, calls } = recordingContext();
    const cases: Array<[string, unknown, string]> = [
      ['unlock', { method: 'passphrase', passphrase: 42 }, 'passphrase'],
      [
        'unlock',
        { method: 'passphrase', passphrase: 'hunter2 secret', extra: 'hunter2 secret' },
        'extra',
      ],
      ['createVault', { method: 'passphrase', passphrase: 'short-pw' }, 'passphrase'],
      [
        'createVault',
        { method: 'prf', credentialId: 'Y3JlZGVudGlhbC1pZA', prfSalt: 'AA', prfOutput: 'AA' },
        'prfSalt',
      ],
      ['sendText', { conversationId: 'c1', text: '   ' }, 'text'],
      ['sendText', { conversationId: '../records', text: 'hi' }, 'conversationId'],
      ['getMessages', { conversationId: 'c1', limit: 1000 }, 'limit'],
      ['updateSettings', { autoLockMinutes: 7 }, 'autoLockMinutes'],
      ['getStatus', { unexpected: true }, ''],
    ];
    for (const [type, data, path] of cases) {
      const result = await handleRequest(context, type, data, popup, self);
      if (result.ok) throw new Error(`${type} accepted ${JSON.stringify(data)}`);
      expect(result.error.code).toBe('BODY_INVALID');
      expect(result.error.details?.path ?? '').toBe(path);
      expect(JSON.stringify(result.error)).not.toContain('hunter2');
      expect(JSON.stringify(result.error)).not.toContain('short-pw');
    }
    expect(calls).toEqual([]);
  });

  it('passes the validated, normalised payload to the handler and wraps the answer', async () => {
    const { context, calls } = recordingContext();
    const result = await handleRequest(
      context,
      'startConversation',
      { handle: '  @Bob_99 ' },
      popup,
      self,
    );
    expect(result).toMatchObject({ ok: true, value: { id: 'c1', title: 'bob_99' } });
    const relay = await handleRequest(
      context,
      'checkRelay',
      { relayUrl: 'https://relay.example/parley/' },
      popup,
      self,
    );
    expect(relay.ok).toBe(true);
    expect(calls).toEqual([
      ['startConversation', { handle: 'bob_99' }],
      ['checkRelay', { relayUrl: 'https://relay.example/parley' }],
    ]);
  });

  it('refuses requests that need the open vault while it is locked, after the payload check', async () => {
    const { context, calls } = recordingContext({ isUnlocked: () => false });
    const bad = await handleRequest(context, 'startConversation', { handle: 'a' }, popup, self);
    expect(bad.ok ? 'ok' : bad.error.code).toBe('BODY_INVALID');
    const locked = await handleRequest(
      context,
      'startConversation',
      { handle: 'bob' },
      popup,
      self,
    );
    expect(locked.ok ? 'ok' : locked.error.code).toBe('VAULT_LOCKED');
    const relayUrl = 'http://127.0.0.1:8787';
    expect((await handleRequest(context, 'checkRelay', { relayUrl }, popup, self)).ok).toBe(true);
    expect(calls).toEqual([['checkRelay', { relayUrl }]]);
  });

  it('returns ParleyErrors with their code and hides anything else as INTERNAL', async () => {
    const { context: failing } = recordingContext({
      deps: {
        vault: {
          lock: () => {
            throw new ParleyError('VAULT_NOT_FOUND', 'Parley is not set up on this browser');
          },
        },
      } as unknown as ParleyShell['deps'],
      status: async () => {
        throw new Error('IDBDatabase: /home/user/secret/path exploded');
      },
    });
    const reported: string[] = [];
    expect(await handleRequest(failing, 'lock', undefined, popup, self)).toEqual({
      ok: false,
      error: { code: 'VAULT_NOT_FOUND', message: 'Parley is not set up on this browser' },
    });
    const hidden = await handleRequest(failing, 'getStatus', undefined, popup, self, (what) =>
      reported.push(what),
    );
    expect(hidden).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'Something went wrong inside Parley' },
    });
    expect(reported).toEqual(['request getStatus']);
  });
});

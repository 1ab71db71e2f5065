import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ParleyError } from '../../shared/errors.ts';
import { REQUEST_TYPES } from './messaging.ts';
import { parseRequest, relayUrl, requestSchemas } from './schemas.ts';

function invalid(run: () => unknown): { path: string; message: string } {
  try {
    run();
  } catch (e) {
    if (e instanceof ParleyError && e.code === 'BODY_INVALID') {
      return { path: String(e.details?.path ?? ''), message: e.message };
    }
    throw e;
  }
  throw new Error('accepted');
}

const credential = {
  id: 'Y3JlZGVudGlhbC1pZC0wMQ',
  rawId: 'Y3JlZGVudGlhbC1pZC0wMQ',
  type: 'public-key',
  response: {
    clientDataJSON: 'eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0',
    attestationObject: 'o2NmbXRkbm9uZQ',
    transports: ['internal'],
  },
  clientExtensionResults: {
    prf: { enabled: true, results: { first: 'U0VDUkVUU0VDUkVUU0VDUkVUU0VDUkVUU0VDUkVUMTI' } },
    credProps: { rk: true },
  },
  authenticatorAttachment: 'platform',
};

describe('request schemas', () => {
  it('cover exactly the protocol map', () => {
    expect(Object.keys(requestSchemas).sort()).toEqual([...REQUEST_TYPES].sort());
  });

  it('normalise relay URLs and allow plain http only on this machine', () => {
    const ok = (url: string) => v.parse(relayUrl, url);
    expect(ok('http://127.0.0.1:8787/')).toBe('http://127.0.0.1:8787');
    expect(ok(' https://Relay.Example/base// ')).toBe('https://relay.example/base');
    expect(ok('http://localhost:9000')).toBe('http://localhost:9000');
    expect(ok('http://[::1]:8787')).toBe('http://[::1]:8787');
    for (const bad of [
      'http://relay.example',
      'ftp://relay.example',
      'https://u:p@relay.example',
      'https://r.example/?q=1',
      'relay',
    ]) {
      expect(invalid(() => parseRequest('checkRelay', { relayUrl: bad })).path).toBe('relayUrl');
    }
  });

  it('drop the PRF output from a registration response before it can reach the relay', () => {
    const parsed = parseRequest('finishRegistration', { credential });
    expect(parsed.credential.clientExtensionResults).toEqual({
      prf: { enabled: true },
      credProps: { rk: true },
    });
    expect(JSON.stringify(parsed)).not.toContain('U0VDUkVU');
  });

  it('refuse ids that could reach into another record namespace', () => {
    expect(invalid(() => parseRequest('getContact', { conversationId: 'a/b' })).path).toBe(
      'conversationId',
    );
    expect(invalid(() => parseRequest('markRead', { conversationId: 'c', upTo: '' })).path).toBe(
      'upTo',
    );
    expect(parseRequest('markRead', { conversationId: 'c:1', upTo: 'm-2.x' })).toEqual({
      conversationId: 'c:1',
      upTo: 'm-2.x',
    });
  });

  it('normalise handles and enforce their shape', () => {
    expect(
      parseRequest('beginRegistration', { relayUrl: 'http://127.0.0.1:8787', handle: '@Alice' }),
    ).toEqual({
      relayUrl: 'http://127.0.0.1:8787',
      handle: 'alice',
    });
    expect(invalid(() => parseRequest('startConversation', { handle: 'a' })).path).toBe('handle');
    expect(invalid(() => parseRequest('startConversation', { handle: 'no spaces' })).path).toBe(
      'handle',
    );
  });

  it('describe problems without quoting the input', () => {
    const problem = invalid(() =>
      parseRequest('unlock', { method: 'passphrase', passphrase: 12345 }),
    );
    expect(problem).toEqual({ path: 'passphrase', message: 'Invalid passphrase: must be string' });
    const unknown = invalid(() => parseRequest('unlock', { method: 'magic' }));
    expect(unknown.path).toBe('method');
    expect(unknown.message).not.toContain('magic');
  });

  it('accept requests without payload only without payload', () => {
    expect(parseRequest('getStatus', undefined)).toBeUndefined();
    expect(invalid(() => parseRequest('lock', null)).path).toBe('');
  });
});

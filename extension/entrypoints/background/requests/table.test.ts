import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { errorOf } from '../../../../shared/testing/errors.ts';
import { ATTACHMENT_MAX_BYTES } from '../../../../shared/wire/limits.ts';
import { relayUrl } from './fields.ts';
import { parseRequest, REQUEST_TYPES, requests } from './table.ts';

/** The BODY_INVALID a payload is refused with: the field's path and the (logged) message. */
function invalid(run: () => unknown): { path: string; reason: string; message: string } {
  const e = errorOf(run);
  expect(e.code).toBe('BODY_INVALID');
  return {
    path: String(e.details?.path ?? ''),
    reason: String(e.details?.reason ?? ''),
    message: e.message,
  };
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

describe('the request table', () => {
  it('asks for the open vault exactly where messages, contacts or keys are involved', () => {
    const open = new Set([
      'finishRegistration',
      'listConversations',
      'startConversation',
      'getMessages',
      'sendText',
      'markRead',
      'getDraft',
      'saveDraft',
      'sendTyping',
      'setTimer',
      'deleteConversation',
      'acceptRequest',
      'blockContact',
      'unblockContact',
      'createGroup',
      'getGroup',
      'renameGroup',
      'addGroupMembers',
      'removeGroupMember',
      'setGroupRole',
      'leaveGroup',
      'getContact',
      'setVerified',
      'acknowledgeIdentityChange',
      'attachmentCreate',
      'attachmentDelete',
      'listPendingUploads',
      'savePendingUpload',
      'deletePendingUpload',
      'linkStart',
      'linkApproveStart',
      'linkCheckCode',
      'linkApproveString',
      'linkDecide',
      'beginUserVerification',
      'finishUserVerification',
      'listDevices',
      'removeDevice',
      'resetIdentity',
      'renameThisDevice',
      'backupStatus',
      'backupEnable',
      'backupDisable',
      'backupNow',
      'backupRecoveryKey',
      'backupFile',
      'restoreLoginBegin',
      'restoreSnapshots',
      'restoreActivity',
      'restoreBackup',
      'passkeyRestoreStatus',
      'passkeyRestoreEnable',
      'passkeyRestoreDisable',
      'restoreKeyFromPasskey',
    ]);
    expect(REQUEST_TYPES).toHaveLength(72);
    for (const type of REQUEST_TYPES)
      expect([type, requests[type].unlocked]).toEqual([type, open.has(type)]);
  });

  it('take files with a caption that may be empty, and refuse an empty text without files', () => {
    const file = {
      id: 'AAAAAAAAAAAAAAAAAAAAAA',
      key: 'a'.repeat(43),
      digest: 'b'.repeat(43),
      digestScheme: 2,
      size: 3,
      mime: 'image/png',
      name: 'cat.png',
      width: 640,
      height: 480,
      voice: true,
    };
    const parsed = parseRequest('sendText', {
      conversationId: 'c:1',
      text: '',
      attachments: [file],
    });
    const [pointer] = parsed.attachments ?? [];
    expect(pointer?.id).toEqual(new Uint8Array(16));
    expect(pointer?.key).toHaveLength(32);
    expect(pointer).toMatchObject({
      digestScheme: 2,
      size: 3,
      mime: 'image/png',
      width: 640,
      height: 480,
      flags: 1,
    });
    expect(invalid(() => parseRequest('sendText', { conversationId: 'c:1', text: ' ' })).path).toBe(
      'text',
    );
    expect(
      invalid(() =>
        parseRequest('sendText', {
          conversationId: 'c:1',
          text: 'x',
          attachments: [{ ...file, key: 'short' }],
        }),
      ).path,
    ).toBe('attachments.0.key');
    expect(
      invalid(() =>
        parseRequest('sendText', {
          conversationId: 'c:1',
          text: 'x',
          attachments: [{ ...file, digestScheme: 0 }],
        }),
      ).path,
    ).toBe('attachments.0.digestScheme');
    expect(
      invalid(() => parseRequest('attachmentCreate', { size: ATTACHMENT_MAX_BYTES + 1 })).path,
    ).toBe('size');
    expect(invalid(() => parseRequest('attachmentDelete', { id: 'x/y' })).path).toBe('id');
  });

  it('take a restore’s chosen snapshot and its "remove my other devices" choice, and nothing else', () => {
    const base = { relayUrl: 'http://127.0.0.1:8787', recoveryKey: 'ABCD' };
    expect(parseRequest('restoreBackup', { ...base, seq: 2, removeOthers: true })).toMatchObject({
      seq: 2,
      removeOthers: true,
    });
    expect(parseRequest('restoreBackup', base)).not.toHaveProperty('removeOthers');
    expect(invalid(() => parseRequest('restoreBackup', { ...base, seq: 0 })).path).toBe('seq');
    expect(invalid(() => parseRequest('restoreBackup', { ...base, seq: 1.5 })).path).toBe('seq');
    expect(
      invalid(() => parseRequest('restoreBackup', { ...base, removeOthers: 'yes' })).path,
    ).toBe('removeOthers');
    expect(parseRequest('restoreSnapshots', base)).toEqual(base);
    expect(invalid(() => parseRequest('restoreSnapshots', { ...base, seq: 1 })).path).toBeDefined();
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
    expect(problem).toEqual({
      path: 'passphrase',
      reason: 'must be string',
      message: 'Invalid passphrase: must be string',
    });
    const unknown = invalid(() => parseRequest('unlock', { method: 'magic' }));
    expect(unknown.path).toBe('method');
    expect(unknown.message).not.toContain('magic');
  });

  it('check group requests: names trimmed and free of control characters, handles canonical and unique', () => {
    expect(
      parseRequest('createGroup', { name: '  Weekend trip ', members: ['@Bob', 'carol', 'bob'] }),
    ).toEqual({ name: 'Weekend trip', members: ['bob', 'carol'] });
    expect(invalid(() => parseRequest('createGroup', { name: '   ', members: ['bob'] })).path).toBe(
      'name',
    );
    expect(
      invalid(() => parseRequest('createGroup', { name: 'a\u202eb', members: ['bob'] })).path,
    ).toBe('name');
    expect(
      invalid(() => parseRequest('createGroup', { name: 'x'.repeat(65), members: ['bob'] })).path,
    ).toBe('name');
    expect(invalid(() => parseRequest('createGroup', { name: 'Trip', members: [] })).path).toBe(
      'members',
    );
    expect(
      invalid(() => parseRequest('addGroupMembers', { conversationId: 'g:1', handles: ['a b'] }))
        .path,
    ).toBe('handles.0');
    expect(
      parseRequest('setGroupRole', { conversationId: 'g:1', userId: 'u-1', role: 'admin' }).role,
    ).toBe('admin');
    expect(
      invalid(() =>
        parseRequest('setGroupRole', { conversationId: 'g:1', userId: 'u-1', role: 'root' }),
      ).path,
    ).toBe('role');
    expect(
      invalid(() => parseRequest('removeGroupMember', { conversationId: 'g:1', userId: '../x' }))
        .path,
    ).toBe('userId');
  });

  it('accept only the disappearing-message timers the core offers', () => {
    expect(parseRequest('setTimer', { conversationId: 'u:1', timerMs: 30_000 }).timerMs).toBe(
      30_000,
    );
    for (const bad of [1, 29_999, -30_000, '30000'])
      expect(
        invalid(() => parseRequest('setTimer', { conversationId: 'u:1', timerMs: bad })).path,
      ).toBe('timerMs');
    expect(
      invalid(() => parseRequest('sendTyping', { conversationId: 'u:1', typing: 'yes' })).path,
    ).toBe('typing');
    expect(
      parseRequest('updateSettings', { typingIndicators: false, showPresence: false }),
    ).toEqual({ typingIndicators: false, showPresence: false });
  });

  it('accept requests without payload only without payload', () => {
    expect(parseRequest('getStatus', undefined)).toBeUndefined();
    expect(invalid(() => parseRequest('lock', null)).path).toBe('');
  });
});

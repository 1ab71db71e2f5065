import { describe, expect, it } from 'vitest';
import { systemRandom } from '../../crypto/random.ts';
import { isParleyError } from '../../errors.ts';
import { createClientHost } from '../host.ts';
import { Batch } from '../store/batch.ts';
import { encodeRecord } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import { createMemoryStorage } from '../store/store.ts';
import { nodeTimers } from '../testing/harness.ts';
import { conversationView } from '../views.ts';
import { createConversationApi } from './conversation-api.ts';
import { ensureDirectConversation } from './conversations.ts';
import { DRAFT_MAX_CHARS, draftPreview, readDraft, stageDraft } from './drafts.ts';

async function save(records: Batch['records'], id: string, text: string, at: number) {
  const batch = new Batch(records);
  stageDraft(batch, id, text, at);
  await batch.commit();
}

describe('drafts', () => {
  it('keeps one draft per conversation under draft/<conversation>', async () => {
    const { records } = createMemoryStorage();
    expect(await readDraft(records, 'u:bob')).toBeNull();
    await save(records, 'u:bob', 'see you at', 10);
    await save(records, 'g:00ff', 'plans?', 11);
    expect(await readDraft(records, 'u:bob')).toEqual({ v: 1, text: 'see you at', at: 10 });
    expect(await readDraft(records, 'g:00ff')).toEqual({ v: 1, text: 'plans?', at: 11 });
    expect((await records.list('draft/')).map(([k]) => k)).toEqual([
      Keys.draft('g:00ff'),
      Keys.draft('u:bob'),
    ]);
  });

  it('keeps the text as typed (spaces and new lines) and replaces it on the next save', async () => {
    const { records } = createMemoryStorage();
    await save(records, 'u:bob', '  two\nlines ', 1);
    expect((await readDraft(records, 'u:bob'))?.text).toBe('  two\nlines ');
    await save(records, 'u:bob', 'one line', 2);
    expect(await readDraft(records, 'u:bob')).toEqual({ v: 1, text: 'one line', at: 2 });
  });

  it('drops the record when the text is blank', async () => {
    const { records } = createMemoryStorage();
    await save(records, 'u:bob', 'draft', 1);
    await save(records, 'u:bob', ' \n ', 2);
    expect(await readDraft(records, 'u:bob')).toBeNull();
    expect(await records.get(Keys.draft('u:bob'))).toBeUndefined();
  });

  it('reads staged drafts inside a batch', async () => {
    const { records } = createMemoryStorage();
    const batch = new Batch(records);
    stageDraft(batch, 'u:bob', 'staged', 3);
    expect((await readDraft(batch, 'u:bob'))?.text).toBe('staged');
    expect(await readDraft(records, 'u:bob')).toBeNull();
  });

  it('refuses a stored record that is not a draft', async () => {
    const { records } = createMemoryStorage();
    await records.write([
      {
        op: 'set',
        key: Keys.draft('u:bob'),
        value: encodeRecord({ v: 1, text: 'x'.repeat(DRAFT_MAX_CHARS + 1), at: 1 }),
      },
    ]);
    await expect(readDraft(records, 'u:bob')).rejects.toSatisfy((e) =>
      isParleyError(e, 'STATE_CORRUPT'),
    );
  });

  it('previews a draft as one line, cut with an ellipsis', () => {
    expect(draftPreview('  see\n you   at ', 200)).toBe('see you at');
    expect(draftPreview('abcdefgh', 5)).toBe('abcd…');
  });
});

describe('the draft part of the conversation API', () => {
  async function setup() {
    const { records } = createMemoryStorage();
    const host = createClientHost({
      records,
      timers: nodeTimers,
      now: () => 1_000,
      random: systemRandom,
    });
    const changed: string[] = [];
    host.events.on('conversation', (e) => changed.push(e.conversationId));
    const api = createConversationApi({
      ...host,
      stageSync: async () => {},
      pump: () => {},
      requireSessions: () => {
        throw new Error('not used');
      },
      requireApi: () => {
        throw new Error('not used');
      },
      viewConversation: (c) => conversationView(records, () => undefined, c),
      groups: { isActiveMember: async () => false, leaveGroup: async () => undefined },
      refreshExpiry: () => undefined,
    });
    const peer = '00000000-0000-4000-8000-000000000001';
    const id = await host.transact(
      async (batch) => (await ensureDirectConversation(batch, peer, 1)).id,
    );
    return { records, api, id, changed };
  }

  it('saves, lists as one line, says the list changed only when the text did, and drops on blank', async () => {
    const { api, id, changed } = await setup();
    expect(await api.getDraft(id)).toBe('');
    await api.saveDraft({ conversationId: id, text: 'see you\nat' });
    await api.saveDraft({ conversationId: id, text: 'see you\nat' });
    expect(changed).toEqual([id]);
    expect(await api.getDraft(id)).toBe('see you\nat');
    expect((await api.getConversation(id)).draft).toBe('see you at');
    await api.saveDraft({ conversationId: id, text: '   ' });
    expect(await api.getDraft(id)).toBe('');
    expect((await api.getConversation(id)).draft).toBeUndefined();
    expect(changed).toEqual([id, id]);
  });

  it('refuses drafts for unknown conversations and over the limit', async () => {
    const { api, id } = await setup();
    await expect(api.saveDraft({ conversationId: 'u:nobody', text: 'x' })).rejects.toSatisfy((e) =>
      isParleyError(e, 'NOT_FOUND'),
    );
    await expect(
      api.saveDraft({ conversationId: id, text: 'x'.repeat(DRAFT_MAX_CHARS + 1) }),
    ).rejects.toSatisfy((e) => isParleyError(e, 'BODY_INVALID'));
  });

  it('drops the draft with the conversation', async () => {
    const { api, id, records } = await setup();
    await api.saveDraft({ conversationId: id, text: 'unsent' });
    await api.deleteConversation(id);
    expect(await records.get(Keys.draft(id))).toBeUndefined();
  });
});

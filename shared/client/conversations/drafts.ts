/**
 * Drafts: the unsent text of a conversation's composer, one record per
 * conversation (`draft/<conversation>`), kept when the reader leaves the
 * chat or closes the page and shown in the list as "Draft: …". An empty
 * draft is no record: saving "" deletes it, as does sending and deleting
 * the conversation. Plaintext like messages, so sealed like them by the host
 * (docs/client.md, "Where things are stored").
 */
import * as v from 'valibot';
import type { Batch } from '../store/batch.ts';
import { decodeRecord, encodeRecord, IntField } from '../store/record-codec.ts';
import { Keys } from '../store/storage-keys.ts';
import type { RecordStore } from '../store/store.ts';

/**
 * Longest draft kept. Above the message limit (the composer keeps over-long
 * text so it can be cut down, never cut it itself) but bounded.
 */
export const DRAFT_MAX_CHARS = 65_536;

export const DraftSchema = v.object({
  v: v.literal(1),
  text: v.pipe(v.string(), v.maxLength(DRAFT_MAX_CHARS)),
  /** When it was last saved (ms). */
  at: IntField,
});

export type Draft = v.InferOutput<typeof DraftSchema>;

export async function readDraft(
  records: Pick<RecordStore, 'get'>,
  conversationId: string,
): Promise<Draft | null> {
  const raw = await records.get(Keys.draft(conversationId));
  return raw === undefined ? null : decodeRecord(DraftSchema, raw, 'draft');
}

/** Stages the draft, or its deletion when `text` is only whitespace. */
export function stageDraft(batch: Batch, conversationId: string, text: string, at: number): void {
  if (text.trim() === '') {
    batch.delete(Keys.draft(conversationId));
    return;
  }
  batch.set(Keys.draft(conversationId), encodeRecord({ v: 1, text, at } satisfies Draft));
}

/** The draft's text as a conversation list shows it: one line, at most `max` characters. */
export function draftPreview(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/**
 * Which messages are new arrivals worth announcing to a screen reader:
 * incoming text newer than the newest message the page knew of. The history
 * that loads when a chat opens, older pages loaded by scrolling up, and the
 * reader's own messages are never announced (docs/extension.md, "Reading and
 * unread"). Message ids sort in arrival order.
 *
 * Runs anywhere (pure).
 */
import { kindOf } from './attachments/files.ts';
import type { AttachmentView, MessageView } from './protocol.ts';

/** The newest id loaded, or '' (older than every id) when none. */
export function newestId(messages: readonly MessageView[]): string {
  let newest = '';
  for (const m of messages) if (m.id > newest) newest = m.id;
  return newest;
}

export function arrivalsSince(messages: readonly MessageView[], known: string): MessageView[] {
  return messages.filter((m) => m.id > known && !m.outgoing && m.kind === 'text');
}

/** Longer texts are cut in the announcement; the message itself is in the history. */
export const ANNOUNCE_MAX_CHARS = 280;

/** How an attachment reads aloud: "a photo", "a voice note", "a file, report.pdf". */
export function attachmentPhrase(a: AttachmentView): string {
  switch (kindOf(a)) {
    case 'image':
      return 'a photo';
    case 'voice':
      return 'a voice note';
    case 'audio':
      return a.name === undefined ? 'an audio file' : `an audio file, ${a.name}`;
    case 'video':
      return a.name === undefined ? 'a video' : `a video, ${a.name}`;
    default:
      return a.name === undefined ? 'a file' : `a file, ${a.name}`;
  }
}

/**
 * What a screen reader says for an arrival: "alice: hi"; a file without a
 * caption says what came ("alice sent a photo"), one with a caption both.
 */
export function announcement(m: MessageView): string {
  const text =
    m.text.length > ANNOUNCE_MAX_CHARS ? `${m.text.slice(0, ANNOUNCE_MAX_CHARS)}…` : m.text;
  const files = m.attachments ?? [];
  if (files.length === 0) return `${m.senderHandle}: ${text}`;
  const sent = `${m.senderHandle} sent ${files.map(attachmentPhrase).join(' and ')}`;
  return text.trim() === '' ? sent : `${sent}: ${text}`;
}

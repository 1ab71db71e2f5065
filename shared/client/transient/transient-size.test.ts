/**
 * The relay refuses transient bodies over TRANSIENT_BODY_MAX_BYTES; every
 * transient content the client sends must fit even in its largest form, a
 * pre-key message (the initiator's messages until it hears back) carrying the
 * ML-KEM ciphertext and a one-time prekey id.
 */
import { describe, expect, it } from 'vitest';
import { GCM_TAG_BYTES } from '../../crypto/aead.ts';
import {
  ENVELOPE_BYTES,
  encodePreKeyFields,
  RATCHET_HEADER_BYTES,
} from '../../crypto/message-format.ts';
import { MLKEM768_CIPHERTEXT_BYTES } from '../../crypto/mlkem.ts';
import { paddedLength } from '../../crypto/padding.ts';
import { TRANSIENT_BODY_MAX_BYTES } from '../../wire/limits.ts';
import { type Content, encodeContent } from '../sessions/content.ts';

function largestPreKeyMessage(content: Content): number {
  const fields = encodePreKeyFields({
    identity: {
      dh: new Uint8Array(32),
      signing: new Uint8Array(32),
      binding: new Uint8Array(64),
    },
    baseKey: new Uint8Array(32),
    signedPreKeyId: 0xffff_ffff,
    oneTimePreKeyId: 0xffff_ffff,
    kemPreKeyId: 0xffff_ffff,
    kemCiphertext: new Uint8Array(MLKEM768_CIPHERTEXT_BYTES),
  });
  const plaintext = encodeContent(content);
  return (
    ENVELOPE_BYTES +
    fields.length +
    RATCHET_HEADER_BYTES +
    paddedLength(plaintext.length) +
    GCM_TAG_BYTES
  );
}

describe('transient bodies', () => {
  it('typing and presence fit the relay cap even as pre-key messages', () => {
    const user = '01234567-89ab-cdef-0123-456789abcdef';
    const contents: Content[] = [
      { v: 1, t: 'typing', to: { u: user }, typing: true },
      { v: 1, t: 'typing', to: { g: new Uint8Array(16).fill(0xff) }, typing: false },
      { v: 1, t: 'presence', online: true, hello: true },
    ];
    for (const content of contents) {
      expect(largestPreKeyMessage(content)).toBeLessThanOrEqual(TRANSIENT_BODY_MAX_BYTES);
    }
  });
});

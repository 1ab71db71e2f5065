/**
 * REST bodies of the linking rendezvous (docs/wire.md, "Linking"): an
 * anonymous mailbox where a new device and an existing one of the same
 * account run the linking protocol (docs/protocol.md, "Linking a device").
 * The relay sees the locator and opaque messages only.
 */
import * as v from 'valibot';
import {
  LINK_CODE_ALPHABET,
  LINK_LOCATOR_CHARS,
  LINK_MAX_STRIKES,
  LINK_MESSAGE_MAX_BYTES,
  LINK_MESSAGES_PER_SIDE,
  OPAQUE_ID_BYTES,
} from './limits.ts';
import { BASE64URL_PATTERN, b64BytesRange, base64UrlLength } from './rest-fields.ts';

/** Who wrote a mailbox message. */
export const LinkSide = { NEW: 'new', EXISTING: 'existing' } as const;
export type LinkSide = (typeof LinkSide)[keyof typeof LinkSide];

export const LinkSideSchema = v.picklist([LinkSide.NEW, LinkSide.EXISTING]);

/** The rendezvous id: 16 random bytes, base64url. */
export const RendezvousIdSchema = v.pipe(
  v.string(),
  v.length(base64UrlLength(OPAQUE_ID_BYTES)),
  v.regex(BASE64URL_PATTERN),
);

const LOCATOR_PATTERN = new RegExp(`^[${LINK_CODE_ALPHABET}]{${LINK_LOCATOR_CHARS}}$`);

export function isLocator(text: string): boolean {
  return LOCATOR_PATTERN.test(text);
}

export const LocatorSchema = v.pipe(v.string(), v.regex(LOCATOR_PATTERN));

const SeqSchema = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(1),
  v.maxValue(LINK_MESSAGES_PER_SIDE),
);

export const RendezvousCreatedResponseSchema = v.strictObject({
  rid: RendezvousIdSchema,
  locator: LocatorSchema,
  expiresAt: v.pipe(v.number(), v.integer(), v.minValue(0)),
});
export type RendezvousCreatedResponse = v.InferOutput<typeof RendezvousCreatedResponseSchema>;

export const RendezvousFoundResponseSchema = v.strictObject({
  rid: RendezvousIdSchema,
  expiresAt: v.pipe(v.number(), v.integer(), v.minValue(0)),
});
export type RendezvousFoundResponse = v.InferOutput<typeof RendezvousFoundResponseSchema>;

export const LinkMessageBodySchema = b64BytesRange(1, LINK_MESSAGE_MAX_BYTES);

export const LinkPostRequestSchema = v.strictObject({ body: LinkMessageBodySchema });
export type LinkPostRequest = v.InferOutput<typeof LinkPostRequestSchema>;

export const LinkPostedResponseSchema = v.strictObject({ seq: SeqSchema });

export const LinkMessagesResponseSchema = v.strictObject({
  messages: v.pipe(
    v.array(v.strictObject({ seq: SeqSchema, body: LinkMessageBodySchema })),
    v.maxLength(LINK_MESSAGES_PER_SIDE),
  ),
});
export type LinkMessagesResponse = v.InferOutput<typeof LinkMessagesResponseSchema>;

export const LinkStrikeResponseSchema = v.strictObject({
  strikes: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(LINK_MAX_STRIKES)),
  /** False once the strike killed the rendezvous. */
  alive: v.boolean(),
});
export type LinkStrikeResponse = v.InferOutput<typeof LinkStrikeResponseSchema>;

/**
 * Protocol limits of the crypto core, in one place (docs/protocol.md, "Skipped
 * message keys"). Pairwise sessions and Sender Keys share the same skipped-key
 * bounds, so a group chain is exactly as tolerant of loss and reordering as a
 * pairwise one.
 */

/** Most message keys one message may make us derive (and store) on one chain. */
export const MAX_SKIP = 1000;
/** Skipped keys kept per pairwise session, and per Sender Key chain; the oldest are evicted first. */
export const MAX_STORED_SKIPPED_KEYS = 2000;
/**
 * How long a skipped key is kept. A key stored at `t` is usable while
 * `now - t < SKIPPED_KEY_MAX_AGE_MS` and expired from `t + SKIPPED_KEY_MAX_AGE_MS` on,
 * like every other age limit in Parley (retention, prekey grace).
 */
export const SKIPPED_KEY_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
/** Sender Key chains kept per sender after rotations (as libsignal's MAX_SENDER_KEY_STATES). */
export const MAX_RECEIVER_CHAINS = 5;
/**
 * Closed pairwise receiving chains remembered (public key and final length) so a
 * replay of an old message is reported as DUPLICATE_MESSAGE rather than
 * attempted as a new DH ratchet step. Older replays still fail, as DECRYPT_FAILED.
 */
export const MAX_RETIRED_CHAINS = 20;

/** The sealed history offer's codec (docs/protocol.md, "History transfer"). */
import { describe, expect, it } from 'vitest';
import { systemRandom } from '../../crypto/random.ts';
import { ErrorCode, isParleyError } from '../../errors.ts';
import { encodeCbor } from '../../wire/cbor.ts';
import { decodeHistoryOffer, encodeHistoryOffer, hasArchive } from './history-offer.ts';

function reason(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isParleyError(error, ErrorCode.LINK_FAILED))
      return (error.details as { reason?: string }).reason;
    throw error;
  }
  return undefined;
}

describe('history offer', () => {
  it('round-trips an archive offer and the "none" offers', () => {
    const offer = {
      id: 'AAAAAAAAAAAAAAAAAAAAAA',
      root: systemRandom(32),
      digest: systemRandom(32),
      size: 12345,
    };
    const decoded = decodeHistoryOffer(encodeHistoryOffer(offer));
    expect(decoded).toEqual(offer);
    expect(hasArchive(decoded)).toBe(true);
    expect(decodeHistoryOffer(encodeHistoryOffer({ none: true }))).toEqual({ none: true });
    const failed = decodeHistoryOffer(encodeHistoryOffer({ none: true, failed: true }));
    expect(failed).toEqual({ none: true, failed: true });
    expect(hasArchive(failed)).toBe(false);
  });

  it('refuses a short root key, extra fields, another version and non-CBOR', () => {
    const base = { v: 1, id: 'AAAAAAAAAAAAAAAAAAAAAA', digest: systemRandom(32), size: 1 };
    expect(reason(() => decodeHistoryOffer(encodeCbor({ ...base, root: systemRandom(16) })))).toBe(
      'protocol',
    );
    expect(
      reason(() => decodeHistoryOffer(encodeCbor({ ...base, root: systemRandom(32), x: 1 }))),
    ).toBe('protocol');
    expect(reason(() => decodeHistoryOffer(encodeCbor({ v: 2, none: true })))).toBe('protocol');
    expect(reason(() => decodeHistoryOffer(Uint8Array.of(0xff, 0x00)))).toBe('protocol');
  });
});

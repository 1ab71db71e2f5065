import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isParleyError } from '../errors.ts';
import { assertDecoderTotal, untrustedBytes } from '../testing/decoder-property.ts';
import { acceptNext, decodeDeviceList, verifyDeviceList } from './device-list.ts';
import { listAccount, nextList } from './testing/device-list-fixtures.ts';

const account = await listAccount();
const expected = { userId: account.userId, identityKey: account.identity.signing.publicKey };
const v1 = await nextList(account, undefined, account.devices.slice(0, 2));
const v2 = await nextList(account, v1, account.devices);
const v2b = await nextList(account, v1, account.devices.slice(1));

describe('signed device list properties', () => {
  it('any bytes decode to a list or DEVICE_LIST_INVALID', async () => {
    await assertDecoderTotal(
      untrustedBytes({ prefixes: [new Uint8Array([1, 36])], samples: [v1.encoded, v2.encoded] }),
      decodeDeviceList,
      [ErrorCode.DEVICE_LIST_INVALID],
    );
  });

  it('any change to a signed list is refused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(v2.encoded.length - 1),
        fc.integer({ min: 1, max: 255 }),
        async (at, xor) => {
          const tampered = Uint8Array.from(v2.encoded);
          tampered[at] = (tampered[at] as number) ^ xor;
          try {
            await verifyDeviceList(tampered, expected);
            return false;
          } catch (e) {
            return isParleyError(e, ErrorCode.DEVICE_LIST_INVALID);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the chain only goes forward; one version with two contents is a fork', () => {
    const lists = [v1, v2, v2b];
    fc.assert(
      fc.property(fc.constantFrom(...lists), fc.constantFrom(...lists), (held, offered) => {
        const outcome = acceptNext(held, offered);
        if (offered.version < held.version) expect(outcome.kind).toBe('rollback');
        else if (offered === held) expect(outcome.kind).toBe('same');
        else if (offered.version === held.version) expect(outcome.kind).toBe('fork');
        else expect(outcome).toEqual({ kind: 'accepted', list: offered });
      }),
    );
  });
});

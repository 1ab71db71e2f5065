import fc from 'fast-check';
import type * as v from 'valibot';
import { describe, it } from 'vitest';
import { utf8 } from '../bytes.ts';
import { ErrorCode } from '../errors.ts';
import { assertDecoderTotal, untrustedBytes } from '../testing/decoder-property.ts';
import { REST_RESPONSE_MAX_BYTES } from './limits.ts';
import { parseRestBody, serializeRestBody } from './rest-codec.ts';
import { DeviceRegistrationSchema, PrekeyBundlesResponseSchema } from './rest-devices.ts';
import { type RouteBody, type RouteSpec, routes } from './routes.ts';
import { sampleBundles, sampleRegistration } from './testing/rest-samples.ts';

const BODY_CODES = [ErrorCode.BODY_INVALID, ErrorCode.BODY_TOO_LARGE];

/** Every JSON body schema of the route table, requests and responses. */
const schemas: v.GenericSchema[] = Object.values(routes as Record<string, RouteSpec>).flatMap((r) =>
  [r.request, r.response].filter(
    (s: RouteBody): s is v.GenericSchema => s !== null && typeof s === 'object',
  ),
);

describe('REST bodies: any bytes give a value or BODY_INVALID / BODY_TOO_LARGE', () => {
  it('parseRestBody, for every schema in the route table', async () => {
    const samples = [
      utf8(serializeRestBody(DeviceRegistrationSchema, sampleRegistration(3))),
      utf8(serializeRestBody(PrekeyBundlesResponseSchema, sampleBundles())),
    ];
    const inputs = fc.tuple(
      fc.oneof(untrustedBytes({ samples, maxLength: 400 }), fc.json({ maxDepth: 4 }).map(utf8)),
      fc.nat(schemas.length - 1),
    );
    await assertDecoderTotal(
      inputs,
      ([bytes, which]) =>
        parseRestBody(schemas[which] as v.GenericSchema, bytes, {
          maxBytes: REST_RESPONSE_MAX_BYTES,
        }),
      BODY_CODES,
      { numRuns: 3000 },
    );
  });
});

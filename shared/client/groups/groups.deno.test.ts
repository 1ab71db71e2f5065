// Group state and chain under Deno (the relay's runtime, and a stand-in for
// other non-Node hosts): signatures made and checked with Deno's WebCrypto,
// the same bodies and hashes as in Node, forbidden and stale states refused.
import { deepStrictEqual, strictEqual } from 'node:assert/strict';
import { toHex } from '../../bytes.ts';
import { addToChain, adoptChain, startChain } from './chain.ts';
import { observeMessage } from './sequence.ts';
import { GroupRole, parseSignedGroupState } from './state.ts';
import { cast, checkWith, child, genesis, USERS } from './testing/fixtures.ts';

Deno.test('group states: sign, parse, extend, refuse a member change and a stale state', async () => {
  const keys = await cast();
  const v1 = await genesis(keys);
  const parsed = parseSignedGroupState(v1.body, v1.signature);
  strictEqual(toHex(parsed.hash), toHex(v1.hash));
  const v2 = await child(keys, v1, 'adminA', (d) => {
    d.members.set(USERS.x, GroupRole.MEMBER);
  });
  const byMember = await child(keys, v1, 'member', (d) => {
    d.name = 'Mine';
  });
  const check = checkWith(keys);
  let chain = startChain(v1);
  const refused = await addToChain(chain, byMember, check);
  strictEqual(refused.kind === 'rejected' && refused.error.code, 'GROUP_FORBIDDEN');
  const accepted = await addToChain(chain, v2, check);
  strictEqual(accepted.kind, 'accepted');
  chain = accepted.chain;
  const v3 = await child(keys, v2, 'adminA', (d) => {
    d.timer = 30_000;
  });
  const third = await addToChain(chain, v3, check);
  strictEqual(third.kind, 'accepted');
  chain = third.chain;
  // Built on v1 while the group is at v3: stale, even from the owner.
  const stale = await child(keys, v1, 'owner', (d) => {
    d.name = 'Late';
  });
  const late = await addToChain(chain, stale, check);
  strictEqual(late.kind === 'rejected' && late.error.code, 'GROUP_STALE');
  deepStrictEqual(observeMessage(3, 5).gap, { from: 3, count: 2 });
});

Deno.test('joining: a member-forged ownership is refused, the genuine history accepted', async () => {
  const keys = await cast();
  const v1 = await genesis(keys);
  const forged = await child(keys, v1, 'member', (d) => {
    d.members.set(USERS.member, GroupRole.OWNER);
    d.members.set(USERS.owner, GroupRole.MEMBER);
    d.members.set(USERS.x, GroupRole.MEMBER);
  });
  const check = checkWith(keys);
  const refused = await adoptChain(undefined, [v1], forged, check);
  strictEqual(refused.kind === 'rejected' && refused.error.code, 'GROUP_FORBIDDEN');
  const genuine = await child(keys, v1, 'owner', (d) => {
    d.members.set(USERS.x, GroupRole.MEMBER);
  });
  strictEqual((await adoptChain(undefined, [v1], genuine, check)).kind, 'accepted');
});

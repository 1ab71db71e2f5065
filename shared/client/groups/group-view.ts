/**
 * What the UI shows of a group (`GroupView`): name, timer, members with
 * their roles, whether each joined or is only invited, and what we may do, found by trying each change against the
 * permission table (state.ts) rather than restating its rules.
 */
import { type Bytes, fromHex } from '../../bytes.ts';
import { ErrorCode, fail } from '../../errors.ts';
import type { Account } from '../account/account.ts';
import { readContact } from '../contacts/contacts.ts';
import { groupHexOf } from '../conversations/conversations.ts';
import type { RecordStore } from '../store/store.ts';
import { type MemberStatus, memberStatus, readJoined } from './joined.ts';
import type { GroupEdit } from './ops.ts';
import {
  checkPermission,
  diffStates,
  type GroupRole,
  type GroupState,
  GroupRole as Role,
  roleOf,
} from './state.ts';
import { groupHex, readGroup } from './store.ts';

export interface GroupMemberView {
  readonly userId: string;
  readonly handle: string | null;
  readonly role: GroupRole;
  /** Whether we may remove this member (permission table). */
  readonly canRemove: boolean;
  /** `invited` until we know they accepted (joined.ts). */
  readonly status: MemberStatus;
}

export interface GroupView {
  readonly conversationId: string;
  /** Group id, 32 hex characters. */
  readonly id: string;
  readonly name: string;
  readonly version: number;
  /** Disappearing-message timer (ms, 0 = off). */
  readonly timer: number;
  readonly members: readonly GroupMemberView[];
  /** Our role, or null when we left or were removed. */
  readonly myRole: GroupRole | null;
  /** We are a member of the current state. */
  readonly active: boolean;
  /** Not a request (we created it, an accepted contact added us, or we accepted it). */
  readonly accepted: boolean;
  readonly addedBy: string;
  readonly can: {
    readonly rename: boolean;
    readonly setTimer: boolean;
    readonly addMembers: boolean;
    readonly changeRoles: boolean;
    readonly leave: boolean;
  };
}

/** The group id in a group conversation id (BAD_ARGUMENT for anything else). */
export function groupIdOf(conversationId: string): Bytes {
  const hex = groupHexOf(conversationId);
  if (hex === undefined || !/^[0-9a-f]{32}$/.test(hex)) {
    fail(ErrorCode.BAD_ARGUMENT, 'Not a group conversation');
  }
  return fromHex(hex);
}

function allowed(
  author: string,
  role: GroupRole | undefined,
  parent: GroupState,
  child: GroupState,
) {
  if (role === undefined) return false;
  try {
    checkPermission(author, role, diffStates(parent, child));
    return true;
  } catch {
    return false;
  }
}

export async function groupView(
  records: RecordStore,
  account: Pick<Account, 'userId' | 'handle'>,
  conversationId: string,
): Promise<GroupView> {
  const own = account.userId;
  const record = await readGroup(records, groupIdOf(conversationId));
  if (record === undefined) fail(ErrorCode.NOT_FOUND, 'No such group');
  const head = record.chain.head;
  const state = head.state;
  const myRole = roleOf(state, own);
  const trial = (edit: (d: GroupEdit) => void): boolean => {
    const members = new Map(state.members.map((m) => [m.user, m.role]));
    const draft = { name: state.name, timer: state.timer, members };
    edit(draft);
    const child: GroupState = {
      ...state,
      name: draft.name,
      timer: draft.timer,
      members: [...draft.members].map(([user, role]) => ({ user, role })),
    };
    return allowed(own, myRole, state, child);
  };
  const joined = { own, accepted: record.accepted, joined: await readJoined(records, record.id) };
  const members: GroupMemberView[] = [];
  for (const m of state.members) {
    const contact = m.user === own ? undefined : await readContact(records, m.user);
    members.push({
      userId: m.user,
      handle: m.user === own ? account.handle : (contact?.handle ?? null),
      role: m.role,
      canRemove:
        m.user !== own &&
        trial((d) => {
          d.members.delete(m.user);
        }),
      status: memberStatus(m.user, joined),
    });
  }
  const probe = '00000000-0000-4000-8000-000000000000';
  return {
    conversationId,
    id: groupHex(record.id),
    name: state.name,
    version: state.version,
    timer: state.timer,
    members,
    myRole: myRole ?? null,
    active: myRole !== undefined,
    accepted: record.accepted,
    addedBy: record.addedBy,
    can: {
      rename: trial((d) => {
        d.name = `${state.name}.`;
      }),
      setTimer: trial((d) => {
        d.timer = state.timer === 0 ? 30_000 : 0;
      }),
      addMembers: trial((d) => {
        d.members.set(probe, Role.MEMBER);
      }),
      changeRoles: myRole === Role.OWNER,
      leave: myRole !== undefined && myRole !== Role.OWNER,
    },
  };
}

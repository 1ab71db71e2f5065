/**
 * What cross-instance fan-out keeps in Redis, and the scripts that change
 * it: the holder record of each device (`parley:fanout:d:<account>/<device>`
 * = "<instance> <connection>", with a TTL), one channel per instance
 * (`parley:fanout:i:<instance>`) and one for everyone (`parley:fanout:all`).
 * Every key operation is one atomic script (redis-link.ts).
 */
import type { FanoutSignal } from './fanout.ts';
import { encodeNote, type Note } from './wire.ts';

// KEYS[1] device key; ARGV: value, ttlMs. Returns the previous holder (or false).
export const CLAIM = `local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return old`;
// Deletes the key only while it still names this holder.
export const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
// ARGV[1] the calling instance, ARGV[2] the channel prefix, ARGV[i + 2] the note (JSON) for
// KEYS[i]. Publishes every note whose device another instance holds, one message per
// instance, and returns the indexes of the rest (held by the caller, or by nobody on record).
export const ROUTE = `local self = ARGV[1]
local byInstance = {}
local order = {}
local mine = {}
for i, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  local instance = holder and string.match(holder, '^(%S+) ')
  if not instance or instance == self then
    mine[#mine + 1] = i
  elseif ARGV[i + 2] ~= '' then
    local notes = byInstance[instance]
    if not notes then
      notes = {}
      byInstance[instance] = notes
      order[#order + 1] = instance
    end
    notes[#notes + 1] = ARGV[i + 2]
  end
end
for _, instance in ipairs(order) do
  redis.call('PUBLISH', ARGV[2] .. instance, '[' .. table.concat(byInstance[instance], ',') .. ']')
end
return mine`;
// ARGV[1] ttl, ARGV[i+1] the value for KEYS[i]. Keeps ours alive, restores expired ones,
// and returns the indexes of keys that another holder has taken since.
export const REFRESH = `local lost = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v == ARGV[i + 1] then redis.call('PEXPIRE', key, ARGV[1])
  elseif not v then redis.call('SET', key, ARGV[i + 1], 'PX', ARGV[1])
  else lost[#lost + 1] = i end
end
return lost`;

/** Keys per script call (and per pipelined batch of calls). */
export const CHUNK = 500;

const PREFIX = 'parley:fanout';
/** Device-list changes, for every instance. */
export const ALL_CHANNEL = `${PREFIX}:all`;
/** Prefix of the per-instance channels (the ROUTE script appends the instance). */
export const INSTANCE_CHANNEL_PREFIX = `${PREFIX}:i:`;
export const recordKey = (key: string): string => `${PREFIX}:d:${key}`;
export const channelOf = (instance: string): string => `${INSTANCE_CHANNEL_PREFIX}${instance}`;
/** What a holder record says: "<instance> <connection>". */
export const holderValue = (instance: string, connectionId: string): string =>
  `${instance} ${connectionId}`;

/** The JSON text of the note for a remote holder ('' when the signal never travels). */
export function noteText(device: string, signal: FanoutSignal): string {
  const note = toNote(device, signal);
  return note === undefined ? '' : encodeNote(note);
}

function toNote(device: string, signal: FanoutSignal): Note | undefined {
  switch (signal.type) {
    case 'queued':
      return { t: 'q', device, seq: signal.seq };
    case 'transient':
      return { t: 'x', device, frame: signal.frame };
    case 'revoked':
      return { t: 'r', device };
    case 'replaced':
      return undefined; // sent by attach() to the previous holder only
  }
}

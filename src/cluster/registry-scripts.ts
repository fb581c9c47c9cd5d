/**
 * The cluster call registry in Redis: keys, Lua scripts and the stored view of a live call; no behaviour.
 *
 * calls          ZSET session id → entry expiry (Redis time, ms): the index GET /calls reads
 * call:<session> HASH owner (the gateway process holding it), view (JSON): expires with its lease
 *
 * The view is what operators need to find a call (instance, DID, bot, state, start), never the
 * caller's number or transcript: those stay on the gateway that carries the call.
 */
import { z } from "zod";
import type { LiveCall } from "../call/call-record.ts";
import { luaScript } from "./redis-connection.ts";

export interface RegistryKeys {
  index: string;
  /** Prefix of each call's hash; the session id follows. */
  callPrefix: string;
}

/** The registry keys under REDIS_KEY_PREFIX. */
export function registryKeys(prefix: string): RegistryKeys {
  return { index: `${prefix}calls`, callPrefix: `${prefix}call:` };
}

const NOW = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
`;

/** KEYS index, call; ARGV ttl, session id, owner, view. Writes when the id is free or already ours: 1, else 0. */
export const PUT_CALL = luaScript(
  "put_call",
  `${NOW}
local owner = redis.call('HGET', KEYS[2], 'owner')
if owner and owner ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[2], 'owner', ARGV[3], 'view', ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
return 1
`,
);

/** KEYS index, call; ARGV session id, owner. Removes the entry when it is ours (or already lapsed). */
export const DROP_CALL = luaScript(
  "drop_call",
  `
local owner = redis.call('HGET', KEYS[2], 'owner')
if owner == false or owner == ARGV[2] then
  redis.call('DEL', KEYS[2])
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return 1
`,
);

/**
 * KEYS index, then one call key per session; ARGV ttl, owner, then the session ids in the same order.
 * Renews ours; returns {missing (lapsed: write them again), lost (another gateway holds the id now)}.
 */
export const RENEW_CALLS = luaScript(
  "renew_calls",
  `${NOW}
local ttl = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local missing, lost = {}, {}
for i = 2, #KEYS do
  local session = ARGV[i + 1]
  local owner = redis.call('HGET', KEYS[i], 'owner')
  if owner == ARGV[2] then
    redis.call('PEXPIRE', KEYS[i], ttl)
    redis.call('ZADD', KEYS[1], now + ttl, session)
  elseif not owner then
    missing[#missing + 1] = session
  else
    lost[#lost + 1] = session
  end
end
return { missing, lost }
`,
);

/** KEYS index; ARGV limit, call key prefix. The views of live entries, oldest lease first. */
export const LIST_CALLS = luaScript(
  "list_calls",
  `${NOW}
local sessions = redis.call('ZRANGEBYSCORE', KEYS[1], now, '+inf', 'LIMIT', 0, tonumber(ARGV[1]))
local views = {}
for i = 1, #sessions do
  local view = redis.call('HGET', ARGV[2] .. sessions[i], 'view')
  if view then views[#views + 1] = view end
end
return views
`,
);

const count = z.number().int().nonnegative();
const optionalText = z.string().optional();

/** The stored view (validated on read: another version of Homebook may have written it). */
export const registryViewSchema = z.object({
  sessionId: z.string(),
  instance: z.string(),
  state: z.string(),
  startedAt: z.number(),
  did: optionalText,
  botId: optionalText,
  agentId: optionalText,
  businessId: optionalText,
  callId: optionalText,
  streamId: optionalText,
  conversationId: optionalText,
  agentConnectedAt: z.number().optional(),
  firstAgentAudioAt: z.number().optional(),
  framesIn: count,
  framesOut: count,
  interruptions: count,
});

export type RegistryView = z.infer<typeof registryViewSchema>;

/** What goes to Redis of a live call: no caller number, no transcript. */
export function registryView(call: LiveCall, instance: string): RegistryView {
  const { sessionId, state, startedAt, did, botId, agentId, businessId, callId, streamId, conversationId, agentConnectedAt, firstAgentAudioAt, framesIn, framesOut, interruptions } = call;
  return { sessionId, instance, state, startedAt, did, botId, agentId, businessId, callId, streamId, conversationId, agentConnectedAt, firstAgentAudioAt, framesIn, framesOut, interruptions };
}

/** A stored view as the admin API shows live calls; undefined when it is not a valid view. */
export function liveCallFromView(json: string): LiveCall | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return undefined;
  }
  const parsed = registryViewSchema.safeParse(raw);
  return parsed.success ? { ...parsed.data, transcript: [] } : undefined;
}

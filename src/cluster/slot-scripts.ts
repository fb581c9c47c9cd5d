/**
 * The cluster-wide agent-connection limit in Redis: keys and atomic Lua scripts, no behaviour.
 *
 * held        ZSET lease id → lease expiry (Redis time, ms): slots in use
 * queue       ZSET lease id → arrival number: callers waiting, first come first served
 * queueExpiry ZSET lease id → expiry: a waiting place not renewed by its gateway lapses too
 * seq         counter giving arrival numbers
 * instances   ZSET instance id → expiry: gateways taking calls (a draining one removes itself)
 * channel     pub/sub: space-separated lease ids just granted a slot
 *
 * Lease ids are "<instance>#<process nonce>:<n>". Every expiry is Redis's own clock (TIME), so the
 * gateways' clocks never have to agree.
 */
import { luaScript } from "./redis-connection.ts";

export interface SlotKeys {
  held: string;
  queue: string;
  queueExpiry: string;
  seq: string;
  instances: string;
  channel: string;
}

/** The slot keys and channel under REDIS_KEY_PREFIX. */
export function slotKeys(prefix: string): SlotKeys {
  return {
    held: `${prefix}slots:held`,
    queue: `${prefix}slots:queue`,
    queueExpiry: `${prefix}slots:queue-expiry`,
    seq: `${prefix}slots:seq`,
    instances: `${prefix}instances`,
    channel: `${prefix}slots:granted`,
  };
}

/** KEYS of every slot script, in the order the scripts read them. */
export function slotScriptKeys(k: SlotKeys): string[] {
  return [k.held, k.queue, k.queueExpiry, k.seq, k.instances];
}

/** ARGV[1..3]: max, ttl, channel. */
const PRELUDE = `
local held, queue, expiry, seq, instances = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local max, ttl, channel = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

-- Lapsed leases and waiting places go (a gateway killed with kill -9 renews nothing).
local function purge()
  redis.call('ZREMRANGEBYSCORE', held, '-inf', now)
  local gone = redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, 1000)
  for i = 1, #gone do
    redis.call('ZREM', queue, gone[i])
    redis.call('ZREM', expiry, gone[i])
  end
end

-- Free slots go to the head of the queue, in arrival order; one message names who got one. A promoted
-- lease keeps the expiry of its queue place (its gateway's last renewal + ttl): a dead gateway's caller
-- never holds a slot longer than that.
local function promote(quiet)
  local granted = {}
  local free = max - redis.call('ZCARD', held)
  while free > 0 do
    local head = redis.call('ZPOPMIN', queue)
    if #head == 0 then break end
    local until_ms = tonumber(redis.call('ZSCORE', expiry, head[1])) or (now + ttl)
    redis.call('ZREM', expiry, head[1])
    redis.call('ZADD', held, until_ms, head[1])
    if head[1] ~= quiet then granted[#granted + 1] = head[1] end
    free = free - 1
  end
  if #granted > 0 then redis.call('PUBLISH', channel, table.concat(granted, ' ')) end
end

-- Queues \`id\` at the tail unless it is already queued; its place lives as long as a lease.
local function enqueue(id)
  if not redis.call('ZSCORE', queue, id) then redis.call('ZADD', queue, redis.call('INCR', seq), id) end
  redis.call('ZADD', expiry, now + ttl, id)
end

-- {slots held, callers waiting, ms until the soonest lease lapses or -1}
local function summary()
  local first = redis.call('ZRANGE', held, 0, 0, 'WITHSCORES')
  local soonest = -1
  if first[2] then soonest = tonumber(first[2]) - now end
  return { redis.call('ZCARD', held), redis.call('ZCARD', queue), soonest }
end
`;

/**
 * ARGV[4] lease id. A slot for `id` now if one is free and nobody waits before it, else a place in
 * the queue. Idempotent: a repeated call renews the slot or keeps the place.
 * Returns {granted 0|1, held, waiting, soonest}.
 */
export const ACQUIRE = luaScript(
  "acquire",
  `${PRELUDE}
purge()
local id = ARGV[4]
if redis.call('ZSCORE', held, id) then
  redis.call('ZADD', held, now + ttl, id)
else
  enqueue(id)
  promote(id)
end
local granted = 0
if redis.call('ZSCORE', held, id) then granted = 1 end
local s = summary()
return { granted, s[1], s[2], s[3] }
`,
);

/**
 * ARGV[4..] lease ids to drop, held or waiting (a release, a timeout, a caller who left). Freed slots
 * go to the queue's head. Returns {held, waiting, soonest}.
 */
export const RELEASE = luaScript(
  "release",
  `${PRELUDE}
for i = 4, #ARGV do
  redis.call('ZREM', held, ARGV[i])
  redis.call('ZREM', queue, ARGV[i])
  redis.call('ZREM', expiry, ARGV[i])
end
purge()
promote(nil)
return summary()
`,
);

/**
 * One gateway's renewal round. ARGV[4] instance id, ARGV[5] "1" while it takes calls ("0" draining or
 * leaving), ARGV[6] n, then n held lease ids, then the ids still waiting.
 *
 * Held ids are written back even when they lapsed (an outage, a long pause): the call still holds its
 * agent connection, so the count stays exact even if it briefly exceeds the limit. Waiting ids that
 * lapsed are queued again at the tail. Returns {held, waiting, soonest, instances alive, granted ids}.
 */
export const RENEW = luaScript(
  "renew",
  `${PRELUDE}
redis.call('ZREMRANGEBYSCORE', instances, '-inf', now)
if ARGV[5] == '1' then redis.call('ZADD', instances, now + ttl, ARGV[4]) else redis.call('ZREM', instances, ARGV[4]) end
local n = tonumber(ARGV[6])
for i = 7, 6 + n do
  redis.call('ZREM', queue, ARGV[i])
  redis.call('ZREM', expiry, ARGV[i])
  redis.call('ZADD', held, now + ttl, ARGV[i])
end
for i = 7 + n, #ARGV do
  if redis.call('ZSCORE', held, ARGV[i]) then redis.call('ZADD', held, now + ttl, ARGV[i]) else enqueue(ARGV[i]) end
end
purge()
promote(nil)
local granted = {}
for i = 7 + n, #ARGV do
  if redis.call('ZSCORE', held, ARGV[i]) then granted[#granted + 1] = ARGV[i] end
end
local s = summary()
return { s[1], s[2], s[3], redis.call('ZCARD', instances), granted }
`,
);

/** Parsed {held, waiting, soonest} of every script's reply. */
export interface SlotSummary {
  held: number;
  waiting: number;
  /** ms until the soonest lease lapses (if not renewed); undefined when no slot is held. */
  soonestMs: number | undefined;
}

/** {held, waiting, soonest} read from a script's reply starting at index `from`. */
export function slotSummary(reply: readonly unknown[], from: number): SlotSummary {
  const soonest = Number(reply[from + 2]);
  return { held: Number(reply[from]), waiting: Number(reply[from + 1]), soonestMs: soonest >= 0 ? soonest : undefined };
}

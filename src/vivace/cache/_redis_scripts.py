"""The Lua scripts of the Redis cache backend: each one step that must be atomic across workers."""

from __future__ import annotations

__all__ = ["CLAIM", "INVALIDATE_TAGS", "RELEASE", "STORE"]

# KEYS: the entry, its lock, then the generation counter of each tag. ARGV: a token, the lock's lifetime (ms).
# Returns {entry or false, 1 if this caller now holds the lock, the tags' generations}.
CLAIM = """
local generations = {}
for i = 3, #KEYS do
  generations[#generations + 1] = redis.call('GET', KEYS[i]) or ''
end
local entry = redis.call('GET', KEYS[1])
if entry then
  return {entry, 0, generations}
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {false, 1, generations}
end
return {false, 0, generations}
"""

# KEYS: the entry, its lock, n generation counters, n tag sets. ARGV: the lock token ('' when none), the entry,
# its lifetime (ms), then the n generations the claim saw. Stores unless a tag was invalidated since the claim;
# tag sets live as long as their longest-lived entry. Releases the lock if still held with this token.
STORE = """
local n = #ARGV - 3
local fresh = true
for i = 1, n do
  if (redis.call('GET', KEYS[2 + i]) or '') ~= ARGV[3 + i] then
    fresh = false
    break
  end
end
if fresh then
  local ttl = tonumber(ARGV[3])
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
  for i = 1, n do
    local tag = KEYS[2 + n + i]
    redis.call('SADD', tag, KEYS[1])
    if redis.call('PTTL', tag) < ttl then
      redis.call('PEXPIRE', tag, ttl)
    end
  end
end
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
end
return fresh and 1 or 0
"""

# KEYS: a lock. ARGV: the token it was taken with. Deletes it only if it still holds that token.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# KEYS: n tag sets, then their n generation counters. ARGV: how long a generation is remembered (ms).
# Deletes every entry listed in the sets, the sets, and bumps the generations. Returns the entries deleted.
INVALIDATE_TAGS = """
local n = #KEYS / 2
local removed = 0
for i = 1, n do
  local members = redis.call('SMEMBERS', KEYS[i])
  for first = 1, #members, 500 do
    removed = removed + redis.call('DEL', unpack(members, first, math.min(first + 499, #members)))
  end
  redis.call('DEL', KEYS[i])
  redis.call('INCR', KEYS[n + i])
  redis.call('PEXPIRE', KEYS[n + i], ARGV[1])
end
return removed
"""

package state

import "github.com/redis/go-redis/v9"

// The scripts run the GCRA arithmetic of gcra.go on the server, so a check
// and its update are one atomic round trip shared by every replica.
// Numbers are written with %.0f: Lua's default formatting would round a
// 16-digit microsecond time.

// admitScript: KEYS = request tat, token tat, spend. ARGV = now µs,
// requests/min, tokens/min, token cost, budget USD, spend TTL s.
// Returns {reason, wait µs, request tat, token tat, spend as text}.
var admitScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local span = 60000000
local reqL, tokL, cost = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local budget = tonumber(ARGV[5])
local spent = 0
if budget > 0 then
  spent = tonumber(redis.call('GET', KEYS[3]) or '0')
  if spent >= budget then return {3, 0, 0, 0, tostring(spent)} end
end
local reqTAT = tonumber(redis.call('GET', KEYS[1]) or '0')
local tokTAT = tonumber(redis.call('GET', KEYS[2]) or '0')
local newReq, newTok = reqTAT, tokTAT
if reqL > 0 then
  local iv = math.max(math.floor(span / reqL), 1)
  local nxt = math.max(reqTAT, now) + iv
  if nxt - now > span then return {1, nxt - now - span, reqTAT, tokTAT, tostring(spent)} end
  newReq = nxt
end
if tokL > 0 then
  local iv = math.max(math.floor(span / tokL), 1)
  local nxt = math.max(tokTAT, now) + cost * iv
  if nxt - now > span then return {2, nxt - now - span, reqTAT, tokTAT, tostring(spent)} end
  newTok = nxt
end
if reqL > 0 then
  redis.call('SET', KEYS[1], string.format('%.0f', newReq), 'PX', math.floor((newReq - now) / 1000) + 1000)
end
if tokL > 0 then
  redis.call('SET', KEYS[2], string.format('%.0f', newTok), 'PX', math.floor((newTok - now) / 1000) + 1000)
end
return {0, 0, newReq, newTok, tostring(spent)}
`)

// settleScript: KEYS = token tat, spend. ARGV = now µs, tokens/min, token
// delta (negative refunds), cost USD, spend TTL s.
var settleScript = redis.NewScript(`
local now, tokL, delta = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local cost, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
if tokL > 0 and delta ~= 0 then
  local iv = math.max(math.floor(60000000 / tokL), 1)
  local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0') + delta * iv, now)
  if tat > now then
    redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.floor((tat - now) / 1000) + 1000)
  else
    redis.call('DEL', KEYS[1])
  end
end
if cost > 0 then
  redis.call('INCRBYFLOAT', KEYS[2], ARGV[4])
  redis.call('EXPIRE', KEYS[2], ttl)
end
return 0
`)

// usageScript: KEYS = request tat, token tat, spend. Returns {request tat,
// token tat, spend as text}.
var usageScript = redis.NewScript(`
return {tonumber(redis.call('GET', KEYS[1]) or '0'), tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('GET', KEYS[3]) or '0'}
`)

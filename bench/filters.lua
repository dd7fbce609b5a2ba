-- wrk script for the filters benchmark: every request is a POST with ?user=<distinct id> and a buyer token from
-- the file named by the TOKENS environment variable, each thread walking the file from its own offset. A sale
-- without filters uses ?user= and ignores the token; a token sale takes the user from the token and ignores ?user=.
-- With CYCLE_USERS=1 the ?user= is the token's own user (buyer-<line>), so both kinds of sale see the same buyers
-- again and again: after the first order each, every request passes every filter and is answered 409.
-- done() prints "HERD RPS= P50= P99= REQS= S201= S409= S410= S429= OTHER= ERR=".
local threads, nthreads = {}, 0

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
  table.insert(threads, thread)
end

function init(args)
  tokens = {}
  for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
  n, c201, c409, c410, c429, cother = 0, 0, 0, 0, 0, 0
  offset = tid * 7919
  cycle = os.getenv("CYCLE_USERS") == "1"
end

function request()
  n = n + 1
  local index = ((offset + n) % #tokens) + 1
  local user = cycle and ("buyer-" .. index) or string.format("%.0f", tid * 4294967296 + n)
  local token = tokens[index]
  return wrk.format("POST", wrk.path .. "?user=" .. user, { ["Authorization"] = "Bearer " .. token }, "")
end

function response(status, headers, body)
  if status == 201 then c201 = c201 + 1
  elseif status == 409 then c409 = c409 + 1
  elseif status == 410 then c410 = c410 + 1
  elseif status == 429 then c429 = c429 + 1
  else cother = cother + 1 end
end

function done(summary, latency, requests)
  local t = { 0, 0, 0, 0, 0 }
  for _, th in ipairs(threads) do
    t[1], t[2], t[3] = t[1] + th:get("c201"), t[2] + th:get("c409"), t[3] + th:get("c410")
    t[4], t[5] = t[4] + th:get("c429"), t[5] + th:get("cother")
  end
  local e = summary.errors
  io.write(string.format("HERD RPS=%.0f P50=%.3f P99=%.3f REQS=%d S201=%d S409=%d S410=%d S429=%d OTHER=%d ERR=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, t[1], t[2], t[3], t[4], t[5], e.connect + e.read + e.write + e.timeout))
end

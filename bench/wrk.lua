-- wrk script: POST the webhook fixtures, each request unique as hub judges it.
-- Args: <corpus.lua> <threads> <base>. The corpus (written by bench/wrkrun.py) holds templates
-- whose unique part is split around a mark, and names a file of requests signed ahead of the run
-- for the senders whose signature covers the body (wrk cannot sign, and hub refuses a signed
-- body it has seen); once a sender's are used up, its turns are skipped. Prints one JSON line.

local corpus, nthreads, base
local counter = 0
-- Globals, so that done() can read them from each thread.
statuses = {}
signed_skipped = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local signed = {}
local signed_next = {}

function init(args)
  corpus = dofile(args[1])
  nthreads = tonumber(args[2])
  base = tonumber(args[3])
  -- This thread's share of the pre-signed requests, by template: every nthreads-th line.
  local n = 0
  for line in io.lines(corpus.signed_file) do
    if n % nthreads == tid then
      local index, path, packed, body = line:match("^(%d+)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      for name, value in packed:gmatch("([^\31\30]*)\31([^\30]*)") do
        headers[name] = value
      end
      index = tonumber(index)
      signed[index] = signed[index] or {}
      signed_next[index] = 1
      table.insert(signed[index], {path = path, headers = headers, body = body})
    end
    n = n + 1
  end
end

local function fill(part, id)
  if part.post then
    return part.pre .. id .. part.post
  end
  return part.pre
end

function request()
  while true do
    counter = counter + 1
    local t = corpus.templates[(counter % #corpus.templates) + 1]
    if t.signed then
      local pool = signed[t.signed] or {}
      local next_one = signed_next[t.signed] or 1
      local v = pool[next_one]
      if v then
        signed_next[t.signed] = next_one + 1
        return wrk.format("POST", v.path, v.headers, v.body)
      end
      signed_skipped = signed_skipped + 1
    else
      local id = string.format("%012d", base + tid * 100000000 + counter)
      local headers = {}
      for name, part in pairs(t.headers) do
        headers[name] = fill(part, id)
      end
      return wrk.format("POST", t.path, headers, fill(t.body, id))
    end
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged, skipped = {}, 0
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      merged[status] = (merged[status] or 0) + n
    end
    skipped = skipped + thread:get("signed_skipped")
  end
  local parts = {}
  for status, n in pairs(merged) do
    table.insert(parts, string.format('"%d":%d', status, n))
  end
  io.write(string.format(
    '\nWRK-JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"mean_us":%.1f,"max_us":%d,"socket_errors":%d,"signed_skipped":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    skipped, table.concat(parts, ",")))
end

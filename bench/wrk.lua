-- wrk script: POST the shared fixtures, each request with a delivery id of its own.
-- Args: <corpus.lua> <threads> <base>. The corpus (written by bench/wrkrun.py) holds templates
-- whose unique part is split around a mark, and names a file of pre-signed Travis posts (their
-- signature covers the body, so each needs its own; once used up, Travis turns are skipped). Prints one JSON line when done.

local corpus, nthreads, base
local counter, travis_next = 0, 1
-- Globals, so that done() can read them from each thread.
statuses = {}
travis_skipped = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local travis = {}

function init(args)
  corpus = dofile(args[1])
  nthreads = tonumber(args[2])
  base = tonumber(args[3])
  -- This thread's share of the pre-signed Travis posts: every nthreads-th line.
  local n = 0
  for line in io.lines(corpus.travis_file) do
    if n % nthreads == tid then
      local slug, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      table.insert(travis, {slug = slug, signature = signature, body = body})
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
    if t.travis then
      local v = travis[travis_next]
      if v then
        travis_next = travis_next + 1
        return wrk.format("POST", "/hooks/travis", {
          ["Content-Type"] = "application/x-www-form-urlencoded",
          ["Travis-Repo-Slug"] = v.slug,
          ["Signature"] = v.signature,
          ["User-Agent"] = "Travis CI Notifications",
        }, v.body)
      end
      travis_skipped = travis_skipped + 1
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
    skipped = skipped + thread:get("travis_skipped")
  end
  local parts = {}
  for status, n in pairs(merged) do
    table.insert(parts, string.format('"%d":%d', status, n))
  end
  io.write(string.format(
    '\nWRK-JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"mean_us":%.1f,"max_us":%d,"socket_errors":%d,"travis_skipped":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    skipped, table.concat(parts, ",")))
end

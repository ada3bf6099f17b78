-- Replay pre-signed webhook requests (requests.tsv: path, signature, form), each exactly once
-- when the file is long enough. Threads take every n-th line, so no two send the same one.
-- Optional pacing: `-- <rate>` after the URL sends <rate> requests/s in total, on a schedule
-- (open loop, like wrk2's -R: a slow answer does not push the next send back).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } timeval;
  int gettimeofday(timeval *tv, void *tz);
]]
local tv = ffi.new("timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local requests = {}
local index = 0
local interval_ms = nil
local next_send = nil

function init(args)
  local file = os.getenv("BONELINE_REQUESTS") or "requests.tsv"
  local count = tonumber(os.getenv("BONELINE_THREADS") or "2")
  local line_number = 0
  for line in io.lines(file) do
    if line_number % count == id then
      local path, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      table.insert(requests, wrk.format("POST", path, {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
      }, body))
    end
    line_number = line_number + 1
  end
  local rate = tonumber(args[1] or "")
  if rate then
    interval_ms = 1000 * count / rate
  end
end

function delay()
  if not interval_ms then return 0 end
  local now = now_ms()
  if not next_send then next_send = now end
  next_send = next_send + interval_ms
  local wait = next_send - now
  if wait < 0 then return 0 end
  return wait
end

function request()
  index = index + 1
  if index > #requests then index = 1 end
  return requests[index]
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.1f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f " ..
    "p999_ms=%.2f max_ms=%.2f non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000,
    errors.status, errors.connect, errors.read, errors.write, errors.timeout))
end

-- Single events for wrk (bench/WrkLoad.cs): POST /v1/events, each with an id of its own, in the body
-- shape of EventRows.Json; counts the answers by status, since only a 201 is an event stored.
-- Arguments after `--`: the API key, the connections (the .NET generator makes one session id per
-- connection, and so does this), and a nonce that keeps ids unique from one wrk run to the next.

local threads = {}

-- Runs in wrk's main Lua state, once per thread before it starts: numbers the threads, keeps them for done().
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

-- The rest runs in each thread's own Lua state.
function init(args)
  key, connections, nonce = args[1], tonumber(args[2]), tonumber(args[3])
  n, created, other = 0, 0, 0
  wrk.method = "POST"
  wrk.path = "/v1/events"
  wrk.headers["Authorization"] = "Bearer " .. key
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local worker = (tid * 7919 + n) % connections
  -- nonce-thread-4000-8000-counter: a well-formed UUID that no other request of any run repeats.
  local body = string.format(
    '{"id":"%08x-%04x-4000-8000-%012x","type":"bench_%d","status":"%s","user_id":"user-%d","session_id":"s-%d","duration_ms":%d,"properties":{"worker":%d,"n":%d}}',
    nonce, tid, n, n % 10, n % 10 == 0 and "failure" or "success", (worker * 7919 + n * 31) % 5000, worker, n % 500, worker, n)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end

-- One line for WrkLoad to parse: exact counts, wrk's socket errors, the run's length and latency in µs.
function done(summary, latency, requests)
  local created_all, other_all = 0, 0
  for _, thread in ipairs(threads) do
    created_all = created_all + thread:get("created")
    other_all = other_all + thread:get("other")
  end
  local e = summary.errors
  io.write(string.format("wrk-result created=%.0f other=%.0f connect=%.0f read=%.0f write=%.0f timeout=%.0f duration_us=%.0f p50_us=%.0f p99_us=%.0f\n",
    created_all, other_all, e.connect, e.read, e.write, e.timeout, summary.duration, latency:percentile(50), latency:percentile(99)))
end

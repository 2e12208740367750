-- wrk script of bench/web_status.py: GET one path, each request with the next session cookie.
--
--   wrk -t1 -c16 -d10s -s bench/web_status.lua http://127.0.0.1:PORT -- PATH COOKIE_FILE
--
-- COOKIE_FILE holds one "Cookie:" header value per line (each from one real lookup, so each
-- request shows another case); empty for the baseline, which then sends no cookie. Responses
-- other than 200 are counted per thread; done() prints one line "WRK_JSON {...}" with the
-- counts and the latency percentiles in microseconds.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

function init(args)
  path = args[1] or "/"
  cookies = {}
  if args[2] then
    for line in io.lines(args[2]) do
      if #line > 0 then table.insert(cookies, line) end
    end
  end
  -- Threads start at different places in the list, so no two send the same cases in step.
  next_cookie = (index - 1) * 7919
  not_ok = 0
end

function request()
  if #cookies == 0 then
    return wrk.format("GET", path)
  end
  next_cookie = next_cookie + 1
  return wrk.format("GET", path, {["Cookie"] = cookies[(next_cookie % #cookies) + 1]})
end

function response(status, headers, body)
  if status ~= 200 then not_ok = not_ok + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("not_ok") end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "not_ok": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"p50": %d, "p90": %d, "p99": %d, "p999": %d, "mean": %.1f, "max": %d}\n',
    summary.requests, summary.duration, summary.bytes, bad,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.mean, latency.max))
end

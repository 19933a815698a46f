-- wrk script shared by every HTTP scenario; bench/run.py passes the request through the environment:
--   BENCH_METHOD   GET, POST, ...           (default GET)
--   BENCH_BODY     the request body bytes   (default: none)
--   BENCH_HEADERS  "name: value" lines, separated by newlines
-- Setting wrk.method/body/headers at load time (and defining no request() function) keeps wrk on its
-- fast path: it builds the request once and resends the same bytes.
-- done() prints one machine-readable line that bench/run.py parses instead of wrk's human output.

wrk.method = os.getenv("BENCH_METHOD") or "GET"

local body = os.getenv("BENCH_BODY")
if body ~= nil and body ~= "" then
  wrk.body = body
end

local headers = os.getenv("BENCH_HEADERS") or ""
for line in headers:gmatch("[^\n]+") do
  local name, value = line:match("^%s*([^:]+)%s*:%s*(.-)%s*$")
  if name ~= nil then
    wrk.headers[name] = value
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_SUMMARY {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(99), latency.max
  ))
end

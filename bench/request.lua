-- wrk script shared by every HTTP scenario; bench/run.py passes the request through the environment:
--   BENCH_METHOD   GET, POST, ...           (default GET)
--   BENCH_BODY     the request body bytes   (default: none)
--   BENCH_HEADERS  "name: value" lines, separated by newlines
--   BENCH_UPLOAD_BYTES, BENCH_BOUNDARY
--                  build a multipart/form-data body here instead: a "note" field and a "file" part of that
--                  many bytes (0..255 repeated). NOTE: a 1 MB body cannot travel in the environment (Linux
--                  caps one variable at 128 KiB); bench/scenarios.py builds the same bytes for its check.
-- Setting wrk.method/body/headers at load time (and defining no request() function) keeps wrk on its
-- fast path: it builds the request once and resends the same bytes.
-- done() prints one machine-readable line that bench/run.py parses instead of wrk's human output.

wrk.method = os.getenv("BENCH_METHOD") or "GET"

local function multipart(size, boundary)
  local block = {}
  for i = 0, 255 do
    block[#block + 1] = string.char(i)
  end
  local payload = string.rep(table.concat(block), math.floor(size / 256)) .. string.rep("x", size % 256)
  return table.concat({
    "--", boundary, "\r\n",
    'Content-Disposition: form-data; name="note"\r\n\r\n',
    "bench\r\n",
    "--", boundary, "\r\n",
    'Content-Disposition: form-data; name="file"; filename="blob.bin"\r\n',
    "Content-Type: application/octet-stream\r\n\r\n",
    payload, "\r\n",
    "--", boundary, "--\r\n",
  })
end

local upload = tonumber(os.getenv("BENCH_UPLOAD_BYTES") or "")
local body = os.getenv("BENCH_BODY")
if upload ~= nil then
  wrk.body = multipart(upload, os.getenv("BENCH_BOUNDARY"))
elseif body ~= nil and body ~= "" then
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

-- wrk script of `zhufang bench instructions --part load`: phones submitting to the instruction centre.
--
--   wrk -t2 -c16 -d20s -s instructions_wrk.lua http://127.0.0.1:PORT -- REQUESTS OUTDIR THREADS [JPEG]
--
-- REQUESTS has one request a line: path, session cookie, CSRF token, Idempotency-Key, JSON body
-- (tab-separated). Thread n (0-based) sends lines n, n+THREADS, … in order, each once; a retry is
-- simply a later line with the same key and body. With JPEG given, the body is a multipart form with
-- that file as `file` (photo uploads) instead of the line's JSON. Every response is written to
-- OUTDIR/responses-n.txt as "status<TAB>body" so the benchmark can check what was acknowledged.
-- When a thread has sent all its lines it stops (the run ends early rather than repeat requests).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local requests = {}
local sent = 0
local out = nil

local function multipart(jpeg, boundary)
  return "--" .. boundary .. "\r\n"
    .. "Content-Disposition: form-data; name=\"lon\"\r\n\r\n118.5\r\n"
    .. "--" .. boundary .. "\r\n"
    .. "Content-Disposition: form-data; name=\"lat\"\r\n\r\n36.5\r\n"
    .. "--" .. boundary .. "\r\n"
    .. "Content-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n"
    .. "Content-Type: image/jpeg\r\n\r\n" .. jpeg .. "\r\n"
    .. "--" .. boundary .. "--\r\n"
end

function init(args)
  local path, outdir, nthreads, jpeg_path = args[1], args[2], tonumber(args[3]), args[4]
  local jpeg_body = nil
  local boundary = "zhufangbench7f3a"
  if jpeg_path ~= nil and jpeg_path ~= "" then
    local fh = assert(io.open(jpeg_path, "rb"))
    jpeg_body = multipart(fh:read("*a"), boundary)
    fh:close()
  end
  local n = 0
  for line in io.lines(path) do
    if n % nthreads == tid then
      local p, cookie, csrf, key, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {
        ["Cookie"] = cookie,
        ["X-CSRFToken"] = csrf,
        ["Idempotency-Key"] = key,
      }
      if jpeg_body ~= nil then
        headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
        body = jpeg_body
      else
        headers["Content-Type"] = "application/json"
      end
      table.insert(requests, wrk.format("POST", p, headers, body))
    end
    n = n + 1
  end
  out = assert(io.open(outdir .. "/responses-" .. tid .. ".txt", "w"))
end

function request()
  sent = sent + 1
  if sent > #requests then
    wrk.thread:stop()
    return requests[#requests]  -- not sent: the thread stops before its next write
  end
  return requests[sent]
end

function response(status, headers, body)
  out:write(status, "\t", (body or ""):gsub("[\r\n\t]", " "), "\n")
  out:flush()
end

function done(summary, latency, requests_stats)
  local e = summary.errors
  io.write(string.format(
    "ZHUFANG_WRK {\"requests\": %d, \"duration_us\": %d, \"connect\": %d, \"read\": %d, \"write\": %d, "
      .. "\"status\": %d, \"timeout\": %d, \"p50_us\": %d, \"p95_us\": %d, \"p99_us\": %d, \"max_us\": %d, "
      .. "\"mean_us\": %.1f}\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean
  ))
end

-- wrk script of `jauap bench webform` (jauap/bench/webform.py): every request posts a new, valid
-- web-form question, distinct from every other one of the run; the id intake answers each accepted
-- (202) question with is written to a file per thread, so the benchmark can check that every
-- accepted question reached questions.received.v1 exactly once.
-- Arguments (after `--`): run id, directory for the accepted ids, file of JSON-escaped texts.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  run, sent = args[1], 0
  accepted = io.open(args[2] .. "/accepted-" .. thread_id .. ".txt", "w")
  texts = {}
  for line in io.lines(args[3]) do
    table.insert(texts, line)
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  sent = sent + 1
  local text = texts[(sent + thread_id * 7) % #texts + 1]
  local body = string.format('{"text":"%s (%s-%d-%d)","region":"KZ-75"}', text, run, thread_id, sent)
  return wrk.format(nil, "/api/questions", nil, body)
end

function response(status, headers, body)
  if status == 202 then
    accepted:write(body:match('"id":%s*"([^"]+)"') or "?", "\n")
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JAUAP-WRK {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"mean_us":%.1f,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,' ..
    '"errors_timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end

-- Load script for wrk (github.com/wg/wrk). The harness (wrk.go) puts two
-- definitions in front of this text:
--   requests     a list of {method=, path=, headers={}, body=}
--   count_status true to count non-2xx answers (wrk itself counts only
--                status > 399, and only as a total)
-- One request is sent as wrk's static request (the fastest path); several are
-- sent in turn. done() prints one line "WRK_JSON {...}" for the harness.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   if #requests == 1 then
      local r = requests[1]
      wrk.method = r.method
      wrk.path = r.path
      wrk.body = r.body
      for name, value in pairs(r.headers) do
         wrk.headers[name] = value
      end
   else
      local formatted = {}
      for i, r in ipairs(requests) do
         local headers = {}
         for name, value in pairs(wrk.headers) do
            headers[name] = value
         end
         for name, value in pairs(r.headers) do
            headers[name] = value
         end
         formatted[i] = wrk.format(r.method, r.path, headers, r.body)
      end
      local n, i = #formatted, 0
      request = function()
         i = i % n + 1
         return formatted[i]
      end
   end
   if count_status then
      non2xx = 0
      first_non2xx = 0
      response = function(status, headers, body)
         if status < 200 or status > 299 then
            non2xx = non2xx + 1
            if first_non2xx == 0 then
               first_non2xx = status
            end
         end
      end
   end
end

function done(summary, latency, _)
   local non2xx, first = -1, 0
   if count_status then
      non2xx = 0
      for _, t in ipairs(threads) do
         non2xx = non2xx + (t:get("non2xx") or 0)
         if first == 0 then
            first = t:get("first_non2xx") or 0
         end
      end
   end
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,' ..
      '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f},' ..
      '"non2xx":%.0f,"first_non2xx_status":%.0f,' ..
      '"latency_us":{"min":%.0f,"mean":%.1f,"stdev":%.1f,"max":%.0f,"p50":%.0f,"p90":%.0f,"p99":%.0f,"p999":%.0f}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      non2xx, first,
      latency.min, latency.mean, latency.stdev, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end

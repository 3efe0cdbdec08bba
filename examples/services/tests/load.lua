-- wrk script of the reliability suite's load figures (tests/reliability.py):
--
--   WRK_MODE=static    GET /healthz, which NGINX answers itself
--   WRK_MODE=validate  POST /api/coupons/validate as one customer with a cart
--                      (WRK_TOKEN, WRK_BODY)
--   WRK_MODE=checkout  POST /api/checkout, each request as another customer
--                      with a full cart (WRK_TOKENS: a file of tokens, one a
--                      line, shared out between the WRK_THREADS threads) and
--                      its own Idempotency-Key; a thread stops when its
--                      tokens are used up
--
-- done() prints one line "WRK {json}" with the figures.

local mode = os.getenv("WRK_MODE") or "static"
local body = os.getenv("WRK_BODY") or ""
local token = os.getenv("WRK_TOKEN") or ""
local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
local count = 0

function setup(thread)
    thread:set("id", count)
    count = count + 1
end

local tokens = {}
local sent, answered = 0, 0

function init(args)
    if mode == "checkout" then
        local f = assert(io.open(os.getenv("WRK_TOKENS"), "r"))
        local n = 0
        for line in f:lines() do
            if n % nthreads == id then
                tokens[#tokens + 1] = line
            end
            n = n + 1
        end
        f:close()
    end
end

function request()
    if mode == "static" then
        return wrk.format("GET", "/healthz")
    elseif mode == "validate" then
        return wrk.format("POST", "/api/coupons/validate",
                          {["Authorization"] = "Bearer " .. token,
                           ["Content-Type"] = "application/json"}, body)
    end
    sent = sent + 1
    local i = math.min(sent, #tokens)
    return wrk.format("POST", "/api/checkout",
                      {["Authorization"] = "Bearer " .. tokens[i],
                       ["Content-Type"] = "application/json",
                       ["Idempotency-Key"] = "load-" .. id .. "-" .. i}, body)
end

if mode == "checkout" then
    function response(status, headers, resp)
        answered = answered + 1
        if answered >= #tokens then
            wrk.thread:stop()
        end
    end
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'WRK {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,' ..
        '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,' ..
        '"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
        summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
        latency.max))
end

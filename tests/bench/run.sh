#!/usr/bin/env bash
# The performance benchmark (README, "Performance"). Builds the release binary, makes its inputs,
# starts its servers on loopback, and prints one table of figures measured side by side in this
# run. Everything runs on 127.0.0.1 and stops by itself.
#
#   tests/bench/run.sh            # all rows
#   QUICK=1 tests/bench/run.sh    # a tenth of the sizes, for a smoke run
#
# Every timed run is checked: a run that exits non-zero, or accepts fewer notices than it was
# given, stops the benchmark with a message instead of printing a rate for work not done.
set -euo pipefail
cd "$(dirname "$0")/../.."

die() { echo "benchmark stopped: $*" >&2; exit 1; }

scale() { if [ -n "${QUICK:-}" ]; then echo $(( $1 / 10 )); else echo "$1"; fi; }
N_OVERHEAD=$(scale 50000)
N_LATENCY=$(scale 10000)
N_TODAY=$(scale 1000)
N_MEMORY=$(scale 1000000)
N_MEMORY_SMALL=$(scale 100000)
LATENCY_MS=50
LATENCY_CONC=32

need() {
    local missing=()
    for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing: ${missing[*]}" >&2
        apt-get update -qq >/dev/null && apt-get install -y -qq wrk nginx-light time curl hyperfine uuid-runtime bc python3 >/dev/null
    else
        echo "missing: ${missing[*]} (Debian: apt-get install wrk nginx-light time curl hyperfine uuid-runtime bc python3)" >&2
        exit 1
    fi
}
need wrk nginx /usr/bin/time curl hyperfine bc python3

cargo build --release --quiet
BIN=$PWD/target/release/avatar-cli
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Inputs: policies without order numbers (generated, as a nightly export would need). Each file
# has a prefix of its own, so no run sends a policy an earlier run already notified to the same
# sandbox (the sandbox would answer that with a rejection, not an acceptance).
make_csv() { # rows file prefix
    awk -v n="$1" -v p="$3" 'BEGIN { print "policyNo,amount"; for (i = 1; i <= n; i++) printf "%s%09d,%d.%02d\n", p, i, i % 1000, i % 100 }' > "$2"
}
make_csv "$N_OVERHEAD" "$WORK/overhead-sandbox.csv" A
make_csv "$N_OVERHEAD" "$WORK/overhead-nginx.csv" B
make_csv "$N_LATENCY" "$WORK/latency.csv" C
make_csv "$N_TODAY" "$WORK/today.csv" D
make_csv "$N_MEMORY" "$WORK/million.csv" E
make_csv "$N_MEMORY_SMALL" "$WORK/hundredk.csv" F

# Sets SANDBOX to the URL of a new sandbox. Not a $(…) function: its PID must reach PIDS, and
# a server must not hold a command substitution's pipe open.
start_sandbox() { # latency_ms
    rm -f "$WORK/sandbox.url"
    "$BIN" sandbox -q --latency-ms "$1" > "$WORK/sandbox.url" 2>/dev/null &
    PIDS+=($!)
    for _ in $(seq 100); do [ -s "$WORK/sandbox.url" ] && break; sleep 0.05; done
    SANDBOX=$(cat "$WORK/sandbox.url")
    [ -n "$SANDBOX" ] || die "the sandbox did not start"
}

# A fixed-answer endpoint: nginx returning the sample's accepted answer.
NGINX_PORT=$(free_port)
ANSWER='{"head":{"policySource":"BENCH","respTime":1671435862121,"interfaceType":"recissionNotice","orderNo":"X","uuid":"X"},"secondRefundResp":{"dealCode":"1","dealDesc":"ok","policyNo":"X"}}'
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        keepalive_requests 1000000;
        location / { default_type application/json; return 200 '$ANSWER'; }
    }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -g 'daemon off;' 2>/dev/null &
PIDS+=($!)
NGINX_URL="http://127.0.0.1:$NGINX_PORT"
for _ in $(seq 100); do curl -s -o /dev/null "$NGINX_URL/" && break; sleep 0.05; done
curl -s -o /dev/null "$NGINX_URL/" || die "nginx did not start"

# wrk's requests are built like avatar-cli's: each has a fresh uuid, policyNo and orderNo (a
# random prefix per wrk thread) and a reqTime in China Standard Time, so against the sandbox
# every one is checked and accepted, never the early "uuid already used" rejection that one
# repeated body would get. Answers that are not acceptances are counted and stop the run.
cat > "$WORK/post.lua" <<'LUA'
local counter, prefix = 0, ""
bad = 0 -- a global, so that done() can read it from each thread
local threads = {}
function setup(thread)
    thread:set("seed", math.random(1, 2 ^ 30))
    table.insert(threads, thread)
end
function init(args)
    math.randomseed(seed)
    for _ = 1, 8 do prefix = prefix .. string.char(math.random(65, 90)) end
end
local function uuid()
    return (string.gsub("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", "[xy]", function(c)
        local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
        return string.format("%x", v)
    end))
end
function request()
    counter = counter + 1
    local now = os.date("!%Y-%m-%d %H:%M:%S", os.time() + 8 * 3600)
    local body = string.format(
        '{"head":{"policySource":"BENCH","reqTime":"%s","interfaceType":"recissionNotice","orderNo":"W%s%d","uuid":"%s"},"secondRefundReq":{"policyNo":"W%s%d","secondRefundAmount":1.5}}',
        now, prefix, counter, uuid(), prefix, counter)
    return wrk.format("POST", nil, { ["Content-Type"] = "application/json;charset=UTF-8" }, body)
end
function response(status, headers, body)
    if status ~= 200 or not string.find(body, '"dealCode":"1"', 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
    local total = 0
    for _, t in ipairs(threads) do total = total + t:get("bad") end
    io.write(string.format("not accepted: %d\n", total))
end
LUA

# Checks a finished batch: exit status 0 and every row accepted, from its summary line.
check_batch() { # status rows stderr-file what
    local status=$1 rows=$2 err=$3 what=$4 accepted
    [ "$status" = 0 ] || die "$what exited $status: $(tail -n 3 "$err")"
    accepted=$(sed -n 's/^[0-9]* notices: \([0-9]*\) accepted.*/\1/p' "$err" | tail -n 1)
    [ "${accepted:-0}" = "$rows" ] || die "$what accepted ${accepted:-0} of $rows notices: $(tail -n 3 "$err")"
}

# notices/s of one batch run, checked: rows file url concurrency [extra args]
batch_rate() {
    local file=$1 url=$2 conc=$3; shift 3
    local rows; rows=$(( $(wc -l < "$file") - 1 ))
    rm -f "$WORK/journal.sqlite3"*
    local start end status=0
    start=$(date +%s.%N)
    "$BIN" --base-url "$url" --policy-source BENCH --journal "$WORK/journal.sqlite3" \
        batch "$file" --generate-order-no --concurrency "$conc" "$@" > /dev/null 2> "$WORK/batch.err" || status=$?
    end=$(date +%s.%N)
    check_batch "$status" "$rows" "$WORK/batch.err" "batch of $(basename "$file") to $url"
    echo "$rows / ($end - $start)" | bc -l
}

wrk_rate() { # url path
    wrk -t 2 -c 16 -d 10s -s "$WORK/post.lua" "$1$2" > "$WORK/wrk.out" 2>&1 || die "wrk failed against $1"
    grep -q "^not accepted: 0$" "$WORK/wrk.out" || die "wrk got answers other than acceptances from $1: $(cat "$WORK/wrk.out")"
    awk '/Requests\/sec/ { print $2 }' "$WORK/wrk.out"
}

# Two decimals, rounded, not truncated.
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
fmt() { printf '%.0f' "$1"; }

PATH_5_30=/avatar/refund/second/refundNotice
echo "measuring… (this takes a few minutes)" >&2

# 1. Client overhead: fresh policies, every one accepted, on both sides.
start_sandbox 0
SANDBOX_URL=$SANDBOX
CLI_SANDBOX=$(batch_rate "$WORK/overhead-sandbox.csv" "$SANDBOX_URL" 16)
WRK_SANDBOX=$(wrk_rate "$SANDBOX_URL" "$PATH_5_30")
CLI_NGINX=$(batch_rate "$WORK/overhead-nginx.csv" "$NGINX_URL" 16)
CLI_NGINX_NOJ=$(batch_rate "$WORK/overhead-nginx.csv" "$NGINX_URL" 16 --no-journal)
WRK_NGINX=$(wrk_rate "$NGINX_URL" "$PATH_5_30")

# 3. What users do today, against the same sandbox: each side sends the same number of fresh
# policies (prefixes L, X and D), and each side's acceptances are counted.
curl_one() { # policy
    local uuid now
    uuid=$(cat /proc/sys/kernel/random/uuid)
    now=$(TZ=Asia/Shanghai date '+%Y-%m-%d %H:%M:%S')
    curl -s -X POST -H 'Content-Type: application/json' \
        --data "{\"head\":{\"policySource\":\"BENCH\",\"reqTime\":\"$now\",\"interfaceType\":\"recissionNotice\",\"orderNo\":\"QS$1\",\"uuid\":\"$uuid\"},\"secondRefundReq\":{\"policyNo\":\"$1\"}}" \
        "$SANDBOX_URL$PATH_5_30"
    echo
}
export -f curl_one
export SANDBOX_URL PATH_5_30
accepted_in() { grep -o '"dealCode":"1"' "$1" | wc -l | tr -d ' '; }  # occurrences: parallel curls may share a line
start=$(date +%s.%N)
tail -n +2 "$WORK/today.csv" | while IFS=, read -r policy _; do curl_one "L$policy"; done > "$WORK/loop.out"
LOOP_RATE=$(echo "$N_TODAY / ($(date +%s.%N) - $start)" | bc -l)
[ "$(accepted_in "$WORK/loop.out")" = "$N_TODAY" ] || die "the curl loop had $(accepted_in "$WORK/loop.out") of $N_TODAY accepted"
start=$(date +%s.%N)
tail -n +2 "$WORK/today.csv" | cut -d, -f1 | sed 's/^/X/' | xargs -P 16 -I{} bash -c 'curl_one {}' > "$WORK/xargs.out"
XARGS_RATE=$(echo "$N_TODAY / ($(date +%s.%N) - $start)" | bc -l)
[ "$(accepted_in "$WORK/xargs.out")" = "$N_TODAY" ] || die "xargs curl had $(accepted_in "$WORK/xargs.out") of $N_TODAY accepted"
CLI_TODAY=$(batch_rate "$WORK/today.csv" "$SANDBOX_URL" 16)

# 2. Latency-bound efficiency; the ideal is Little's law: concurrency / latency.
start_sandbox "$LATENCY_MS"
SLOW_URL=$SANDBOX
CLI_LATENCY=$(batch_rate "$WORK/latency.csv" "$SLOW_URL" "$LATENCY_CONC")
IDEAL=$(echo "$LATENCY_CONC * 1000 / $LATENCY_MS" | bc -l)
# What the same sandbox allows a client that records nothing, at the same concurrency: the
# server's own time per request is part of every round trip too.
wrk -t 2 -c "$LATENCY_CONC" -d 10s -s "$WORK/post.lua" "$SLOW_URL$PATH_5_30" > "$WORK/wrk.out" 2>&1 || die "wrk failed against the slow sandbox"
grep -q "^not accepted: 0$" "$WORK/wrk.out" || die "wrk got answers other than acceptances from the slow sandbox: $(cat "$WORK/wrk.out")"
WRK_LATENCY=$(awk '/Requests\/sec/ { print $2 }' "$WORK/wrk.out")

# 4. Memory at two sizes (it should stay flat), and 5. validate throughput.
batch_rss() { # file rows
    rm -f "$WORK/journal.sqlite3"*
    local status=0
    /usr/bin/time -v -o "$WORK/batch.time" "$BIN" --base-url "$NGINX_URL" --policy-source BENCH \
        --journal "$WORK/journal.sqlite3" batch "$1" --generate-order-no --concurrency 16 \
        > /dev/null 2> "$WORK/batch.err" || status=$?
    check_batch "$status" "$2" "$WORK/batch.err" "batch of $(basename "$1") for memory"
    awk '/Maximum resident/ { print $6 }' "$WORK/batch.time"
}
BATCH_RSS_SMALL=$(batch_rss "$WORK/hundredk.csv" "$N_MEMORY_SMALL")
BATCH_RSS=$(batch_rss "$WORK/million.csv" "$N_MEMORY")

# 8. A re-run where everything is already accepted: the same batch again over the journal the
# memory run left, end to end (both passes); every row must be skipped, none sent.
rerun_rate() { # file rows
    local status=0 start end skipped
    start=$(date +%s.%N)
    /usr/bin/time -v -o "$WORK/rerun.time" "$BIN" --base-url "$NGINX_URL" --policy-source BENCH \
        --journal "$WORK/journal.sqlite3" batch "$1" --generate-order-no --concurrency 16 \
        > /dev/null 2> "$WORK/rerun.err" || status=$?
    end=$(date +%s.%N)
    [ "$status" = 0 ] || die "the re-run exited $status: $(tail -n 3 "$WORK/rerun.err")"
    skipped=$(sed -n 's/^[0-9]* notices: \([0-9]*\) skipped in .*/\1/p' "$WORK/rerun.err" | tail -n 1)
    [ "${skipped:-0}" = "$2" ] || die "the re-run skipped ${skipped:-0} of $2 notices: $(tail -n 3 "$WORK/rerun.err")"
    echo "$2 / ($end - $start)" | bc -l
}
# The median of three: one run is one draw of the shared machine's speed.
RERUN_RATES=()
RERUN_RSS=0
for _ in 1 2 3; do
    RERUN_RATES+=("$(rerun_rate "$WORK/million.csv" "$N_MEMORY")")
    rss=$(awk '/Maximum resident/ { print $6 }' "$WORK/rerun.time")
    if [ "$rss" -gt "$RERUN_RSS" ]; then RERUN_RSS=$rss; fi
done
RERUN_RATE=$(printf '%s\n' "${RERUN_RATES[@]}" | sort -g | sed -n 2p)

# 7. The journal that batch left: N_MEMORY notices, one attempt each, bodies stored. Its size
# per notice (WAL folded in first), then history over it: the default-sized view, and every
# row as JSON Lines, which must stream rather than load.
JOURNAL=$WORK/journal.sqlite3
python3 -c "import sqlite3; sqlite3.connect('$JOURNAL').execute('PRAGMA wal_checkpoint(TRUNCATE)')"
NOTICES=$(python3 -c "import sqlite3; print(sqlite3.connect('$JOURNAL').execute('SELECT count(*) FROM notices').fetchone()[0])")
[ "$NOTICES" = "$N_MEMORY" ] || die "the journal holds $NOTICES notices, not $N_MEMORY"
JOURNAL_BYTES=$(( $(stat -c %s "$JOURNAL") + $(stat -c %s "$JOURNAL-wal" 2>/dev/null || echo 0) ))
BYTES_PER_NOTICE=$(( JOURNAL_BYTES / N_MEMORY ))
# Counts the lines rather than keep them: a million JSON lines would fill a small disk.
history_run() { # what, then history's arguments
    local what=$1 status=0; shift
    /usr/bin/time -v -o "$WORK/history.time" "$BIN" --journal "$JOURNAL" history "$@" \
        2> "$WORK/history.err" | wc -l > "$WORK/history.lines" || status=$?
    [ "$status" = 0 ] || die "history $what exited $status: $(tail -n 3 "$WORK/history.err")"
}
history_run "--limit 50" --limit 50
[ "$(cat "$WORK/history.lines")" = 51 ] || die "history --limit 50 printed $(cat "$WORK/history.lines") lines, not a header and 50 rows"
HISTORY_LIMIT_RSS=$(awk '/Maximum resident/ { print $6 }' "$WORK/history.time")
hyperfine -N --warmup 2 --runs 10 --export-json "$WORK/history.json" \
    "$BIN --journal $JOURNAL history --limit 50" > /dev/null 2>&1
HISTORY_LIMIT_MS=$(python3 -c "import json; print('%.0f' % (json.load(open('$WORK/history.json'))['results'][0]['mean'] * 1000))")
start=$(date +%s.%N)
history_run "--json" --json
HISTORY_JSON_SECS=$(echo "$(date +%s.%N) - $start" | bc -l)
[ "$(cat "$WORK/history.lines")" = "$N_MEMORY" ] || die "history --json printed $(cat "$WORK/history.lines") rows, not $N_MEMORY"
HISTORY_JSON_RSS=$(awk '/Maximum resident/ { print $6 }' "$WORK/history.time")
status=0
start=$(date +%s.%N)
/usr/bin/time -v -o "$WORK/validate.time" "$BIN" validate "$WORK/million.csv" --generate-order-no \
    > "$WORK/validate.out" 2>&1 || status=$?
VALIDATE_SECS=$(echo "$(date +%s.%N) - $start" | bc -l)
[ "$status" = 0 ] || die "validate exited $status: $(tail -n 3 "$WORK/validate.out")"
grep -q "$N_MEMORY valid notice" "$WORK/validate.out" \
    || die "validate did not count $N_MEMORY valid notices: $(tail -n 3 "$WORK/validate.out")"
VALIDATE_RSS=$(awk '/Maximum resident/ { print $6 }' "$WORK/validate.time")
start=$(date +%s.%N)
wc -l "$WORK/million.csv" > /dev/null
WC_SECS=$(echo "$(date +%s.%N) - $start" | bc -l)

# 6. Start-up.
DRY="$BIN --policy-source BENCH --base-url $NGINX_URL --no-journal send --dry-run --policy P1 --order-no QS1"
$DRY > /dev/null || die "send --dry-run failed"
hyperfine -N --warmup 5 --runs 50 --export-json "$WORK/startup.json" "true" "$BIN --version" "$DRY" > /dev/null 2>&1
read -r T_TRUE T_VERSION T_DRY < <(python3 -c "
import json; r = json.load(open('$WORK/startup.json'))['results']
print(*['%.1f' % (x['mean'] * 1000) for x in r])")

printf '\n%-58s %14s %14s %8s\n' "row" "avatar-cli" "reference" "ratio"
printf '%-58s %14s %14s %8s\n' "$(printf -- '-%.0s' {1..58})" "----------" "----------" "-----"
printf '%-58s %12s/s %12s/s %8s\n' "client overhead, sandbox, $N_OVERHEAD notices, c=16 (wrk c=16)" "$(fmt "$CLI_SANDBOX")" "$(fmt "$WRK_SANDBOX")" "$(ratio "$CLI_SANDBOX" "$WRK_SANDBOX")"
printf '%-58s %12s/s %12s/s %8s\n' "client overhead, nginx return 200, c=16 (wrk c=16)" "$(fmt "$CLI_NGINX")" "$(fmt "$WRK_NGINX")" "$(ratio "$CLI_NGINX" "$WRK_NGINX")"
printf '%-58s %12s/s %12s/s %8s\n' "  the same, --no-journal" "$(fmt "$CLI_NGINX_NOJ")" "$(fmt "$WRK_NGINX")" "$(ratio "$CLI_NGINX_NOJ" "$WRK_NGINX")"
printf '%-58s %12s/s %12s/s %8s\n' "latency-bound, sandbox $LATENCY_MS ms, $N_LATENCY notices, c=$LATENCY_CONC (ideal)" "$(fmt "$CLI_LATENCY")" "$(fmt "$IDEAL")" "$(ratio "$CLI_LATENCY" "$IDEAL")"
printf '%-58s %12s/s %12s/s %8s\n' "  the same, against wrk c=$LATENCY_CONC on that sandbox" "$(fmt "$CLI_LATENCY")" "$(fmt "$WRK_LATENCY")" "$(ratio "$CLI_LATENCY" "$WRK_LATENCY")"
printf '%-58s %12s/s %12s/s %8s\n' "today: $N_TODAY rows, bash while-read curl loop" "$(fmt "$CLI_TODAY")" "$(fmt "$LOOP_RATE")" "$(ratio "$CLI_TODAY" "$LOOP_RATE")"
printf '%-58s %12s/s %12s/s %8s\n' "today: $N_TODAY rows, xargs -P 16 curl" "$(fmt "$CLI_TODAY")" "$(fmt "$XARGS_RATE")" "$(ratio "$CLI_TODAY" "$XARGS_RATE")"
printf '%-58s %11s MB %14s %8s\n' "peak RSS, batch of $N_MEMORY_SMALL rows (nginx)" "$(( BATCH_RSS_SMALL / 1024 ))" "-" "-"
printf '%-58s %11s MB %14s %8s\n' "peak RSS, batch of $N_MEMORY rows (nginx)" "$(( BATCH_RSS / 1024 ))" "-" "-"
printf '%-58s %12s/s %14s %8s\n' "re-run, all $N_MEMORY already accepted, median of 3, rows" "$(fmt "$RERUN_RATE")" "-" "-"
printf '%-58s %11s MB %14s %8s\n' "peak RSS, that re-run" "$(( RERUN_RSS / 1024 ))" "-" "-"
printf '%-58s %11s MB %14s %8s\n' "peak RSS, validate of $N_MEMORY rows" "$(( VALIDATE_RSS / 1024 ))" "-" "-"
printf '%-58s %12s/s %12s/s %8s\n' "validate throughput, rows (wc -l on the same file)" "$(fmt "$(echo "$N_MEMORY / $VALIDATE_SECS" | bc -l)")" "$(fmt "$(echo "$N_MEMORY / $WC_SECS" | bc -l)")" "$(ratio "$WC_SECS" "$VALIDATE_SECS")"
printf '%-58s %11s ms %14s %8s\n' "history --limit 50, journal of $N_MEMORY notices" "$HISTORY_LIMIT_MS" "-" "-"
printf '%-58s %11s MB %14s %8s\n' "peak RSS, history --limit 50, $N_MEMORY notices" "$(( HISTORY_LIMIT_RSS / 1024 ))" "-" "-"
printf '%-58s %11s MB %14s %8s\n' "peak RSS, history --json, all $N_MEMORY rows" "$(( HISTORY_JSON_RSS / 1024 ))" "-" "-"
printf '%-58s %12s/s %14s %8s\n' "history --json throughput, rows" "$(fmt "$(echo "$N_MEMORY / $HISTORY_JSON_SECS" | bc -l)")" "-" "-"
printf '%-58s %11s B %14s %8s\n' "journal size per notice (one attempt, bodies kept)" "$BYTES_PER_NOTICE" "-" "-"
printf '%-58s %11s ms %11s ms %8s\n' "start-up: --version (true)" "$T_VERSION" "$T_TRUE" "-"
printf '%-58s %11s ms %11s ms %8s\n' "start-up: send --dry-run (true)" "$T_DRY" "$T_TRUE" "-"

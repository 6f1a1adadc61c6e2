#!/usr/bin/env bash
# The performance benchmark (README, "Performance"). Builds the release binary, makes its inputs,
# starts its servers on loopback, and prints one table of figures measured side by side in this
# run. Everything runs on 127.0.0.1 and stops by itself.
#
#   tests/bench/run.sh            # all rows
#   QUICK=1 tests/bench/run.sh    # a tenth of the sizes, for a smoke run
set -euo pipefail
cd "$(dirname "$0")/../.."

scale() { if [ -n "${QUICK:-}" ]; then echo $(( $1 / 10 )); else echo "$1"; fi; }
N_OVERHEAD=$(scale 50000)
N_LATENCY=$(scale 4000)
N_TODAY=$(scale 1000)
N_MEMORY=$(scale 1000000)

need() {
    local missing=()
    for tool in "$@"; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing: ${missing[*]}" >&2
        apt-get update -qq >/dev/null && apt-get install -y -qq wrk nginx-light time curl hyperfine uuid-runtime bc >/dev/null
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

# Inputs: policies without order numbers (generated, as a nightly export would need).
make_csv() { # rows file
    awk -v n="$1" 'BEGIN { print "policyNo,amount"; for (i = 1; i <= n; i++) printf "P%09d,%d.%02d\n", i, i % 1000, i % 100 }' > "$2"
}
make_csv "$N_OVERHEAD" "$WORK/overhead.csv"
make_csv "$N_LATENCY" "$WORK/latency.csv"
make_csv "$N_TODAY" "$WORK/today.csv"
make_csv "$N_MEMORY" "$WORK/million.csv"

# Sets SANDBOX to the URL of a new sandbox. Not a $(…) function: its PID must reach PIDS, and
# a server must not hold a command substitution's pipe open.
start_sandbox() { # latency_ms
    rm -f "$WORK/sandbox.url"
    "$BIN" sandbox -q --latency-ms "$1" > "$WORK/sandbox.url" 2>/dev/null &
    PIDS+=($!)
    for _ in $(seq 100); do [ -s "$WORK/sandbox.url" ] && break; sleep 0.05; done
    SANDBOX=$(cat "$WORK/sandbox.url")
}

# A fixed-answer endpoint: nginx returning the sample's accepted answer.
NGINX_PORT=$(free_port)
ANSWER='{"head":{"policySource":"BENCH","respTime":1671435862121,"interfaceType":"recissionNotice","orderNo":"X","uuid":"X"},"secondRefundResp":{"dealCode":"1","dealDesc":"ok","policyNo":"X"}}'
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx/nginx.conf" <<EOF
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
EOF
nginx -c "$WORK/nginx/nginx.conf" -g 'daemon off;' 2>/dev/null &
PIDS+=($!)
NGINX_URL="http://127.0.0.1:$NGINX_PORT"

# The request body a load generator repeats (the client sends a fresh uuid and reqTime each time).
BODY=$("$BIN" --policy-source BENCH --base-url "$NGINX_URL" send --dry-run --policy P1 --order-no QS1 --amount 1.5)
cat > "$WORK/post.lua" <<EOF
wrk.method = "POST"
wrk.body = [[$BODY]]
wrk.headers["Content-Type"] = "application/json;charset=UTF-8"
EOF

# notices/s of one batch run: rows file url concurrency [extra args]
batch_rate() {
    local file=$1 url=$2 conc=$3; shift 3
    local rows; rows=$(( $(wc -l < "$file") - 1 ))
    rm -f "$WORK/journal.sqlite3"*
    local start end
    start=$(date +%s.%N)
    "$BIN" -q --base-url "$url" --policy-source BENCH --journal "$WORK/journal.sqlite3" \
        batch "$file" --generate-order-no --concurrency "$conc" "$@" > /dev/null || true
    end=$(date +%s.%N)
    echo "$rows / ($end - $start)" | bc -l
}

wrk_rate() { # url path
    wrk -t 2 -c 16 -d 10s -s "$WORK/post.lua" "$1$2" | awk '/Requests\/sec/ { print $2 }'
}

ratio() { echo "scale=2; $1 / $2" | bc -l; }
fmt() { printf '%.0f' "$1"; }

PATH_5_30=/avatar/refund/second/refundNotice
echo "measuring… (this takes a few minutes)" >&2

# 1. Client overhead.
start_sandbox 0
SANDBOX_URL=$SANDBOX
CLI_SANDBOX=$(batch_rate "$WORK/overhead.csv" "$SANDBOX_URL" 16)
WRK_SANDBOX=$(wrk_rate "$SANDBOX_URL" "$PATH_5_30")
CLI_NGINX=$(batch_rate "$WORK/overhead.csv" "$NGINX_URL" 16)
WRK_NGINX=$(wrk_rate "$NGINX_URL" "$PATH_5_30")

# 3. What users do today, against the same sandbox.
curl_one() { # policy
    local uuid now
    uuid=$(cat /proc/sys/kernel/random/uuid)
    now=$(TZ=Asia/Shanghai date '+%Y-%m-%d %H:%M:%S')
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
        --data "{\"head\":{\"policySource\":\"BENCH\",\"reqTime\":\"$now\",\"interfaceType\":\"recissionNotice\",\"orderNo\":\"QS$1\",\"uuid\":\"$uuid\"},\"secondRefundReq\":{\"policyNo\":\"$1\"}}" \
        "$SANDBOX_URL$PATH_5_30"
}
export -f curl_one
export SANDBOX_URL PATH_5_30
start=$(date +%s.%N)
tail -n +2 "$WORK/today.csv" | while IFS=, read -r policy _; do curl_one "L$policy"; done
LOOP_RATE=$(echo "$N_TODAY / ($(date +%s.%N) - $start)" | bc -l)
start=$(date +%s.%N)
tail -n +2 "$WORK/today.csv" | cut -d, -f1 | sed 's/^/X/' | xargs -P 16 -I{} bash -c 'curl_one {}'
XARGS_RATE=$(echo "$N_TODAY / ($(date +%s.%N) - $start)" | bc -l)
CLI_TODAY=$(batch_rate "$WORK/today.csv" "$SANDBOX_URL" 16)

# 2. Latency-bound efficiency.
start_sandbox 50
SLOW_URL=$SANDBOX
CLI_LATENCY=$(batch_rate "$WORK/latency.csv" "$SLOW_URL" 32)
IDEAL=640

# 4. Memory, and 5. validate throughput, on a million rows.
rm -f "$WORK/journal.sqlite3"*
/usr/bin/time -v "$BIN" -q --base-url "$NGINX_URL" --policy-source BENCH --journal "$WORK/journal.sqlite3" \
    batch "$WORK/million.csv" --generate-order-no --concurrency 16 > /dev/null 2> "$WORK/batch.time" || true
BATCH_RSS=$(awk '/Maximum resident/ { print $6 }' "$WORK/batch.time")
start=$(date +%s.%N)
/usr/bin/time -v "$BIN" validate "$WORK/million.csv" --generate-order-no > /dev/null 2> "$WORK/validate.time"
VALIDATE_SECS=$(echo "$(date +%s.%N) - $start" | bc -l)
VALIDATE_RSS=$(awk '/Maximum resident/ { print $6 }' "$WORK/validate.time")
start=$(date +%s.%N)
wc -l "$WORK/million.csv" > /dev/null
WC_SECS=$(echo "$(date +%s.%N) - $start" | bc -l)

# 6. Start-up.
hyperfine -N --warmup 5 --runs 50 --export-json "$WORK/startup.json" \
    "true" "$BIN --version" \
    "$BIN --policy-source BENCH --base-url $NGINX_URL --no-journal send --dry-run --policy P1 --order-no QS1" \
    > /dev/null 2>&1
read -r T_TRUE T_VERSION T_DRY < <(python3 -c "
import json; r = json.load(open('$WORK/startup.json'))['results']
print(*['%.1f' % (x['mean'] * 1000) for x in r])")

printf '\n%-58s %14s %14s %8s\n' "row" "avatar-cli" "reference" "ratio"
printf '%-58s %14s %14s %8s\n' "$(printf -- '-%.0s' {1..58})" "----------" "----------" "-----"
printf '%-58s %12s/s %12s/s %8s\n' "client overhead, sandbox, $N_OVERHEAD notices, c=16 (wrk c=16)" "$(fmt "$CLI_SANDBOX")" "$(fmt "$WRK_SANDBOX")" "$(ratio "$CLI_SANDBOX" "$WRK_SANDBOX")"
printf '%-58s %12s/s %12s/s %8s\n' "client overhead, nginx return 200, c=16 (wrk c=16)" "$(fmt "$CLI_NGINX")" "$(fmt "$WRK_NGINX")" "$(ratio "$CLI_NGINX" "$WRK_NGINX")"
printf '%-58s %12s/s %12s/s %8s\n' "latency-bound, sandbox 50 ms, $N_LATENCY notices, c=32 (ideal)" "$(fmt "$CLI_LATENCY")" "$IDEAL" "$(ratio "$CLI_LATENCY" "$IDEAL")"
printf '%-58s %12s/s %12s/s %8s\n' "today: $N_TODAY rows, bash while-read curl loop" "$(fmt "$CLI_TODAY")" "$(fmt "$LOOP_RATE")" "$(ratio "$CLI_TODAY" "$LOOP_RATE")"
printf '%-58s %12s/s %12s/s %8s\n' "today: $N_TODAY rows, xargs -P 16 curl" "$(fmt "$CLI_TODAY")" "$(fmt "$XARGS_RATE")" "$(ratio "$CLI_TODAY" "$XARGS_RATE")"
printf '%-58s %11s MB %14s %8s\n' "peak RSS, batch of $N_MEMORY rows (nginx)" "$(( BATCH_RSS / 1024 ))" "-" "-"
printf '%-58s %11s MB %14s %8s\n' "peak RSS, validate of $N_MEMORY rows" "$(( VALIDATE_RSS / 1024 ))" "-" "-"
printf '%-58s %12s/s %12s/s %8s\n' "validate throughput, rows (wc -l on the same file)" "$(fmt "$(echo "$N_MEMORY / $VALIDATE_SECS" | bc -l)")" "$(fmt "$(echo "$N_MEMORY / $WC_SECS" | bc -l)")" "$(ratio "$WC_SECS" "$VALIDATE_SECS")"
printf '%-58s %11s ms %11s ms %8s\n' "start-up: --version (true)" "$T_VERSION" "$T_TRUE" "-"
printf '%-58s %11s ms %11s ms %8s\n' "start-up: send --dry-run (true)" "$T_DRY" "$T_TRUE" "-"

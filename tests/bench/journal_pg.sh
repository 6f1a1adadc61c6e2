#!/usr/bin/env bash
# The journal's cost by backend (README, "A journal shared in PostgreSQL"): 10,000 fresh notices
# to a fixed-answer nginx at --concurrency 16, with a SQLite journal and with a PostgreSQL one,
# alternated, three runs each. Needs nginx, psql, bc and a PostgreSQL server:
#     eval "$(tests/pg/start.sh)"; tests/bench/journal_pg.sh [BIN]
# BIN defaults to the release build (built when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${AVATAR_TEST_PG:?start a server first: eval \"\$(tests/pg/start.sh)\"}"
BIN=${1:-}
if [ -z "$BIN" ]; then cargo build --release --quiet; BIN=$PWD/target/release/avatar-cli; fi
W=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ANSWER='{"head":{"policySource":"BENCH","respTime":1671435862121,"interfaceType":"recissionNotice","orderNo":"X","uuid":"X"},"secondRefundResp":{"dealCode":"1","dealDesc":"ok","policyNo":"X"}}'
cat > $W/nginx.conf <<CONF
worker_processes 1;
pid $W/nginx.pid;
error_log $W/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $W;
  server { listen 127.0.0.1:$PORT; keepalive_requests 1000000;
    location / { default_type application/json; return 200 '$ANSWER'; } } }
CONF
nginx -c $W/nginx.conf -g 'daemon off;' 2>/dev/null & NG=$!
trap 'kill $NG; rm -rf $W' EXIT
sleep 0.5
for i in 1 2 3; do
  for kind in sqlite pg; do
    awk -v p="R$kind$i$RANDOM" 'BEGIN{print "policyNo,amount"; for(i=1;i<=10000;i++) printf "%s%07d,1.00\n", p, i}' > $W/in.csv
    if [ $kind = pg ]; then
      db=rate_${i}_$RANDOM; psql -q "${AVATAR_TEST_PG}postgres" -c "create database $db" >/dev/null
      J=$AVATAR_TEST_PG$db
    else J=$W/j$i.sqlite3; fi
    s=$(date +%s.%N)
    "$BIN" --base-url http://127.0.0.1:$PORT --policy-source BENCH --journal "$J" batch $W/in.csv --generate-order-no --concurrency 16 >/dev/null 2>$W/err || { echo "failed: $(tail -2 $W/err)"; exit 1; }
    e=$(date +%s.%N)
    grep -q '^10000 notices: 10000 accepted' $W/err || { echo "not every notice accepted: $(tail -2 $W/err)"; exit 1; }
    echo "$kind run $i: $(echo "10000 / ($e - $s)" | bc) notices/s; $(grep -o '^10000 notices: [0-9]* accepted' $W/err)"
    [ $kind = pg ] && psql -q "${AVATAR_TEST_PG}postgres" -c "drop database $db" >/dev/null
  done
done

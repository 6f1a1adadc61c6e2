#!/bin/sh
# Rebuilds journal-v1.sqlite3: a schema-version-1 journal, written by an avatar-cli from before
# schema version 2 (pass its path as $1), against sandboxes on loopback ports 18740 and 18741.
# It holds ACC1 accepted, REJ1 rejected, FAIL1 failed, DOUBT1 in doubt (killed mid-request),
# and DUP1 accepted twice. Endpoints are then respelled as older versions stored them: REJ1
# under 'http://127.0.0.1:18740/', and DUP1's first acceptance (made on 18741) under
# 'HTTP://127.0.0.1:18740/', so the same notice sits under two spellings of one endpoint.
set -eu
B=${1:?usage: make-journal-v1.sh PATH-TO-OLD-avatar-cli}
OUT=$(cd "$(dirname "$0")" && pwd)/journal-v1.sqlite3
J=$(mktemp -d)/journal.sqlite3
run() { "$B" --journal "$J" --policy-source DEMO --retries 0 "$@" || true; }
sandbox() { "$B" sandbox "$@" >/dev/null 2>&1 & echo $!; }

s=$(sandbox --port 18741); sleep 1
run --base-url http://127.0.0.1:18741 send --policy DUP1 --generate-order-no
kill "$s"
s=$(sandbox --port 18740 --reject 'REJ*'); sleep 1
run --base-url http://127.0.0.1:18740 send --policy DUP1 --generate-order-no
run --base-url http://127.0.0.1:18740 send --policy ACC1 --generate-order-no
run --base-url http://127.0.0.1:18740 send --policy REJ1 --generate-order-no
kill "$s"
s=$(sandbox --port 18740 --fail-rate 1); sleep 1
run --base-url http://127.0.0.1:18740 send --policy FAIL1 --generate-order-no
kill "$s"
s=$(sandbox --port 18740 --latency-ms 20000); sleep 1
"$B" --journal "$J" --policy-source DEMO --base-url http://127.0.0.1:18740 send --policy DOUBT1 --generate-order-no &
c=$!; sleep 2; kill -9 "$c"; wait "$c" || true
kill "$s"

sqlite3 "$J" "UPDATE notices SET endpoint = 'HTTP://127.0.0.1:18740/' WHERE endpoint = 'http://127.0.0.1:18741';
              UPDATE notices SET endpoint = 'http://127.0.0.1:18740/' WHERE policy_no = 'REJ1';
              PRAGMA wal_checkpoint(TRUNCATE);"
cp "$J" "$OUT"
sqlite3 "$OUT" "SELECT endpoint, policy_no, state, attempts, accepted_at IS NOT NULL FROM notices"

#!/bin/sh
# Rebuilds journal-v2.sqlite3: a schema-version-2 journal, written by an avatar-cli from before
# schema version 3 (pass its path as $1), against a sandbox on loopback port 18752. It holds
# ACC1 accepted (amount 10.00), REJ1 rejected, FAIL1 failed (HTTP 503) and DOUBT1 in doubt
# (killed mid-request), none with a content fingerprint.
set -eu
B=${1:?usage: make-journal-v2.sh PATH-TO-OLD-avatar-cli}
OUT=$(cd "$(dirname "$0")" && pwd)/journal-v2.sqlite3
J=$(mktemp -d)/journal.sqlite3
U=http://127.0.0.1:18752
run() { "$B" --journal "$J" --policy-source DEMO --base-url "$U" --retries 0 "$@" || true; }
sandbox() { "$B" sandbox --port 18752 "$@" >/dev/null 2>&1 & echo $!; }

s=$(sandbox --reject 'REJ*'); sleep 1
run send --policy ACC1 --order-no ORDACC1 --amount 10.00
run send --policy REJ1 --order-no ORDREJ1 --amount 5
kill "$s"
s=$(sandbox --fail-rate 1); sleep 1
run send --policy FAIL1 --order-no ORDFAIL1 --amount 7
kill "$s"
s=$(sandbox --latency-ms 20000); sleep 1
"$B" --journal "$J" --policy-source DEMO --base-url "$U" send --policy DOUBT1 --order-no ORDDOUBT1 &
c=$!; sleep 2; kill -9 "$c"; wait "$c" || true
kill "$s"

sqlite3 "$J" "PRAGMA wal_checkpoint(TRUNCATE);"
cp "$J" "$OUT"
sqlite3 "$OUT" "PRAGMA user_version; SELECT endpoint, policy_no, order_no, state, attempts, accepted_at IS NOT NULL FROM notices"

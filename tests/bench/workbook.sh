#!/usr/bin/env bash
# Peak memory of `validate` on a 100,000-row workbook (README, "Performance"; the target is at
# most 150 MB). Writes the workbook with tests/bench/make_workbook.rs, then prints the maximum
# resident set size that /usr/bin/time -v reports. Not a timed test: the figure is memory.
#
#   tests/bench/workbook.sh          # 100,000 rows
#   ROWS=1000000 tests/bench/workbook.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

ROWS=${ROWS:-100000}
if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq >/dev/null && apt-get install -y -qq time >/dev/null
    else
        echo "missing /usr/bin/time (Debian: apt-get install time)" >&2
        exit 1
    fi
fi

cargo build --quiet --example make-workbook --bin avatar-cli
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
BOOK=$WORK/cancellations.xlsx
target/debug/examples/make-workbook "$ROWS" "$BOOK"

/usr/bin/time -v target/debug/avatar-cli validate "$BOOK" >"$WORK/out" 2>"$WORK/err" || {
    echo "validate failed:" >&2
    cat "$WORK/out" "$WORK/err" >&2
    exit 1
}
grep -q "$ROWS valid notice(s), 0 error(s)" "$WORK/err" || {
    echo "validate did not find $ROWS valid rows:" >&2
    cat "$WORK/err" >&2
    exit 1
}
kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/err")
secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$WORK/err")
printf '%s rows, %s bytes of .xlsx: validate peak RSS %d MB (%s wall clock, debug build)\n' \
    "$ROWS" "$(stat -c %s "$BOOK")" $(( kb / 1024 )) "$secs"

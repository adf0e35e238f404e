#!/usr/bin/env bash
# The whole test command on several frozen dates (UTC, clock ticking from there), each on a fresh
# database: proof that the suite passes on any day. Default dates: a 1st of January, a 31st that is
# already the 1st in Paris, a 29 February, and a Sunday at 03:30 Paris on the night summer time starts.
#
#   setup/test_dates.sh                         the four default dates
#   setup/test_dates.sh 2027-06-30T23:59 ...    these dates
set -uo pipefail
cd "$(dirname "$0")/.."
dates=("$@")
[ ${#dates[@]} -eq 0 ] && dates=(2027-01-01T09:00 2026-08-31T22:30 2028-02-29T09:00 2027-03-28T01:30)
status=0
summary=()
for when in "${dates[@]}"; do
    printf '[setup] === whole suite on %s UTC ===\n' "$when"
    output=$(TEST_FROZEN_NOW="$when" setup/test.sh 2>&1)
    code=$?
    printf '%s\n' "$output" | tail -n 40
    summary+=("$when UTC: $(printf '%s\n' "$output" | grep -E '^=+ .* in [0-9.]+s' | tail -n 1 | tr -d '=' | xargs) (exit $code)")
    [ $code -eq 0 ] || status=1
done
printf '[setup] %s\n' "${summary[@]}"
exit $status

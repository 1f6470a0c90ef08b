#!/usr/bin/env bash
# The suite on awkward days: runs the SQLite suite (without browser tests) with the clock moved
# by libfaketime to each moment below, and prints one line per moment with pytest's counts.
#
#   bench/any_day.sh [pytest args]          e.g. bench/any_day.sh tests/test_todo.py
#   ANY_DAY_MOMENTS="2027-01-01 10:00:00" bench/any_day.sh    one moment only
#
# Moments are UTC; the local zone is Asia/Shanghai (UTC+8), so 2026-12-31 23:30 UTC is already
# 1 January locally and 2027-04-30 20:00 UTC is 1 May: a UTC date used where the local date is
# meant shows up there. PostgreSQL is left out on purpose: its server clock cannot be faked, so
# the database's now() and Python's would disagree. Needs `apt-get install faketime`.
# Logs: $ANY_DAY_LOGS (default /tmp/any_day), one file per moment. Exit 1 if any moment failed.
set -uo pipefail
cd "$(dirname "$0")/.."

LIB=$(dpkg -L libfaketime 2>/dev/null | grep -m1 '/libfaketime\.so\.1$')
if [ -z "$LIB" ] || [ ! -f "$LIB" ]; then
  echo "libfaketime is not installed: apt-get install -y faketime" >&2
  exit 2
fi

if [ -n "${ANY_DAY_MOMENTS:-}" ]; then
  mapfile -t MOMENTS <<<"$ANY_DAY_MOMENTS"
else
  MOMENTS=(
    "2026-12-31 23:30:00" # local: 1 January 07:30, a new year in Shanghai but not in UTC
    "2027-01-01 10:00:00" # the first day of a year
    "2028-02-29 12:00:00" # a leap day
    "2027-04-30 20:00:00" # local: 1 May 04:00, a new month in Shanghai but not in UTC
    "2027-03-31 12:00:00" # the last day of a 31-day month (a month later has no 31st)
  )
fi

export GONGZHI_DEBUG=false GONGZHI_SECURE_COOKIES=false SECRET_KEY=test-only-secret-key
export GONGZHI_FIELD_KEY=${GONGZHI_FIELD_KEY:-tFq3WlCw7rM1n4lE0oM2Qm8yJp7pN8Yq2v2w1Xn0b3c=}
export DATABASE_URL=
LOGS=${ANY_DAY_LOGS:-/tmp/any_day}
mkdir -p "$LOGS"

# Refuse to report green if faketime does not reach Python (e.g. a statically linked build).
probe=$(FAKETIME="$(printf '%+d' $(($(date -u -d "${MOMENTS[0]}" +%s) - $(date +%s))))" \
  LD_PRELOAD="$LIB" TZ=UTC .venv/bin/python -c \
  'import datetime; print(datetime.datetime.now().strftime("%Y-%m-%d %H:%M"))')
if [ "$probe" != "${MOMENTS[0]:0:16}" ]; then
  echo "faketime does not move Python's clock (got $probe)" >&2
  exit 2
fi

status=0
for moment in "${MOMENTS[@]}"; do
  log="$LOGS/$(echo "$moment" | tr ' :' '_-').log"
  # An offset from the real clock ("+N" seconds), not "@moment": libfaketime reads "@moment" in
  # the process's local zone, and Django sets TZ=Asia/Shanghai in pytest before starting the
  # xdist workers, so the workers would run eight hours earlier than the controller. The
  # clock runs on from the moment; -p no:cacheprovider keeps the fake date out of .pytest_cache.
  offset=$(printf '%+d' $(($(date -u -d "$moment" +%s) - $(date +%s))))
  FAKETIME="$offset" LD_PRELOAD="$LIB" .venv/bin/pytest -p no:warnings -p no:cacheprovider \
    -n "${GONGZHI_TEST_WORKERS:-2}" -m "not browser" -rf "$@" >"$log" 2>&1
  rc=$?
  summary=$(grep -E '^=*.*(passed|failed|error).* in [0-9.]+s' "$log" | tail -1 | tr -d '=' | xargs)
  [ "$rc" -eq 0 ] || status=1
  printf '%s UTC  %s  %s\n' "$moment" "$([ "$rc" -eq 0 ] && echo passed || echo FAILED)" \
    "${summary:-no summary, see $log}"
done
exit "$status"

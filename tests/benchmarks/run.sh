#!/usr/bin/env bash
# The speed bars of QUALITY.md, measured against Odoo's own floor in the same run. Not part of the
# test command. Creates a fresh database (bank_collect_bench), then runs every bench_*.py here and
# prints each figure with its ratio. Any pytest argument narrows it (e.g. -k kiosk).
set -euo pipefail
cd "$(dirname "$0")/../.."
TEST_DB="${TEST_DB:-bank_collect_bench}" exec setup/test.sh tests/benchmarks -o python_files='bench_*.py' -s "$@"

#!/usr/bin/env bash
# Install what is missing, lint (setup/lint.sh), create a fresh test database with the three addons
# (French company), then run every test of the addons with pytest-odoo (tours in headless Chromium).
#
#   setup/test.sh                      everything, as CI does
#   setup/test.sh sepa_oneoff_portal   one addon (any pytest argument: a file, -k EXPR, ...)
#   KEEP_DB=1 setup/test.sh ...        reuse the test database (modules updated, not recreated)
#   TEST_DB=name setup/test.sh ...     another database name (default bank_collect_test)
#   TEST_PORT=8089 setup/test.sh ...   HTTP port of the test server (default 8079)
#   TEST_ADDONS=a,b setup/test.sh a    install only these addons in the test database
#   TEST_FROZEN_NOW=2028-02-29T09:00 setup/test.sh   the whole suite on that date (UTC, clock ticking)
#   SKIP_LINT=1 setup/test.sh ...     skip the lint step (CI never does)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
started=$(date +%s)
install_all
[ "${SKIP_LINT:-0}" = "1" ] || run_lint || die "lint failed (setup/lint.sh shows the same findings alone)"

TEST_DB="${TEST_DB:-bank_collect_test}"
TEST_CONF="$LOCAL_DIR/odoo-test-$TEST_DB.conf"
write_odoo_config "$TEST_CONF" "${TEST_PORT:-8079}"
fresh=--fresh
[ "${KEEP_DB:-0}" = "1" ] && fresh=
"$PYTHON" "$REPO_ROOT/setup/odoo_db.py" "$TEST_CONF" "$TEST_DB" $fresh \
    --modules "l10n_fr_account,${TEST_ADDONS:-$PROJECT_ADDONS}"

cd "$REPO_ROOT"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(bank_collect_bridge sepa_oneoff_portal pos_kiosk_connectic tests)
log "running pytest on ${targets[*]}"
set +e
PYTHONPATH="$ODOO_SRC:$REPO_ROOT/setup${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -m pytest \
    -p pytest_project -c "$REPO_ROOT/setup/pytest.ini" --rootdir "$REPO_ROOT" \
    --odoo-config "$TEST_CONF" --odoo-database "$TEST_DB" --odoo-http --odoo-log-level warn \
    "${targets[@]}"
status=$?
set -e
log "tests finished in $(( $(date +%s) - started )) s (exit status $status)"
exit $status

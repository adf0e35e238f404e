#!/usr/bin/env bash
# Refresh i18n/<addon>.pot and i18n/fr.po of the given addons (all three by default) from the code,
# using the test database (created by setup/test.sh; its modules are updated first).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_all
TEST_DB="${TEST_DB:-bank_collect_test}"
TEST_CONF="$LOCAL_DIR/odoo-test-$TEST_DB.conf"
write_odoo_config "$TEST_CONF" 8079
addons=("$@")
[ ${#addons[@]} -eq 0 ] && IFS=, read -ra addons <<< "$PROJECT_ADDONS"
"$PYTHON" "$REPO_ROOT/setup/odoo_db.py" "$TEST_CONF" "$TEST_DB" --modules "l10n_fr_account,${TEST_ADDONS:-$PROJECT_ADDONS}"
"$PYTHON" "$REPO_ROOT/setup/i18n.py" "$TEST_CONF" "$TEST_DB" "${addons[@]}"

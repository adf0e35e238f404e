#!/usr/bin/env bash
# Install what is missing, create or update the demo database (French company, the three addons,
# demo users), start the embedded services (Bridge emulator, local SFTP kiosk) and serve Odoo on
# http://localhost:8069. Ctrl-C stops Odoo and the services.
#
#   DEMO_DB=name setup/run.sh     another database name (default bank_collect_demo)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_all

DEMO_DB="${DEMO_DB:-bank_collect_demo}"
DEMO_PORT="${DEMO_PORT:-8069}"
DEMO_CONF="$LOCAL_DIR/odoo-demo.conf"
write_odoo_config "$DEMO_CONF" "$DEMO_PORT"
export DEMO_DB DEMO_PORT DEMO_URL="http://localhost:$DEMO_PORT"

# Each setup/demo/<addon>.sh may start a service in the background (recording its pid in
# DEMO_PIDS) and export the variables its setup/demo/<addon>.py reads.
DEMO_PIDS=()
stop_services() { [ ${#DEMO_PIDS[@]} -eq 0 ] || kill "${DEMO_PIDS[@]}" 2>/dev/null || true; }
trap stop_services EXIT
for service in "$REPO_ROOT"/setup/demo/*.sh; do
    [ -e "$service" ] || continue
    # shellcheck disable=SC1090
    source "$service"
done

# A demo step that fails is reported (setup/demo/demo.py) and the server starts all the same; only a
# database that cannot be created or updated stops here.
"$PYTHON" "$REPO_ROOT/setup/odoo_db.py" "$DEMO_CONF" "$DEMO_DB" --lang fr_FR \
    --modules "l10n_fr_account,$PROJECT_ADDONS" --demo-script "$REPO_ROOT/setup/demo/demo.py" \
    || die "the demo database $DEMO_DB could not be created or updated (see above)"

cat <<INFO

  Odoo 18 demo: $DEMO_URL   (database $DEMO_DB)
    administrator     admin / admin
    accountant        comptable / comptable
    portal customer   client / client

INFO
"$REPO_ROOT/setup/serve.sh" -c "$DEMO_CONF" -d "$DEMO_DB" --db-filter "^$DEMO_DB\$" --log-level info

#!/usr/bin/env bash
# Run Odoo from this checkout's virtualenv: setup/serve.sh [odoo-bin options...]
# (setup/run.sh serves the demo with it; a service file can call it the same way).
#
# Odoo re-executes itself on a reload (SIGHUP, a worker's time limit, some module installs) by
# starting the interpreter named "python" again, which the new process finds on PATH: with the
# virtualenv first on PATH the restarted server keeps the same interpreter and packages.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_odoo >&2
[ -x "$PYTHON" ] || die "no virtualenv in $VENV_DIR: run setup/install.sh first"
export VIRTUAL_ENV="$VENV_DIR" PATH="$VENV_DIR/bin:$PATH"
exec "$PYTHON" "$ODOO_SRC/odoo-bin" "$@"

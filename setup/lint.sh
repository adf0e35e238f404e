#!/usr/bin/env bash
# Lint the addons as the OCA does for 18.0 (ruff with .ruff.toml, pylint-odoo with .pylintrc) and run
# the project's own addon checks (setup/check_addons.py). setup/test.sh runs the same first.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mkdir -p "$LOCAL_DIR"
ensure_venv
run_lint

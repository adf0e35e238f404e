#!/usr/bin/env bash
# Install what is missing to run and test the addons: system packages, Odoo 18.0, the virtualenv,
# a PostgreSQL server and its role. Safe to run again: it only does what is not done yet.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
install_all
log "install complete"

"""Create or update an Odoo database for this project (used by run.sh and test.sh).

    python setup/odoo_db.py CONFIG DATABASE [--fresh] [--lang fr_FR] [--modules a,b] [--demo-script FILE]

A new database gets a French main company (country set before `account` is installed, so that the
French chart of accounts `l10n_fr_account` is the one loaded). An existing one has the modules
updated. --demo-script runs a Python file with `env` (superuser) once the modules are installed.
"""
import argparse
import logging
import os
import sys
import time

ODOO_SRC = os.environ["ODOO_SRC"]
sys.path.insert(0, ODOO_SRC)

import odoo  # noqa: E402
from odoo.service import db as db_service  # noqa: E402

_logger = logging.getLogger("setup")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("database")
    parser.add_argument("--fresh", action="store_true", help="drop the database first")
    parser.add_argument("--lang", default="en_US")
    parser.add_argument("--modules", required=True)
    parser.add_argument("--demo-script")
    args = parser.parse_args()

    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"])
    odoo.tools.config["list_db"] = True  # db management functions refuse to run without it
    started = time.monotonic()
    exists = args.database in db_service.list_dbs(force=True)
    if exists and args.fresh:
        print(f"[setup] dropping database {args.database}", flush=True)
        db_service.exp_drop(args.database)
        exists = False
    if not exists:
        print(f"[setup] creating database {args.database} (French company, language {args.lang})", flush=True)
        db_service._create_empty_database(args.database)
        # Raises on failure, unlike exp_create_database which only logs.
        db = odoo.sql_db.db_connect(args.database)
        with db.cursor() as cr:
            odoo.modules.db.initialize(cr)
        odoo.tools.config["load_language"] = args.lang if args.lang != "en_US" else None
        registry = odoo.modules.registry.Registry.new(args.database, update_module=True)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            france = env.ref("base.fr")
            env.ref("base.main_company").write({
                "name": "Cabinet Demo",
                "country_id": france.id,
                "currency_id": env.ref("base.EUR").id,
            })
            env["res.users"].search([]).write({"tz": "Europe/Paris", "lang": args.lang})
            env.ref("base.user_admin").write({"password": "admin"})

    modules = [m for m in args.modules.split(",") if m]
    with odoo.sql_db.db_connect(args.database).cursor() as cr:
        cr.execute("SELECT name FROM ir_module_module WHERE state = 'installed' AND name IN %s", [tuple(modules)])
        installed = {name for name, in cr.fetchall()}
    to_install = [m for m in modules if m not in installed]
    to_update = [m for m in modules if m in installed]
    print(f"[setup] installing {', '.join(to_install) or 'nothing new'}; "
          f"updating {', '.join(to_update) or 'nothing'}", flush=True)
    # As `odoo-bin -i/-u`: the registry is rebuilt from base up, so that new columns exist before
    # any module's code reads them.
    odoo.tools.config["init"] = dict.fromkeys(to_install, 1)
    odoo.tools.config["update"] = dict.fromkeys(to_update, 1)
    registry = odoo.modules.registry.Registry.new(args.database, update_module=True)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        installed = set(env["ir.module.module"].search(
            [("name", "in", modules), ("state", "=", "installed")]).mapped("name"))
        if installed != set(modules):
            sys.exit(f"[setup] ERROR: not installed (see the log above): {', '.join(sorted(set(modules) - installed))}")
        chart = env.company.chart_template
        if "l10n_fr_account" in modules and chart != "fr":
            sys.exit(f"[setup] ERROR: the company has chart of accounts {chart!r}, expected 'fr'")
        if args.demo_script:
            with open(args.demo_script, encoding="utf-8") as script:
                code = compile(script.read(), args.demo_script, "exec")
            exec(code, {"env": env, "__name__": "__demo__", "__file__": args.demo_script})  # noqa: S102 - our own setup script
        cr.commit()
    print(f"[setup] database {args.database} ready in {time.monotonic() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()

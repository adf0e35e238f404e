"""Demo of pos_kiosk_connectic, run by setup/demo/demo.py with `env` (idempotent).

Creates the demo company's kiosk on the local SFTP server started by setup/demo/pos_kiosk_connectic.sh
(host key pinned), gives the accountant the kiosk groups, posts a rent invoice for the second tenant, exports
the customers file and, on the first run, lets the kiosk simulator pay and imports its payments file.
On later runs the kiosk is pointed at the local server again (its port changes) only while it is still the
demo's own (local host, demo user and folders): a kiosk an integrator has changed is left as it is.
"""
import os

from odoo.addons.pos_kiosk_connectic.kiosk import simulator

port = os.environ.get("KIOSK_SFTP_PORT")
if not port:
    print("[setup] kiosk SFTP server not started: kiosk demo skipped")
else:
    company = env.company
    with open(os.environ["KIOSK_SFTP_HOST_KEY_FILE"], encoding="ascii") as handle:
        host_key = " ".join(handle.read().split()[:2])
    with open(os.environ["KIOSK_SFTP_CLIENT_KEY_FILE"], encoding="ascii") as handle:
        client_key = handle.read()
    Journal = env["account.journal"]
    cash = Journal.search([("company_id", "=", company.id), ("type", "=", "cash")], limit=1)
    bank = Journal.search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
    server = {
        "sftp_host": "127.0.0.1", "sftp_port": int(port), "sftp_user": os.environ["KIOSK_SFTP_USER"],
        "sftp_private_key": client_key, "sftp_host_key": host_key,
    }
    demo_folders = {"path_outbound": "outbound", "path_inbound": "inbound", "path_archive": "archive",
                    "path_error": "error"}
    kiosk = env["connectic.kiosk"].with_context(active_test=False).search([("company_id", "=", company.id)], limit=1)
    if not kiosk:
        kiosk = env["connectic.kiosk"].create({
            "name": "Automate agence de Nancy", "company_id": company.id, "active": True, "entity_code": "G001",
            "journal_cash_id": cash.id, "journal_card_id": bank.id, **server, **demo_folders,
        })
        demo_own = True
    else:
        demo_own = (kiosk.sftp_host == server["sftp_host"] and kiosk.sftp_user == server["sftp_user"]
                    and all(kiosk[field] == folder for field, folder in demo_folders.items()))
        if demo_own:
            kiosk.write(server)
        else:
            print(f"[setup] kiosk demo: «{kiosk.name}» was set up by hand ({kiosk.sftp_host}), left as it is")

    accountant = env["res.users"].search([("login", "=", "comptable")], limit=1)
    groups = (
        env.ref("pos_kiosk_connectic.group_kiosk_notification")
        | env.ref("pos_kiosk_connectic.group_kiosk_all_receipts")
    )
    (accountant | env.ref("base.user_admin")).write({"groups_id": [(4, group.id) for group in groups]})

    Partner = env["res.partner"]
    tenants = {
        "81MARITON": {"name": "MARITON Paul", "street": "3 place Stanislas", "zip": "54000", "city": "Nancy"},
        "81ROLINMAR": {"name": "ROLIN Marie", "street": "25 rue de Saurupt", "zip": "54000", "city": "Nancy"},
    }
    rents = {"81ROLINMAR": 650.00}  # 81MARITON's open invoice comes from demo.py
    for ref, tenant in tenants.items():
        partner = Partner.search([("ref", "=", ref)], limit=1) or Partner.create({"ref": ref, **tenant})
        invoice_ref = f"LOYER-T4-{ref}"
        if ref in rents and not env["account.move"].search_count([("ref", "=", invoice_ref)]):
            invoice = env["account.move"].create({
                "move_type": "out_invoice", "partner_id": partner.id, "ref": invoice_ref,
                "invoice_line_ids": [(0, 0, {"name": "Loyer 4e trimestre", "quantity": 1,
                                             "price_unit": rents[ref], "tax_ids": []})],
            })
            invoice.action_post()

    if demo_own:
        kiosk.action_export_customers()
        data_dir = os.environ["KIOSK_SFTP_DATA_DIR"]
        if not os.listdir(os.path.join(data_dir, "inbound")) and not os.listdir(os.path.join(data_dir, "archive")):
            with kiosk._sftp() as client:
                simulator.run(client, outbound=kiosk.path_outbound, inbound=kiosk.path_inbound, count=2)
            kiosk.action_import_payments()
    print(f"[setup] kiosk demo ready: SFTP {kiosk.sftp_host}:{kiosk.sftp_port}, entity {kiosk.entity_code}, "
          f"{env['account.payment'].search_count([('connectic_kiosk_id', '=', kiosk.id)])} kiosk receipts")

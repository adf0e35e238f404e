"""Demo data shared by the three addons; run by setup/odoo_db.py with `env` (superuser).

Safe to run again on a database an integrator has changed: records are created once (found by login
or reference first) and existing ones are left as they are. Then every setup/demo/<addon>.py found
beside this file runs with the same `env` (and the environment variables exported by
setup/demo/<addon>.sh), each in its own savepoint: a step that fails is reported and undone, the
others and the server go on.
"""
import glob
import os
import traceback


def ensure_user(login, name, groups, **values):
    user = env["res.users"].with_context(active_test=False).search([("login", "=", login)])
    if not user:
        user = env["res.users"].with_context(no_reset_password=True).create({
            "login": login, "name": name, "password": login, "lang": "fr_FR", "tz": "Europe/Paris",
            "groups_id": [(6, 0, [env.ref(g).id for g in groups])], **values,
        })
    return user


company = env.company
company.write({"street": "12 rue des Carmes", "zip": "54000", "city": "Nancy"})
accountant = ensure_user(
    "comptable", "Claire Comptable",
    ["base.group_user", "account.group_account_manager", "base.group_partner_manager"],
    email="comptable@example.com",
)
customer = env["res.partner"].search([("ref", "=", "81MARITON")], limit=1) or env["res.partner"].create({
    "name": "MARITON Paul", "ref": "81MARITON", "email": "paul.mariton@example.com",
    "street": "3 place Stanislas", "zip": "54000", "city": "Nancy", "country_id": env.ref("base.fr").id,
})
portal_user = ensure_user("client", "MARITON Paul", ["base.group_portal"], partner_id=customer.id)
# the customer's one open invoice: the balance the portal offers to pay by direct debit and the kiosk shows
if not env["account.move"].search_count([("ref", "=", "LOYER-T4-81MARITON")]):
    invoice = env["account.move"].create({
        "move_type": "out_invoice", "partner_id": customer.id, "ref": "LOYER-T4-81MARITON",
        "invoice_line_ids": [(0, 0, {"name": "Loyer et charges 4e trimestre", "quantity": 1,
                                     "price_unit": 3817.83, "tax_ids": []})],
    })
    invoice.action_post()

demo_dir = os.path.dirname(os.path.abspath(__file__))
failed = []
for script in sorted(glob.glob(os.path.join(demo_dir, "*.py"))):
    if os.path.basename(script) == "demo.py":
        continue
    with open(script, encoding="utf-8") as handle:
        code = compile(handle.read(), script, "exec")
    try:
        with env.cr.savepoint():
            exec(code, {"env": env, "__name__": "__demo__", "__file__": script})  # noqa: S102
    except Exception as error:  # noqa: BLE001 - a demo step must never keep the server from starting
        failed.append(os.path.basename(script))
        traceback.print_exc()
        print(f"[setup] demo step {os.path.basename(script)} failed and was undone: {error}")
if failed:
    print(f"[setup] demo data ready except {', '.join(failed)} (see above); the server starts all the same")
else:
    print("[setup] demo data ready")

"""Demo data of bank_collect_bridge; run by setup/demo/demo.py with `env` (superuser).

The demo company's aggregator is the local Bridge emulator started by setup/demo/bank_collect_bridge.sh
(BRIDGE_EMULATOR_URL and credentials). Its seeded user "demo" owns a healthy Demo Bank connection and
a second one waiting for strong authentication; the demo portal customer becomes that user, and two
bank journals carry the IBANs of those accounts. Safe to run again: everything is created once; the demo
provider is pointed at the emulator again (its port may change) only while it still points at a local
emulator, and activated only while the company has no other active aggregator; journals that exist are
left as they are.
"""
import os

from odoo.addons.bank_collect_bridge.bridge import client as bridge_client

url = os.environ.get("BRIDGE_EMULATOR_URL")
if not url:
    print("[setup] bank_collect_bridge demo skipped: no Bridge emulator (BRIDGE_EMULATOR_URL unset)")
else:
    company = env.company
    client_id = os.environ.get("BRIDGE_EMULATOR_CLIENT_ID", "emulator-client-id")
    client_secret = os.environ.get("BRIDGE_EMULATOR_CLIENT_SECRET", "emulator-client-secret")
    Provider = env["bank.collect.provider"].with_context(active_test=False)
    provider = Provider.search([("company_id", "=", company.id), ("environment", "=", "emulator")], limit=1)
    values = {
        "name": "Bridge (émulateur)", "environment": "emulator", "api_url": url,
        "client_id": client_id, "client_secret": client_secret, "country_codes": "FR",
    }
    local = ("http://127.0.0.1:", "http://localhost:")
    if not provider:
        provider = Provider.create({**values, "company_id": company.id,
                                    "active": not Provider.search_count([("company_id", "=", company.id),
                                                                         ("active", "=", True)])})
    elif (provider.api_url or "").startswith(local):
        provider.write({"api_url": url, "client_id": client_id, "client_secret": client_secret})
    else:
        print(f"[setup] bank_collect_bridge demo: provider «{provider.name}» points at {provider.api_url}, "
              "left as it is")
    other_active = Provider.search([("company_id", "=", company.id), ("active", "=", True), ("id", "!=", provider.id)])
    if other_active:
        print(f"[setup] bank_collect_bridge demo: the company collects through «{other_active[0].name}», "
              "the emulator stays inactive")

    customer = env["res.partner"].search([("ref", "=", "81MARITON")], limit=1)
    api = bridge_client.BridgeClient(url, client_id, client_secret)
    demo_user = next((u for u in api.list_users() if u.get("external_user_id") == "demo"), None)
    if provider.api_url != url:
        pass  # the integrator's provider: the demo customer is not linked to the emulator's user
    elif not customer or not demo_user:
        print("[setup] bank_collect_bridge demo: no demo customer or no seeded emulator user, nothing linked")
    else:
        customer.write({"bank_collect_user_uuid": demo_user["uuid"], "bank_collect_external_user_id": "demo"})
        accounts = api.list_accounts(demo_user["uuid"])
        items = {item["id"]: item for item in api.list_items(demo_user["uuid"])}
        healthy = next(
            a for a in accounts if a.get("iban") and a["type"] == "checking" and items[a["item_id"]]["status"] == 0
        )
        blocked = next((a for a in accounts if items[a["item_id"]]["status"] != 0), None)

        def ensure_journal(code, name, account):
            journal = env["account.journal"].search([("code", "=", code), ("company_id", "=", company.id)], limit=1)
            if journal:
                return journal, False
            iban = account.get("iban")
            bank_account = env["res.partner.bank"].search(
                [("acc_number", "=", iban), ("partner_id", "=", company.partner_id.id)], limit=1
            ) if iban else env["res.partner.bank"]
            if iban and not bank_account:
                bank_account = env["res.partner.bank"].create({"acc_number": iban, "partner_id": company.partner_id.id})
            values = {
                "bank_statements_source": "bank_collect", "bank_collect_partner_id": customer.id,
                "bank_account_id": bank_account.id or False,
                "bank_collect_forced_account_id": False if iban else str(account["id"]),
            }
            return env["account.journal"].create({"name": name, "code": code, "type": "bank", **values}), True

        created = [ensure_journal("BRDG", "Banque Démo (Bridge)", healthy)]
        if blocked:
            created.append(ensure_journal("BRDG2", "Compte perso (authentification forte)", blocked))
        # a first collection for new journals only, and only through the emulator
        journals = [journal for journal, new in created if new] if provider.active and not other_active else []
        for journal in journals:
            action = journal.action_bank_collect_sync()
            outcome = action.get("params", {}).get("message") or action.get("url")
            print(f"[setup] bank_collect_bridge demo: {outcome}")
        print(f"[setup] bank_collect_bridge demo: provider on {url}, journals attached to {customer.name}")

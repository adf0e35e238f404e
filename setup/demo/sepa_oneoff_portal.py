"""Demo data of sepa_oneoff_portal, run by setup/demo/demo.py with `env` (superuser); creditor settings
are written on the first run only.

The demo company becomes a SEPA creditor allowing one-off direct debits on the portal; the portal
customer "client" (partner 81MARITON) has the open invoice of setup/demo/demo.py to pay that way.
"""
company = env.company
if company.sepa_creditor_identifier:
    # set up on a first run, or by an integrator since: their settings stay as they are
    print("[setup] sepa_oneoff_portal demo: creditor settings already present, left as they are")
else:
    journal = company.sepa_oneoff_journal_id or env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
    )
    accountant = env["res.users"].search([("login", "=", "comptable")], limit=1)
    company.write({
        "sepa_creditor_identifier": "FR72ZZZ123456",
        "sepa_oneoff_creditor_iban": "FR1420041010050500013M02606",
        "sepa_oneoff_creditor_bic": "PSSTFRPPPAR",
        "sepa_oneoff_creditor_name": company.name,
        "sepa_oneoff_creditor_street": company.street or "12 rue des Carmes",
        "sepa_oneoff_creditor_zip": company.zip or "54000",
        "sepa_oneoff_creditor_city": company.city or "Nancy",
        "sepa_oneoff_creditor_country_id": env.ref("base.fr").id,
        "sepa_oneoff_journal_id": journal.id,
        "sepa_oneoff_user_id": accountant.id or False,
    })
    company.sepa_oneoff_portal_enabled = True
    print("[setup] sepa_oneoff_portal demo: creditor FR72ZZZ123456, portal direct debit allowed for client")

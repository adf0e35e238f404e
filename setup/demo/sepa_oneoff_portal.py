"""Demo data of sepa_oneoff_portal, run by setup/demo/demo.py with `env` (superuser); idempotent.

The demo company becomes a SEPA creditor allowing one-off direct debits on the portal, and the
portal customer "client" (partner 81MARITON) gets a posted invoice, so that the portal shows a
balance to pay by direct debit.
"""
company = env.company
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

customer = env["res.partner"].search([("ref", "=", "81MARITON")], limit=1)
if customer and not env["account.move"].search_count([
    ("partner_id", "=", customer.id), ("move_type", "=", "out_invoice"), ("ref", "=", "DEMO-SEPA-ONEOFF"),
]):
    invoice = env["account.move"].create({
        "move_type": "out_invoice",
        "partner_id": customer.id,
        "ref": "DEMO-SEPA-ONEOFF",
        "invoice_line_ids": [(0, 0, {
            "name": "Appel de charges 4e trimestre", "quantity": 1, "price_unit": 3817.83, "tax_ids": [(6, 0, [])],
        })],
    })
    invoice.action_post()
print("[setup] sepa_oneoff_portal demo: creditor FR72ZZZ123456, portal direct debit allowed for client")

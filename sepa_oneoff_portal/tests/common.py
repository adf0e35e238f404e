from odoo import fields
from odoo.tests import new_test_user

DEMO_IBAN = "FR7630006000011234567890189"  # derived BIC: AGRIFRPPXXX
CREDITOR_IBAN = "FR1420041010050500013M02606"


class SepaOneoffCommon:
    """A company ready for one-off debits and a portal customer owing 120.00 (two invoices)."""

    @classmethod
    def _setup_sepa_oneoff(cls):
        cls.company = cls.env.company
        cls.journal = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.company.id)], limit=1
        )
        cls.accountant = new_test_user(
            cls.env, login="so_accountant", groups="account.group_account_manager,base.group_user",
        )
        cls.company.write({
            "sepa_creditor_identifier": "FR72ZZZ123456",
            "sepa_oneoff_creditor_iban": CREDITOR_IBAN,
            "sepa_oneoff_creditor_bic": "PSSTFRPPPAR",
            "sepa_oneoff_creditor_name": "Syndicat des copropriétaires Gilbert",
            "sepa_oneoff_creditor_street": "12 rue des Carmes",
            "sepa_oneoff_creditor_zip": "54000",
            "sepa_oneoff_creditor_city": "Nancy",
            "sepa_oneoff_creditor_country_id": cls.env.ref("base.fr").id,
            "sepa_oneoff_journal_id": cls.journal.id,
            "sepa_oneoff_user_id": cls.accountant.id,
            "sepa_oneoff_portal_enabled": True,
            "sepa_oneoff_lead_days": 3,
            "sepa_oneoff_rate_limit": 5,
        })
        cls.customer = cls.env["res.partner"].create({
            "name": "MARITON Paul", "email": "paul.mariton@example.com", "ref": "81MARITON",
        })
        cls.portal_user = new_test_user(
            cls.env, login="so_client", password="so_client_pw1", groups="base.group_portal",
            partner_id=cls.customer.id,
        )
        cls.other_customer = cls.env["res.partner"].create({"name": "PROPRIETAIRE Pierre"})
        cls.invoice_old = cls._sepa_invoice(cls.customer, 70.0, "2026-01-10")
        cls.invoice_new = cls._sepa_invoice(cls.customer, 50.0, "2026-03-10")

    @classmethod
    def _sepa_invoice(cls, partner, amount, date):
        invoice = cls.env["account.move"].create({
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": date,
            "invoice_date_due": date,
            "invoice_line_ids": [
                (0, 0, {"name": "Charges", "quantity": 1, "price_unit": amount, "tax_ids": [(6, 0, [])]}),
            ],
        })
        invoice.action_post()
        return invoice

    def _sepa_sign(self, amount=65.63, partner=None, iban=DEMO_IBAN, bic="AGRIFRPPXXX", **extra):
        """A mandate signed as the portal controller does."""
        partner = partner or self.customer
        return self.env["sepa.oneoff.mandate"]._sepa_oneoff_sign({
            "name": self.env["sepa.oneoff.mandate"]._sepa_oneoff_new_reference(),
            "company_id": self.company.id,
            "partner_id": partner.id,
            "lastname": partner.name.split()[0],
            "firstname": partner.name.split()[-1],
            "email": "debtor@example.com",
            "iban": iban,
            "bic": bic,
            "amount": amount,
            "signed_ip": "127.0.0.1",
            "signed_user_agent": "test",
            "signed_at": fields.Datetime.now(),
            **extra,
        })

from odoo import models


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _sepa_oneoff_balance_due(self, company):
        """What the customer still owes the company: its receivable balance minus the one-off
        debits already signed but not yet posted (so the same debt is not signed for twice)."""
        self.ensure_one()
        commercial = self.commercial_partner_id.sudo().with_company(company)
        pending = self.env["sepa.oneoff.mandate"].sudo()._read_group(
            [("partner_id", "=", commercial.id), ("company_id", "=", company.id),
             ("state", "in", ("signed", "exported"))],
            aggregates=["amount:sum"],
        )[0][0]
        return max(company.currency_id.round(commercial.credit - (pending or 0.0)), 0.0)

from odoo import api, models
from odoo.exceptions import AccessError


class ReportPaymentNotice(models.AbstractModel):
    """Values of the kiosk payment notice (PK-7): the customers' balances and the kiosk's entity code."""

    _name = "report.pos_kiosk_connectic.report_payment_notice"
    _description = "Kiosk payment notice"

    @api.model
    def _get_report_values(self, docids, data=None):
        partners = self.env["res.partner"].browse(docids)
        # The report route renders for any internal user and the balances are read as superuser: the
        # notice has the readers of the balance itself (account's `credit`, the kiosk barcode).
        if not partners._fields["connectic_barcode_text"].is_accessible(self.env):
            raise AccessError(self.env._("You are not allowed to print the customers' balances on payment notices."))
        partners.check_access("read")
        company = self.env.company
        kiosk = self.env["connectic.kiosk"].sudo().search([("company_id", "=", company.id)], limit=1)
        return {
            "doc_ids": docids,
            "doc_model": "res.partner",
            "docs": partners,
            "company": company,
            "entity": kiosk.entity_code,
            # One grouped query for every notice printed.
            "balances": partners._connectic_balances(company, partners.ids),
        }

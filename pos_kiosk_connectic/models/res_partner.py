from odoo import api, fields, models

from ..kiosk.barcode import code128_img_attributes
from ..kiosk.files import barcode_text


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The barcode carries the receivable balance (computed as superuser): the same readers as account's
    # `credit` field of res.partner.
    connectic_barcode_text = fields.Char(
        string="Kiosk barcode", compute="_compute_connectic_barcode_text",
        groups="account.group_account_invoice,account.group_account_readonly",
        help="Text of the Code 128 barcode scanned by the payment kiosk: *ENTITY*REF*BALANCE*.",
    )

    @api.model
    def _connectic_balances(self, company, partner_ids=None):
        """Receivable balance per partner id in the company currency: one grouped query."""
        domain = [
            ("company_id", "=", company.id),
            ("parent_state", "=", "posted"),
            ("account_id.account_type", "=", "asset_receivable"),
            ("partner_id", "!=", False),
        ]
        if partner_ids is not None:
            domain.append(("partner_id", "in", list(partner_ids)))
        groups = self.env["account.move.line"].sudo()._read_group(domain, ["partner_id"], ["balance:sum"])
        return {partner.id: balance for partner, balance in groups}

    def _connectic_barcode_texts(self, company):
        """{partner id: barcode text} for the partners having a reference, when the company has a kiosk."""
        kiosk = self.env["connectic.kiosk"].sudo().search([("company_id", "=", company.id)], limit=1)
        partners = self.filtered("ref")
        if not kiosk.entity_code or not partners:
            return {}
        balances = self._connectic_balances(company, partners.ids)
        return {p.id: barcode_text(kiosk.entity_code, p.ref, balances.get(p.id, 0.0)) for p in partners}

    @api.depends_context("company")
    @api.depends("ref")
    def _compute_connectic_barcode_text(self):
        texts = self._connectic_barcode_texts(self.env.company)
        for partner in self:
            partner.connectic_barcode_text = texts.get(partner.id, False)

    @api.model
    def _connectic_barcode_img(self, text):
        """src and style of the <img> of a kiosk barcode on printed documents (PK-7); {} without text."""
        return code128_img_attributes(text) if text else {}

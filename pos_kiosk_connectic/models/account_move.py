from odoo import api, fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    # The customer's balance, as on res.partner: the same readers as account's `credit`.
    connectic_barcode_text = fields.Char(
        string="Kiosk barcode", compute="_compute_connectic_barcode_text",
        groups="account.group_account_invoice,account.group_account_readonly",
        help="The customer's kiosk barcode (*ENTITY*REF*BALANCE*), as in the customers file sent to the kiosk.",
    )

    @api.depends("partner_id", "move_type", "company_id")
    def _compute_connectic_barcode_text(self):
        self.connectic_barcode_text = False
        invoices = self.filtered(lambda m: m.move_type in ("out_invoice", "out_refund"))
        for company, moves in invoices.grouped("company_id").items():
            partners = moves.partner_id.commercial_partner_id
            texts = partners._connectic_barcode_texts(company)
            for move in moves:
                move.connectic_barcode_text = texts.get(move.partner_id.commercial_partner_id.id, False)

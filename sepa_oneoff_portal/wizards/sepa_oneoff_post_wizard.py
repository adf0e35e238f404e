from odoo import api, fields, models


class SepaOneoffPostWizard(models.TransientModel):
    """Post the selected one-off receipts in a chosen journal (SO-9)."""

    _name = "sepa.oneoff.post.wizard"
    _description = "Post one-off direct debit receipts"

    payment_ids = fields.Many2many("account.payment", string="Receipts", required=True)
    company_id = fields.Many2one("res.company", required=True)
    journal_id = fields.Many2one(
        "account.journal", required=True,
        domain="[('type', '=', 'bank'), ('company_id', '=', company_id)]",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        payments = self.env["account.payment"].browse(self.env.context.get("active_ids", []))
        company = payments.company_id[:1] or self.env.company
        values.update({
            "payment_ids": [(6, 0, payments.ids)],
            "company_id": company.id,
            "journal_id": company._sepa_oneoff_collection_journal().id,
        })
        return values

    def action_post(self):
        self.ensure_one()
        self.payment_ids.action_sepa_oneoff_post(journal=self.journal_id)
        return {"type": "ir.actions.act_window_close"}

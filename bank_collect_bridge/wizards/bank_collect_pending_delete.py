from odoo import api, fields, models
from odoo.exceptions import UserError


class BankCollectPendingDelete(models.TransientModel):
    """Delete the pending transactions of a journal over a date range (BC-7); «ignore
    permanently» keeps them as ignored so that no later collection imports them again."""

    _name = "bank.collect.pending.delete"
    _description = "Delete pending collected transactions"

    journal_id = fields.Many2one(
        "account.journal", required=True,
        domain="[('bank_statements_source', '=', 'bank_collect')]",
    )
    date_from = fields.Date(string="From", required=True)
    date_to = fields.Date(string="To", required=True)
    ignore_permanently = fields.Boolean(
        string="Ignore permanently", help="Never import these transactions in later collections.",
    )
    transaction_count = fields.Integer(compute="_compute_transaction_count", string="Transactions")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "bank.collect.transaction":
            selected = self.env["bank.collect.transaction"].browse(self.env.context.get("active_ids") or [])
            if selected:
                values.setdefault("journal_id", selected[0].journal_id.id)
                values.setdefault("date_from", min(selected.mapped("date")))
                values.setdefault("date_to", max(selected.mapped("date")))
        return values

    def _domain(self):
        return [
            ("journal_id", "=", self.journal_id.id), ("state", "=", "pending"),
            ("date", ">=", self.date_from), ("date", "<=", self.date_to),
        ]

    @api.depends("journal_id", "date_from", "date_to")
    def _compute_transaction_count(self):
        for wizard in self:
            ready = wizard.journal_id and wizard.date_from and wizard.date_to
            wizard.transaction_count = ready and self.env["bank.collect.transaction"].search_count(wizard._domain())

    def action_delete(self):
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(self.env._("The start date must be before the end date."))
        # The transactions are changed with sudo(): the caller must be allowed on this journal.
        self.journal_id._bank_collect_check_caller()
        self.journal_id._bank_collect_lock()
        transactions = self.env["bank.collect.transaction"].sudo().search(self._domain())
        count = len(transactions)
        if self.ignore_permanently:
            transactions.write({"state": "ignored"})
            message = self.env._("%(count)s pending transactions ignored permanently.", count=count)
        else:
            transactions.unlink()
            message = self.env._("%(count)s pending transactions deleted.", count=count)
        return self.env["bank.collect.provider"]._notification(self.env._("Pending transactions"), message, "success")

from odoo import fields, models


class BankCollectTransaction(models.Model):
    """Staging record of one remote transaction (BC-5): collected once, never imported twice.

    The database refuses a second record of the same remote id for an aggregator, so that no
    concurrent or repeated collection can create a duplicate.
    """

    _name = "bank.collect.transaction"
    _description = "Collected bank transaction"
    _order = "date desc, id desc"
    _rec_name = "label"

    provider_id = fields.Many2one("bank.collect.provider", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    journal_id = fields.Many2one("account.journal", required=True, readonly=True, index=True, ondelete="cascade")
    account_id = fields.Many2one(
        "bank.collect.account", string="Remote account", required=True, readonly=True, ondelete="cascade"
    )
    remote_id = fields.Char(string="Remote id", required=True, readonly=True)
    date = fields.Date(required=True, readonly=True)
    purchase_date = fields.Date(readonly=True, help="Date of the operation (card purchase).")
    debit_date = fields.Date(readonly=True, help="Date the bank booked the operation.")
    amount = fields.Float(readonly=True, digits=(16, 2))
    currency_code = fields.Char(string="Currency", readonly=True)
    label = fields.Char(readonly=True, help="Label given by the bank.")
    clean_label = fields.Char(string="Cleaned label", readonly=True, help="Label cleaned by the aggregator.")
    operation_type = fields.Char(readonly=True)
    updated_at = fields.Char(string="Changed at (aggregator)", readonly=True)
    future = fields.Boolean(
        string="Not booked yet", readonly=True,
        help="Announced by the bank but not booked: imported once booked.",
    )
    state = fields.Selection(
        [("pending", "Pending"), ("imported", "Imported"), ("ignored", "Ignored"), ("deleted", "Deleted")],
        required=True, default="pending", readonly=True, index=True,
    )
    statement_line_id = fields.Many2one(
        "account.bank.statement.line", string="Statement line", readonly=True, ondelete="set null",
        index="btree_not_null",
    )
    to_review = fields.Boolean(
        readonly=True,
        help="The bank changed or deleted this transaction after its line was reconciled: check it by hand.",
    )

    _sql_constraints = [
        ("remote_unique", "UNIQUE(provider_id, remote_id)", "A remote transaction is collected once per aggregator."),
    ]

    def action_mark_reviewed(self):
        """The accountant checked a transaction the bank changed after reconciliation. Nobody
        writes collected transactions but the collection: the flag is cleared with sudo() once
        the caller is known to be allowed on the transactions and their journals."""
        self.check_access("read")
        self.journal_id._bank_collect_check_caller()
        self.sudo().to_review = False
        return True

    def _bank_collect_apply_change(self, action, values):
        """Apply a change the bank made to an already collected transaction. An unreconciled line
        follows the bank; a reconciled one is never changed silently but flagged for review.
        Returns the counter to bump: "updated", "deleted" or "review"."""
        self.ensure_one()
        line = self.statement_line_id
        if self.state == "imported" and line and line.is_reconciled:
            self.write({"to_review": True})
            what = self.env._("deleted") if action == "delete" else self.env._("changed")
            self.journal_id._bank_collect_record_issue("review", self.env._(
                "The bank %(what)s transaction «%(label)s» of %(date)s (%(amount)s) after its statement line was "
                "reconciled: check it.", what=what, label=self.label, date=self.date, amount=self.amount,
            ))
            return "review"
        if action == "delete":
            if line:
                line.unlink()
            self.write({"state": "deleted"})
            return "deleted"
        self.write(values)
        if self.state == "imported" and line:
            journal = self.journal_id
            line.write({
                "date": journal._bank_collect_line_date(self),
                "payment_ref": (journal.bank_collect_use_clean_label and self.clean_label) or self.label or "/",
                "amount": self.amount,
            })
        return "updated"

from odoo import fields, models

ISSUE_KINDS = [
    ("balance_difference", "Balance difference"),
    ("not_attached", "Account not attached"),
    ("wrong_credentials", "Wrong bank credentials (402)"),
    ("bank_action", "Action needed at the bank (429)"),
    ("sca_required", "Strong authentication required (1010)"),
    ("pro_validation", "Business account to validate (1100)"),
    ("bank_down", "Bank unavailable (1003)"),
    ("item_error", "Bank connection error"),
    ("auth", "Aggregator credentials refused"),
    ("rate_limit", "Too many requests to the aggregator"),
    ("server", "Aggregator unavailable"),
    ("timeout", "Aggregator not answering"),
    ("malformed", "Unreadable aggregator answer"),
    ("api_error", "Aggregator error"),
    ("review", "Transaction to review"),
    ("card_summary", "Card total not matched"),
]
# Kinds that a successful collection does not clear: they are cleared by their own check.
SELF_CLEARING_KINDS = ("balance_difference", "review", "card_summary")
# Kinds that only the owner of the bank access can fix, in the connect funnel.
USER_ACTION_KINDS = ("wrong_credentials", "bank_action", "sca_required", "pro_validation")


class BankCollectIssue(models.Model):
    """What needs attention in the bank collection (BC-10, «Relevés en erreur»)."""

    _name = "bank.collect.issue"
    _description = "Bank collection issue"
    _order = "state, date desc, id desc"
    _rec_name = "kind"

    journal_id = fields.Many2one("account.journal", required=True, readonly=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="journal_id.company_id", store=True, index=True)
    kind = fields.Selection(ISSUE_KINDS, required=True, readonly=True)
    state = fields.Selection(
        [("open", "To handle"), ("resolved", "Resolved")], required=True, default="open", readonly=True, index=True
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True, help="Last time it happened.")
    detail = fields.Text(readonly=True)
    resolved_date = fields.Datetime(readonly=True)

    def action_resolve(self):
        self.write({"state": "resolved", "resolved_date": fields.Datetime.now()})
        return True

    def action_open_journal(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.journal",
            "res_id": self.journal_id.id,
            "view_mode": "form",
        }

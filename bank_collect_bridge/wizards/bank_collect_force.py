from odoo import fields, models
from odoo.exceptions import UserError


class BankCollectForce(models.TransientModel):
    """Forced collection from date to date, for one journal or every linked journal (BC-8)."""

    _name = "bank.collect.force"
    _description = "Forced bank collection"

    journal_id = fields.Many2one(
        "account.journal", help="Leave empty to collect every linked journal of the company.",
        domain="[('bank_statements_source', '=', 'bank_collect'), ('bank_collect_link_state', '=', 'attached')]",
    )
    date_from = fields.Date(string="From", required=True)
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)

    def action_collect(self):
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(self.env._("The start date must be before the end date."))
        journals = self.journal_id or self.env["account.journal"].search([
            ("bank_statements_source", "=", "bank_collect"), ("bank_collect_link_state", "=", "attached"),
            ("company_id", "in", self.env.companies.ids),
        ])
        if not journals:
            raise UserError(self.env._("No journal is linked to the bank aggregator."))
        # The collection writes with sudo(): the caller must be allowed on every journal.
        journals._bank_collect_check_caller()
        messages, failed = [], False
        for journal in journals:
            result = journal._bank_collect_run(min_date=self.date_from, max_date=self.date_to)
            messages.append(result["message"])
            failed = failed or not result["ok"]
        return self.env["bank.collect.provider"]._notification(
            self.env._("Forced collection"), "\n".join(messages), "warning" if failed else "success", sticky=failed
        )

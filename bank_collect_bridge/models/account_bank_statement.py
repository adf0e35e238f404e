from odoo import models
from odoo.exceptions import UserError


class AccountBankStatement(models.Model):
    _inherit = "account.bank.statement"

    def action_bank_collect_sync(self):
        """«Synchro» on a statement collects its journal (BC-4)."""
        journals = self.journal_id
        if len(journals) != 1:
            raise UserError(self.env._("Select statements of a single journal to collect it."))
        return journals.action_bank_collect_sync()

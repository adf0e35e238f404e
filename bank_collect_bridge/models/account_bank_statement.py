from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError


class AccountBankStatement(models.Model):
    _inherit = "account.bank.statement"

    def action_bank_collect_sync(self):
        """«Synchro» on a statement collects its journal (BC-4)."""
        journals = self.journal_id
        if len(journals) != 1:
            raise UserError(self.env._("Select statements of a single journal to collect it."))
        return journals.action_bank_collect_sync()

    @api.model
    def _bank_collect_group_lines(self, journal, lines):
        """Put new lines into statements: one per collection, or per day, week or month (an
        existing statement of the period is completed). With «earlier lines into current
        statement», lines dated before the current statement join it. The journal's very first
        statement starts at the opening balance its first collection found (BC-10)."""
        Statement = self.sudo()
        current = Statement.search([("journal_id", "=", journal.id)], order="date desc, id desc", limit=1)
        groups = defaultdict(list)
        for line in lines:
            if journal.bank_collect_earlier_into_current and current and line.date < current.date:
                groups[current].append(line)
            elif journal.bank_collect_statement_grouping == "sync":
                groups["sync"].append(line)
            else:
                groups[journal._bank_collect_period_key(line.date)].append(line)
        references = {
            key: f"bank_collect:{journal.id}:{key}" for key in groups if isinstance(key, str) and key != "sync"
        }
        existing = {
            st.reference: st for st in Statement.search([
                ("journal_id", "=", journal.id), ("reference", "in", list(references.values()))
            ])
        }
        opening = None if current else journal.bank_collect_opening_balance
        # Oldest first, one at a time: each statement's starting balance is the previous one's end.
        for key, group in sorted(groups.items(), key=lambda item: min(line.date for line in item[1])):
            line_ids = [line.id for line in group]
            statement = key if not isinstance(key, str) else existing.get(references.get(key))
            if statement:
                self.env["account.bank.statement.line"].browse(line_ids).statement_id = statement
            else:
                reference = references.get(key) or f"bank_collect:{journal.id}:sync:{fields.Datetime.now()}"
                values = {"reference": reference, "line_ids": [Command.set(line_ids)]}
                if opening is not None:
                    values["balance_start"] = opening
                    opening = None
                statement = Statement.create(values)
            self.env.flush_all()
            statement.balance_end_real = statement.balance_end

from contextlib import contextmanager

from odoo import api, models

# transaction-scoped memo of the last sequence per journal and date, only while lines are generated
_LAST_SEQUENCE_MEMO = "bank_collect_bridge.last_sequence"


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.model
    @contextmanager
    def _bank_collect_bulk_numbering(self):
        """While thousands of statement lines are created (each a posted entry), look up the
        journal's last number once per date instead of once per entry.

        Odoo numbers each entry by looking up the last number of its journal and period (two searches
        and a query whose cost grows with the journal), then takes the next one from its transaction
        cache of sequences. Once a period's first number is taken, that cache alone decides (the
        format read from the last number is the same), so remembering the look-up gives the very same
        numbers. The sepa_oneoff_portal addon does the same for its bulk posting (independent addons)."""
        memo_holder = self.env.cr.precommit.data
        memo_holder[_LAST_SEQUENCE_MEMO] = {}
        try:
            yield
        finally:
            memo_holder.pop(_LAST_SEQUENCE_MEMO, None)

    def _get_last_sequence(self, relaxed=False, with_prefix=None):
        memo = self.env.cr.precommit.data.get(_LAST_SEQUENCE_MEMO)
        if memo is None or (self.name and self.name != "/"):
            return super()._get_last_sequence(relaxed=relaxed, with_prefix=with_prefix)
        # what Odoo's look-up depends on for an entry without a number (_get_last_sequence_domain)
        key = (
            self.journal_id.id, self.date, self.move_type,
            bool(self.origin_payment_id or self.env.context.get("is_payment")), relaxed, with_prefix,
        )
        if key not in memo:
            memo[key] = super()._get_last_sequence(relaxed=relaxed, with_prefix=with_prefix)
        return memo[key]

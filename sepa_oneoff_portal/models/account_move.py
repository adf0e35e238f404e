from contextlib import contextmanager

from odoo import Command, api, models

# transaction-scoped memo of the last sequence per journal and date, only while a bulk posting runs
_LAST_SEQUENCE_MEMO = "sepa_oneoff_portal.last_sequence"


class AccountMove(models.Model):
    _inherit = "account.move"

    # ------------------------------------------------------------------ bulk numbering
    @api.model
    @contextmanager
    def _sepa_oneoff_bulk_numbering(self):
        """While posting many entries of the same journal and date, look up the journal's last number
        once instead of once per entry.

        Odoo numbers each entry by looking up the last number of its journal and period (three
        queries), then takes the next one from its transaction cache of sequences. From the second
        entry on, that cache alone decides the number (the format read from the last number is the
        same), so remembering the first look-up gives the very same numbers. The bank_collect_bridge
        addon does the same for its statement lines (independent addons, one override each)."""
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

    # ------------------------------------------------------------------ followers
    def _sepa_oneoff_subscribe_partners(self):
        """Make each entry's partner a follower, as Odoo's posting does, in one batch: Odoo subscribes
        entry by entry (a search and an insert each), which costs more than posting the entry."""
        self.check_access("write")
        moves = self.filtered("partner_id")
        partners = moves.partner_id.sudo().filtered("active")
        if not partners:
            return
        followers = self.env["mail.followers"].sudo()
        existing = {
            (follower.res_id, follower.partner_id.id)
            for follower in followers.search([
                ("res_model", "=", self._name), ("res_id", "in", moves.ids), ("partner_id", "in", partners.ids),
            ])
        }
        default, _internal, external = self.env["mail.message.subtype"].default_subtypes(self._name)
        followers.create([{
            "res_model": self._name,
            "res_id": move.id,
            "partner_id": move.partner_id.id,
            "subtype_ids": [Command.set((external if move.partner_id.partner_share else default).ids)],
        } for move in moves if move.partner_id in partners and (move.id, move.partner_id.id) not in existing])
        moves.invalidate_recordset(["message_follower_ids", "message_partner_ids"])

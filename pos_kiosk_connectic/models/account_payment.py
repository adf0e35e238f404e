from odoo import fields, models
from odoo.exceptions import UserError


class AccountPayment(models.Model):
    """Kiosk receipts are draft inbound payments marked with their origin (PK-3, PK-6)."""

    _inherit = "account.payment"

    connectic_transaction_id = fields.Char(
        string="Kiosk transaction", readonly=True, copy=False, index="btree_not_null",
        help="The kiosk's unique id of the payment.",
    )
    connectic_kiosk_id = fields.Many2one("connectic.kiosk", string="Kiosk", readonly=True, copy=False,
                                         index="btree_not_null")
    connectic_file_id = fields.Many2one("connectic.kiosk.file", string="Kiosk file", readonly=True, copy=False)
    connectic_terminal = fields.Char(string="Kiosk machine", readonly=True, copy=False)
    connectic_method = fields.Selection(
        [("cash", "Cash"), ("card", "Card"), ("cheque", "Cheque")], string="Kiosk payment method",
        readonly=True, copy=False,
    )
    connectic_paid_at = fields.Datetime(string="Paid at the kiosk", readonly=True, copy=False)
    connectic_user_id = fields.Many2one(
        "res.users", string="Kiosk receipt owner", readonly=True, copy=False,
        help="The user who uploaded the file by hand; empty for the nightly import, which belongs to no user.",
    )
    connectic_journal_to_check = fields.Boolean(
        string="Journal to choose", copy=False,
        help="No journal is mapped to this payment method in the kiosk settings: choose the journal "
             "before posting.",
    )

    # A kiosk numbers its own transactions: another kiosk (of another company) may reuse an id.
    _sql_constraints = [
        ("connectic_transaction_per_kiosk_unique", "UNIQUE(connectic_kiosk_id, connectic_transaction_id)",
         "A kiosk transaction can be imported only once per kiosk."),
    ]

    def _compute_outstanding_account_id(self):
        result = super()._compute_outstanding_account_id()
        # Kiosk import: the fallback account that account.payment.create() would write payment by
        # payment, looked up once by the importer ((company id, payment type, account id), ...).
        fallback = {(c, t): a for c, t, a in self.env.context.get("connectic_outstanding_accounts", ())}
        if fallback:
            # Any JSON-RPC caller can pass this context: an account is used only where it is the one
            # Odoo would write itself (one lookup per company and payment type, not per payment).
            accepted = {}
            for payment in self.filtered(lambda p: not p.outstanding_account_id):
                key = (payment.company_id.id, payment.payment_type)
                if key not in accepted:
                    accepted[key] = key in fallback and (
                        payment._get_outstanding_account(payment.payment_type).id == fallback[key]
                    ) and fallback[key]
                if accepted[key]:
                    payment.outstanding_account_id = accepted[key]
        return result

    def write(self, vals):
        if "journal_id" in vals and "connectic_journal_to_check" not in vals:
            vals = {**vals, "connectic_journal_to_check": False}
        return super().write(vals)

    def action_connectic_post(self):
        """Post the selected kiosk receipts with Odoo's own posting, once each has its journal."""
        receipts = self.filtered(lambda p: p.state == "draft")
        unchecked = receipts.filtered("connectic_journal_to_check")
        if unchecked:
            raise UserError(self.env._(
                "Choose the journal of these kiosk receipts before posting them (no journal is mapped to "
                "their payment method): %(receipts)s",
                receipts=", ".join(unchecked.mapped(lambda p: p.connectic_transaction_id or p.display_name)),
            ))
        receipts.action_post()
        return True

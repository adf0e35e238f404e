import uuid

from odoo import fields, models


class ResPartner(models.Model):
    """The person who connects banks is an aggregator user (BC-2). Bridge v3 users have no
    password: they are known by a uuid and our own external id, and get short-lived tokens."""

    _inherit = "res.partner"

    bank_collect_user_uuid = fields.Char(
        string="Aggregator user", copy=False, readonly=True, groups="account.group_account_manager",
        help="Identifier of this contact's user at the bank aggregator.",
    )
    bank_collect_external_user_id = fields.Char(
        string="Aggregator external id", copy=False, readonly=True, groups="account.group_account_manager",
        help="Our identifier of this contact, sent to the bank aggregator.",
    )

    def _bank_collect_external_user_id(self):
        """Stable and unguessable id sent to the aggregator: database uuid prefix + partner id
        + random part, so that two databases sharing an application never collide."""
        self.ensure_one()
        if self.bank_collect_external_user_id:
            return self.bank_collect_external_user_id
        db_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")[:8]
        return f"odoo-{db_uuid}-{self.id}-{uuid.uuid4().hex[:8]}"

import uuid

from odoo import Command, fields, models


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

    bank_collect_portal_state = fields.Selection(
        [("none", "No access"), ("invited", "Invited, never logged in"), ("active", "Has logged in")],
        string="Portal access", compute="_compute_bank_collect_portal_state",
        help="Whether the contact can log in to the portal to connect their bank accounts.",
    )
    bank_collect_login_date = fields.Datetime(
        string="Last portal login", compute="_compute_bank_collect_portal_state",
    )
    bank_collect_journal_count = fields.Integer(
        string="Attached bank journals", compute="_compute_bank_collect_journal_count",
    )

    def _compute_bank_collect_portal_state(self):
        for partner in self:
            users = partner.sudo().with_context(active_test=False).user_ids.filtered("active")
            logins = [date for date in users.mapped("login_date") if date]
            partner.bank_collect_login_date = max(logins) if logins else False
            if not users:
                partner.bank_collect_portal_state = "none"
            else:
                partner.bank_collect_portal_state = "active" if logins else "invited"

    def _compute_bank_collect_journal_count(self):
        counts = dict(self.env["account.journal"]._read_group(
            [("bank_collect_partner_id", "in", self.ids)], ["bank_collect_partner_id"], ["__count"]
        ))
        for partner in self:
            partner.bank_collect_journal_count = counts.get(partner, 0)

    def _bank_collect_portal_wizard_users(self):
        wizard = self.env["portal.wizard"].create({"partner_ids": [Command.set(self.ids)]})
        return wizard.user_ids.filtered(lambda line: line.partner_id in self)

    def action_bank_collect_grant_portal(self):
        """Give the contacts portal access with Odoo's own invitation (user + signup e-mail)."""
        for line in self._bank_collect_portal_wizard_users():
            if not (line.is_portal or line.is_internal):
                line.action_grant_access()
        return self.env["bank.collect.provider"]._notification(self.env._("Invitation sent"), self.env._(
            "Portal invitation sent to %(contacts)s.", contacts=", ".join(self.mapped("display_name")),
        ), "success")

    def action_bank_collect_resend_invitation(self):
        """Send Odoo's portal invitation again (the contact did not receive or lost it)."""
        for line in self._bank_collect_portal_wizard_users():
            line.action_invite_again()
        return self.env["bank.collect.provider"]._notification(self.env._("Invitation sent"), self.env._(
            "Portal invitation sent again to %(contacts)s.", contacts=", ".join(self.mapped("display_name")),
        ), "success")

    def action_bank_collect_open_journals(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Bank journals"),
            "res_model": "account.journal",
            "view_mode": "list,form",
            "domain": [("bank_collect_partner_id", "=", self.id)],
        }

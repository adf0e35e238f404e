import base64
import binascii
import logging
import re
import uuid
from datetime import UTC, timedelta
from urllib.parse import parse_qs, urlsplit

from markupsafe import escape

from odoo import Command, api, fields, models
from odoo.tools import SQL, verify_hash_signed

_logger = logging.getLogger(__name__)

# A sign-in link of auth_signup carrying a token, as stored in an e-mail body (HTML-escaped).
SIGNUP_LINK = re.compile(r"""(?:https?://[^\s"'<>/]+)?/web/(?:signup|reset_password|login)\?[^\s"'<>]*token=[^\s"'<>]*""")


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

    bank_collect_tokens_revoked_at = fields.Datetime(
        copy=False, readonly=True, groups="base.group_system",
        help="Signup tokens of this contact issued before this time are refused (they were readable by others).",
    )

    @api.model
    def _get_partner_from_token(self, token):
        """Refuse the signup tokens issued before the contact's tokens were revoked. Odoo checks
        the token's contents (contact, users, last login, signup type), which are the same again
        once a new invitation is prepared: only its expiry tells an old token from a new one."""
        partner = super()._get_partner_from_token(token)
        revoked_at = partner and partner.sudo().bank_collect_tokens_revoked_at
        if not revoked_at:
            return partner
        try:
            expiry = int.from_bytes(base64.urlsafe_b64decode(token.encode() + b"===")[1:9], "little")
        except (binascii.Error, ValueError):
            return None
        Param = self.env["ir.config_parameter"].sudo()
        if partner.sudo().signup_type == "reset":
            hours = int(Param.get_param("auth_signup.reset_password.validity.hours", 4))
        else:
            hours = int(Param.get_param("auth_signup.signup.validity.hours", 144))
        # A token issued at or before the revocation expires at or before revocation + validity.
        if expiry <= int(revoked_at.replace(tzinfo=UTC).timestamp()) + hours * 3600:
            return None
        return partner

    @api.model
    def _bank_collect_revoke_stored_signup_tokens(self):
        """Upgrade to 18.0.1.1.0: the invitation and re-authentication e-mails (and Odoo's portal
        welcome e-mail) were kept as messages, with the contact's signup link, readable by
        other users; their carbon copies went to the collaborators. The links are replaced by
        the page they led to, and the tokens of these contacts and of every contact attached to
        a bank journal are refused from now on (nobody is logged out). Returns the contacts."""
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        partner_ids = set(self.env["account.journal"].sudo().with_context(active_test=False).search([
            ("bank_collect_partner_id", "!=", False),
        ]).bank_collect_partner_id.ids)

        def neutralise(match):
            query = parse_qs(urlsplit(match.group(0).replace("&amp;", "&")).query)
            for token in query.get("token", []):
                try:
                    payload = verify_hash_signed(self.env(su=True), "signup", token)
                except ValueError:
                    payload = None
                if payload and isinstance(payload[0], int):
                    partner_ids.add(payload[0])
            redirect = query.get("redirect", [""])[0]
            path = redirect if redirect.startswith("/") and not redirect.startswith("//") else "/web/login"
            return str(escape(f"{base_url}{path}"))

        self.env.flush_all()
        counts = {}
        for table, column in (("mail_message", "body"), ("mail_mail", "body_html")):
            table_sql, column_sql = SQL.identifier(table), SQL.identifier(column)
            rows = self.env.execute_query(SQL(
                "SELECT id, %s FROM %s WHERE %s ILIKE %s AND (%s ILIKE %s OR %s ILIKE %s OR %s ILIKE %s)",
                column_sql, table_sql, column_sql, "%token=%", column_sql, "%/web/signup?%",
                column_sql, "%/web/reset_password?%", column_sql, "%/web/login?%",
            ))
            cleaned = [(row_id, SIGNUP_LINK.sub(neutralise, text)) for row_id, text in rows]
            changed = [(row_id, new) for (row_id, new), (__, text) in zip(cleaned, rows, strict=True) if new != text]
            if changed:
                self.env.execute_query(SQL(
                    "UPDATE %s AS t SET %s = v.text FROM unnest(%s::int[], %s::text[]) AS v(id, text)"
                    " WHERE t.id = v.id",
                    table_sql, column_sql, [row_id for row_id, __ in changed], [text for __, text in changed],
                ))
            counts[table] = len(changed)
        self.env.invalidate_all()
        partners = self.sudo().with_context(active_test=False).browse(partner_ids).exists()
        # Token expiries are whole seconds: one issued during the current second is a new one.
        revoked_at = fields.Datetime.now() - timedelta(seconds=1)
        partners.write({"bank_collect_tokens_revoked_at": revoked_at, "signup_type": False})
        _logger.info(
            "bank collection: signup links removed from %s messages and %s mails; tokens of %s contacts revoked",
            counts["mail_message"], counts["mail_mail"], len(partners),
        )
        return partners

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

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..exceptions import BankCollectError
from .bank_collect_issue import USER_ACTION_KINDS

# The strong authentication of a connection is renewed this many days before it ends (BC-11).
REAUTH_NOTICE_DAYS = 14
# At most one re-authentication e-mail per connection in this many days.
REAUTH_MAIL_INTERVAL_DAYS = 3


class BankCollectItem(models.Model):
    """A connection of a contact to a bank at the aggregator (Bridge calls it an item, BC-16)."""

    _name = "bank.collect.item"
    _description = "Bank connection"
    _order = "partner_id, id"
    _rec_name = "remote_id"

    provider_id = fields.Many2one("bank.collect.provider", required=True, readonly=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="provider_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        "res.partner", string="Account owner", required=True, readonly=True, ondelete="restrict"
    )
    remote_id = fields.Char(string="Connection", required=True, readonly=True)
    bank_remote_id = fields.Char(string="Bank id", readonly=True)
    bank_name = fields.Char(string="Bank", readonly=True)
    status = fields.Integer(string="Status code", readonly=True)
    status_info = fields.Char(string="Status detail", readonly=True)
    state = fields.Selection(
        [("ok", "OK"), ("user_action", "Owner must reconnect"), ("error", "Error")],
        compute="_compute_state", store=True,
    )
    status_date = fields.Datetime(
        string="Status known at", readonly=True, copy=False,
        help="When the status was read from the aggregator or sent by it: an older event changes nothing.",
    )
    last_refresh = fields.Datetime(string="Last refresh", readonly=True)
    authentication_expires_at = fields.Datetime(string="Authentication ends", readonly=True)
    reauth_mail_date = fields.Datetime(
        string="Last re-authentication e-mail", readonly=True, copy=False,
        help="Re-authentication e-mails of a connection are sent at most once every 3 days.",
    )
    account_ids = fields.One2many("bank.collect.account", "connection_id", string="Accounts")

    _sql_constraints = [
        ("remote_unique", "UNIQUE(provider_id, remote_id)", "A bank connection is recorded once per aggregator."),
    ]

    @api.depends("status", "provider_id")
    def _compute_state(self):
        for item in self:
            kind = item.provider_id._bank_collect_item_issue_kind(item.status) if item.provider_id else False
            if not kind:
                item.state = "ok"
            else:
                item.state = "user_action" if kind in USER_ACTION_KINDS else "error"

    @api.depends("remote_id", "bank_name")
    def _compute_display_name(self):
        for item in self:
            item.display_name = f"{item.bank_name} ({item.remote_id})" if item.bank_name else item.remote_id

    @api.model
    def _bank_collect_upsert(self, provider, partner, items):
        """Create or refresh the connections of ``items`` (the provider's dict by item id) in one
        search; returns {item id: record}."""
        if not items:
            return {}
        existing = {
            item.remote_id: item
            for item in self.sudo().search([("provider_id", "=", provider.id), ("remote_id", "in", list(items))])
        }
        to_create = []
        # The status was read now: events dated before this no longer change it.
        now = fields.Datetime.now()
        unchanged = self.sudo().browse()
        for remote_id, data in items.items():
            vals = {
                "partner_id": partner.id,
                "bank_remote_id": data.get("provider_id") and str(data["provider_id"]) or False,
                "status": data["status"],
                "status_info": data.get("status_info") or False,
                "last_refresh": data.get("last_refresh") or False,
                "authentication_expires_at": data.get("authentication_expires_at") or False,
            }
            item = existing.get(remote_id)
            if item:
                changed = {
                    key: value for key, value in vals.items()
                    if (item[key].id if key == "partner_id" else item[key]) != value
                }
                if changed:
                    item.write({**changed, "status_date": now})
                else:
                    unchanged |= item
            else:
                to_create.append({**vals, "provider_id": provider.id, "remote_id": remote_id, "status_date": now})
        unchanged.write({"status_date": now})
        for item in self.sudo().create(to_create):
            existing[item.remote_id] = item
        return existing

    def _needs_owner(self):
        """Connections the owner must renew: the bank refuses them, or their strong
        authentication ends within 14 days."""
        soon = fields.Datetime.now() + timedelta(days=REAUTH_NOTICE_DAYS)
        return self.filtered(
            lambda item: item.state == "user_action"
            or (item.authentication_expires_at and item.authentication_expires_at <= soon)
        )

    def _mail_due(self):
        """Connections whose last re-authentication e-mail is more than 3 days old."""
        limit = fields.Datetime.now() - timedelta(days=REAUTH_MAIL_INTERVAL_DAYS)
        return self.filtered(lambda item: not item.reauth_mail_date or item.reauth_mail_date <= limit)

    def _bank_collect_fill_bank_names(self):
        """Ask the aggregator the names of the banks not known yet (one call per bank)."""
        for provider in self.provider_id:
            items = self.filtered(
                lambda i, provider=provider: i.provider_id == provider and not i.bank_name and i.bank_remote_id
            )
            if not items:
                continue
            try:
                names = provider._bank_collect_bank_names(set(items.mapped("bank_remote_id")))
            except BankCollectError:
                continue  # only a label: the screen shows the bank id meanwhile
            for item in items:
                if names.get(item.bank_remote_id):
                    item.bank_name = names[item.bank_remote_id]

    def _journal_for_funnel(self):
        self.ensure_one()
        journal = self.account_ids.journal_id[:1]
        if not journal:
            raise UserError(self.env._(
                "No journal is fed by connection %(connection)s: link one of its accounts to a journal first.",
                connection=self.display_name,
            ))
        return journal

    def action_renew(self):
        """Open the aggregator's funnel on this connection so that its owner logs in again."""
        self.ensure_one()
        # The funnel is opened with the aggregator's credentials (sudo): check the caller first.
        self.check_access("read")
        journal = self._journal_for_funnel()
        journal._bank_collect_check_caller(configuration=True)
        try:
            return journal._bank_collect_connect_action(self.provider_id, item_id=self.remote_id)
        except BankCollectError as error:
            raise UserError(error.message) from None

    def action_delete(self):
        """Delete the connection at the aggregator (its accounts and transactions there go with
        it). Journals stop being collected; lines already imported stay."""
        # Checked first: nothing may be deleted at the aggregator by someone who cannot delete here.
        self.check_access("unlink")
        for item in self:
            try:
                item.provider_id._bank_collect_delete_item(item.partner_id, item.remote_id)
            except BankCollectError as error:
                raise UserError(error.message) from None
            journals = item.account_ids.journal_id
            item.account_ids.write({"journal_id": False, "item_status": 0})
            journals.write({"bank_collect_link_state": "not_linked"})
            self.env["bank.collect.log"]._log(
                "connection_deleted", "success", journal=journals[:1], partner=item.partner_id,
                item_ref=item.remote_id, company=item.company_id,
                detail=self.env._("Connection %(connection)s deleted at the aggregator.", connection=item.display_name),
            )
        self.sudo().unlink()
        return True

    @api.model
    def _cron_bank_collect_reauth_reminders(self):
        """E-mail the owners of the connections to renew (BC-11), at most once every 3 days."""
        now = fields.Datetime.now()
        items = self.sudo().search([
            ("account_ids.journal_id", "!=", False),
            "|", ("state", "=", "user_action"),
            ("authentication_expires_at", "<=", now + timedelta(days=REAUTH_NOTICE_DAYS)),
            "|", ("reauth_mail_date", "=", False),
            ("reauth_mail_date", "<=", now - timedelta(days=REAUTH_MAIL_INTERVAL_DAYS)),
        ])
        journals = items.account_ids.journal_id.filtered(
            lambda j: j.bank_collect_link_state == "attached" and j.bank_collect_partner_id
        )
        for journal in journals:
            journal._bank_collect_send_reauth_mail(automatic=True)
        return len(journals)

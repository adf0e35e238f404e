from odoo import api, fields, models
from odoo.http import request

LOG_EVENTS = [
    ("connect_session", "Connect session created"),
    ("callback", "Connect callback"),
    ("webhook", "Webhook received"),
    ("sync", "Collection"),
    ("connection_deleted", "Connection deleted"),
]


class BankCollectLog(models.Model):
    """Journal of the bank connection events (BC-14): Bridge requires the integrator to keep
    who connected what, when and from where."""

    _name = "bank.collect.log"
    _description = "Bank connection log"
    _order = "id desc"
    _rec_name = "event"

    event = fields.Selection(LOG_EVENTS, required=True, readonly=True, index=True)
    result = fields.Selection(
        [("success", "Success"), ("failure", "Failure"), ("refused", "Refused")],
        required=True, readonly=True, index=True,
    )
    date = fields.Datetime(string="Time", required=True, readonly=True, default=fields.Datetime.now, index=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True, ondelete="cascade")
    user_id = fields.Many2one("res.users", readonly=True, ondelete="set null")
    partner_id = fields.Many2one("res.partner", string="Contact", readonly=True, ondelete="set null")
    journal_id = fields.Many2one("account.journal", readonly=True, ondelete="set null", index=True)
    item_ref = fields.Char(string="Connection", readonly=True, help="Aggregator connection (item) id.")
    ip_address = fields.Char(string="IP address", readonly=True)
    detail = fields.Text(readonly=True)

    @api.model
    def _webhook_refusal_logged_since(self, ip_address, interval):
        """Whether a refused webhook call from `ip_address` was logged within `interval` (timedelta)."""
        return bool(self.sudo().search_count([
            ("event", "=", "webhook"), ("result", "=", "refused"), ("ip_address", "=", ip_address),
            ("date", ">=", fields.Datetime.now() - interval),
        ], limit=1))

    @api.model
    def _log(self, event, result, journal=None, partner=None, item_ref=None, detail=None, company=None):
        """Record one event; the user and IP address are those of the current request."""
        journal = journal.sudo() if journal else self.env["account.journal"]
        partner = partner or journal.bank_collect_partner_id
        company = company or journal.company_id
        return self.sudo().create({
            "event": event,
            "result": result,
            "company_id": company.id if company else False,
            "user_id": self.env.uid,
            "partner_id": partner.id if partner else False,
            "journal_id": journal.id or False,
            "item_ref": item_ref and str(item_ref) or False,
            "ip_address": request.httprequest.remote_addr if request else False,
            "detail": detail or False,
        })

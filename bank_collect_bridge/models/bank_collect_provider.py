from odoo import fields, models


class BankCollectProvider(models.Model):
    """Credentials and options of the bank aggregator used by one company (BC-1)."""

    _name = "bank.collect.provider"
    _description = "Bank collection provider"
    _order = "company_id, id"

    name = fields.Char(required=True, default="Bridge")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, ondelete="cascade"
    )
    provider = fields.Selection([("bridge", "Bridge API (Bankin')")], required=True, default="bridge")
    api_url = fields.Char(string="API URL", required=True, default="https://api.bridgeapi.io")
    client_id = fields.Char(string="Client ID", groups="base.group_system")
    client_secret = fields.Char(string="Client Secret", groups="base.group_system")
    active = fields.Boolean(default=True)
    auto_generate = fields.Boolean(string="Auto-generate statement lines", default=True)
    frequency = fields.Selection(
        [("daily", "Daily"), ("weekly", "Weekly"), ("monthly", "Monthly")],
        required=True,
        default="daily",
    )
    sync_start_date = fields.Date(string="Sync start date")

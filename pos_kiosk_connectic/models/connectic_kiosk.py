from odoo import fields, models


class ConnecticKiosk(models.Model):
    """SFTP access and mapping of one company's payment kiosk (PK-1)."""

    _name = "connectic.kiosk"
    _description = "Connectic payment kiosk"
    _order = "company_id, id"

    name = fields.Char(required=True, default="Kiosk")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, ondelete="cascade"
    )
    active = fields.Boolean(default=True)
    sftp_host = fields.Char(string="SFTP host", required=True, default="localhost")
    sftp_port = fields.Integer(string="SFTP port", required=True, default=22)
    sftp_user = fields.Char(string="SFTP user")
    sftp_password = fields.Char(string="SFTP password", groups="base.group_system")
    sftp_private_key = fields.Text(string="SFTP private key", groups="base.group_system")
    sftp_host_key = fields.Text(string="Server host key")
    path_outbound = fields.Char(string="Customers folder (outbound)", default="outbound")
    path_inbound = fields.Char(string="Payments folder (inbound)", default="inbound")
    path_archive = fields.Char(string="Archive folder", default="archive")
    path_error = fields.Char(string="Error folder", default="error")
    entity_code = fields.Char(string="Entity code")
    journal_cash_id = fields.Many2one(
        "account.journal", string="Cash journal", domain="[('type', 'in', ('cash', 'bank'))]"
    )
    journal_card_id = fields.Many2one(
        "account.journal", string="Card journal", domain="[('type', 'in', ('cash', 'bank'))]"
    )
    journal_cheque_id = fields.Many2one(
        "account.journal", string="Cheque journal", domain="[('type', 'in', ('cash', 'bank'))]"
    )

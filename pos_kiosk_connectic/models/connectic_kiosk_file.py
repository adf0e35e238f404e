from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools.misc import format_amount


class ConnecticKioskFile(models.Model):
    """A payments file received from the kiosk, by name and SHA-256 (PK-3): what happened to it."""

    _name = "connectic.kiosk.file"
    _description = "Kiosk payments file"
    _inherit = ["mail.thread"]
    _order = "create_date desc, id desc"

    name = fields.Char(string="File name", required=True, readonly=True)
    kiosk_id = fields.Many2one("connectic.kiosk", required=True, readonly=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="kiosk_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    # Empty for a file refused for its size: it was never read.
    sha256 = fields.Char(string="SHA-256", readonly=True, index=True)
    size = fields.Integer(string="Size (bytes)", readonly=True)
    origin = fields.Selection(
        [("sftp", "Nightly SFTP import"), ("manual", "Manual upload")], required=True, readonly=True
    )
    user_id = fields.Many2one("res.users", string="Imported by", readonly=True,
                              help="Empty for the nightly import, which belongs to no user.")
    state = fields.Selection(
        [("imported", "Imported"), ("duplicate", "Already imported"), ("rejected", "Rejected")],
        required=True, readonly=True, tracking=True,
    )
    duplicate_of_id = fields.Many2one("connectic.kiosk.file", string="Same file as", readonly=True)
    line_count = fields.Integer(string="Payments", readonly=True)
    amount_total = fields.Monetary(string="Total", readonly=True)
    error_count = fields.Integer(string="Errors", readonly=True)
    error_report = fields.Text(readonly=True)
    remote_path = fields.Char(string="Moved to", readonly=True,
                              help="Where the file was moved on the SFTP server once processed.")
    attachment_id = fields.Many2one("ir.attachment", string="Copy of the file", readonly=True)
    payment_ids = fields.One2many("account.payment", "connectic_file_id", string="Receipts")

    def init(self):
        # A file (same kiosk, name and content) is imported at most once, even by two workers at once.
        self.env.cr.execute("""
            CREATE UNIQUE INDEX IF NOT EXISTS connectic_kiosk_file_imported_once
                ON connectic_kiosk_file (kiosk_id, name, sha256) WHERE state = 'imported'
        """)

    @api.depends("name", "state")
    def _compute_display_name(self):
        states = dict(self._fields["state"].selection)
        for kiosk_file in self:
            kiosk_file.display_name = f"{kiosk_file.name} ({states.get(kiosk_file.state, '')})"

    def _notify_users(self):
        """Tell the users of the kiosk notifications group what became of the file (PK-4)."""
        for kiosk_file in self:
            partners = kiosk_file.kiosk_id._notified_partners()
            if kiosk_file.state == "imported":
                body = self.env._("Kiosk payments file %(name)s imported: %(count)s receipts, total %(total)s, "
                                  "waiting in the collection draft.", name=kiosk_file.name, count=kiosk_file.line_count,
                                  total=kiosk_file._format_total())
            elif kiosk_file.state == "rejected":
                body = self.env._("Kiosk payments file %(name)s rejected, nothing imported: %(count)s error(s). "
                                  "The report is attached to the file record.", name=kiosk_file.name,
                                  count=kiosk_file.error_count)
            else:
                body = self.env._("Kiosk payments file %(name)s was already imported: archived without importing "
                                  "it again.", name=kiosk_file.name)
            body = Markup("<p>%s</p>") % body
            if kiosk_file.state == "rejected":
                body += Markup("<pre>%s</pre>") % kiosk_file.error_report
            kiosk_file.message_post(
                body=body, partner_ids=partners.ids, message_type="notification",
                subtype_xmlid="mail.mt_note",
            )

    def _format_total(self):
        self.ensure_one()
        return format_amount(self.env, self.amount_total, self.currency_id)

    def action_open_payments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("pos_kiosk_connectic.action_connectic_collection_draft")
        action["domain"] = [("connectic_file_id", "=", self.id)]
        action["context"] = {}
        return action

import base64

from odoo import fields, models
from odoo.exceptions import AccessError, UserError


class ConnecticKioskImportWizard(models.TransientModel):
    """Manual upload of a payments file (PK-5): same checks as the nightly import."""

    _name = "connectic.kiosk.import.wizard"
    _description = "Import a kiosk payments file"

    kiosk_id = fields.Many2one(
        "connectic.kiosk", required=True,
        default=lambda self: self.env["connectic.kiosk"].search([("company_id", "=", self.env.company.id)], limit=1),
        domain="[('company_id', 'in', allowed_company_ids)]",
    )
    file = fields.Binary(string="Payments file", required=True)
    filename = fields.Char()
    result_file_id = fields.Many2one("connectic.kiosk.file", readonly=True)
    result_state = fields.Selection(related="result_file_id.state")
    result_report = fields.Text(related="result_file_id.error_report")

    def action_import(self):
        self.ensure_one()
        if not self.file:
            raise UserError(self.env._("Choose the payments file to import."))
        self._check_kiosk_access()
        name = self.filename or self.env._("manual upload")
        kiosk = self.kiosk_id.with_company(self.kiosk_id.company_id)
        kiosk_file = kiosk._import_file(name, base64.b64decode(self.file), origin="manual", owner=self.env.user)
        self.result_file_id = kiosk_file
        if kiosk_file.state == "imported":
            return kiosk_file.sudo(False).action_open_payments()
        return {
            "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
            "view_mode": "form", "target": "new", "name": self.env._("Import a kiosk payments file"),
        }

    def _check_kiosk_access(self):
        """The import runs as superuser on the wizard's kiosk, which a JSON-RPC caller may set to any id:
        only an invoicing user who can read that kiosk, in one of his current companies, may import."""
        if self.env.su:
            return
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only invoicing users may import kiosk payments files."))
        self.kiosk_id.check_access("read")
        if self.kiosk_id.company_id not in self.env.companies:
            raise AccessError(self.env._(
                "Kiosk %(kiosk)s belongs to company %(company)s, which is not among your current companies.",
                kiosk=self.kiosk_id.name, company=self.kiosk_id.company_id.name,
            ))

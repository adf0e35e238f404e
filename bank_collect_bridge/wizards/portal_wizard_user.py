from odoo import models


class PortalWizardUser(models.TransientModel):
    _inherit = "portal.wizard.user"

    def _send_email(self):
        """Odoo's welcome e-mail carries the contact's signup token; stored as usual, it stays
        readable as a message by whoever granted the access (its author and creator). Same
        e-mail, sent to the contact only and kept nowhere. Skipped when the bank invitation sent
        right after carries the signup link itself."""
        self.ensure_one()
        if self.env.context.get("bank_collect_skip_welcome"):
            return True
        template = self.env.ref("portal.mail_template_data_portal_welcome", raise_if_not_found=False)
        if not template:
            return super()._send_email()
        lang = self.user_id.sudo().lang
        partner = self.user_id.sudo().partner_id
        portal_url = partner.with_context(
            signup_force_type_in_url="", lang=lang
        )._get_signup_url_for_action()[partner.id]
        partner.signup_prepare()
        template.with_context(
            dbname=self.env.cr.dbname, portal_url=portal_url, lang=lang
        )._bank_collect_send_private(self.id)
        return True

from odoo import SUPERUSER_ID, Command, models
from odoo.exceptions import UserError


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _bank_collect_send_private(self, res_id, partner=None):
        """Send the template rendered on ``res_id`` now, to its own recipients only, and keep no
        copy: for e-mails whose link carries a signup token. A stored mail would be readable as
        a message by whoever can read its record, its author or its creator, so this one is
        attached to no record, has no author, is created by the superuser, has no carbon copy,
        and is deleted once sent. A failed send raises, so the transaction (and the mail with
        its token) is rolled back."""
        self.ensure_one()
        values = self._generate_template(
            [res_id], ("subject", "body_html", "email_from", "email_to", "reply_to", "mail_server_id"),
        )[res_id]
        mail = self.env["mail.mail"].with_user(SUPERUSER_ID).create({
            "subject": values.get("subject") or False,
            # The message part stays empty: only the outgoing body carries the link.
            "body": False,
            "body_html": values.get("body_html") or False,
            "email_from": values.get("email_from") or self.env.company.email_formatted
            or self.env.user.email_formatted,
            "email_to": values.get("email_to") or False,
            "reply_to": values.get("reply_to") or False,
            "mail_server_id": values.get("mail_server_id") or False,
            "recipient_ids": [Command.set(partner.ids)] if partner else [],
            "model": False,
            "res_id": False,
            "author_id": False,
            "auto_delete": True,
            "message_type": "email_outgoing",
        })
        mail.send(raise_exception=False)
        if mail.exists() and mail.state == "exception":
            raise UserError(self.env._(
                "The e-mail «%(subject)s» could not be sent (%(reason)s): nothing was changed, try again later.",
                subject=mail.subject or "", reason=mail.failure_reason or mail.failure_type or "",
            ))
        return True

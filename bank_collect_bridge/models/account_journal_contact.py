import logging

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import UserError

from ..exceptions import BankCollectError
from .bank_collect_issue import USER_ACTION_KINDS

_logger = logging.getLogger(__name__)

PORTAL_PATH = "/my/bank-accounts"


class AccountJournal(models.Model):
    """The journal's client contact: invitation to connect the bank (BC-12), re-authentication
    e-mails (BC-11), what the contact sees on the portal (BC-13) and the connection log (BC-14)."""

    # A second extension of account.journal next to models/account_journal.py, by feature. It
    # overrides none of that file's methods: the collection calls its steps explicitly.
    _inherit = "account.journal"  # pylint: disable=consider-merging-classes-inherited

    bank_collect_collaborator_id = fields.Many2one(
        "res.users", string="Collaborator", readonly=True, copy=False,
        help="Who attached the contact: copied on the e-mails sent to the contact.",
    )
    # Shown to the customer on the portal: plain words.
    bank_collect_connection_state = fields.Selection(
        [("to_connect", "Not connected yet"), ("connected", "Connected"), ("reauth", "Your bank asks you to reconnect"),
         ("detached", "No longer collected")],
        string="Bank connection", compute="_compute_bank_collect_connection_state",
    )

    def _compute_bank_collect_connection_state(self):
        for journal in self:
            connections = journal.sudo().bank_collect_account_ids.connection_id
            if journal.bank_collect_link_state == "detached":
                journal.bank_collect_connection_state = "detached"
            elif not journal.sudo().bank_collect_account_ids:
                journal.bank_collect_connection_state = "to_connect"
            elif connections._needs_owner():
                journal.bank_collect_connection_state = "reauth"
            else:
                journal.bank_collect_connection_state = "connected"

    def _bank_collect_bank_name(self):
        """The bank's name for the customer: the aggregator's name of the connected bank, else
        the bank recorded on the journal's account number; empty when neither is known."""
        self.ensure_one()
        journal = self.sudo()
        names = journal.bank_collect_account_ids.connection_id.filtered("bank_name").mapped("bank_name")
        return names[0] if names else (journal.bank_account_id.bank_id.name or "")

    # ------------------------------------------------------------------
    # Invitation, attach / detach (BC-12)
    # ------------------------------------------------------------------
    def _bank_collect_portal_url(self, with_token=True):
        """Link of the e-mails: the contact's bank accounts page, through the signup page (with
        the contact's signup token) while the contact has not chosen a password yet. Without
        token for every copy that is not the contact's own e-mail."""
        self.ensure_one()
        partner = self.bank_collect_partner_id.sudo()
        path = f"{PORTAL_PATH}?journal={self.id}"
        if with_token and partner.user_ids and not any(partner.user_ids.mapped("login_date")):
            if not partner.signup_type:
                partner.signup_prepare()
            return partner._get_signup_url_for_action(url=path)[partner.id]
        return f"{self.get_base_url()}{path}"

    def _bank_collect_ensure_portal_access(self):
        """The contact must be able to open the page the e-mail links to: a contact without a
        user gets portal access through Odoo's portal wizard (in the journal's company), without
        Odoo's welcome e-mail since the invitation carries the signup link."""
        for journal in self:
            partner = journal.bank_collect_partner_id.sudo()
            if partner.user_ids:
                continue
            lines = partner.with_company(journal.company_id)._bank_collect_portal_wizard_users()
            for line in lines.filtered(lambda line: not (line.is_portal or line.is_internal)):
                line.with_context(bank_collect_skip_welcome=True).action_grant_access()

    def _bank_collect_check_contact(self):
        for journal in self:
            partner = journal.bank_collect_partner_id
            if not partner:
                raise UserError(self.env._(
                    "Journal %(journal)s has no attached contact: choose the client who owns the bank access.",
                    journal=journal.display_name,
                ))
            if not partner.email:
                raise UserError(self.env._(
                    "Contact %(contact)s of journal %(journal)s has no e-mail address.",
                    contact=partner.display_name, journal=journal.display_name,
                ))

    def _bank_collect_send_template(self, xmlid, collaborator):
        """Send the template to the attached contact alone, at once, keeping no copy: its link
        may carry the contact's signup token. The journal gets a note with the same text and a
        link without token, of which the collaborator is notified (their copy)."""
        self.ensure_one()
        template = self.env.ref(xmlid).sudo()
        template.with_context(bank_collect_url=self._bank_collect_portal_url())._bank_collect_send_private(
            self.id, partner=self.bank_collect_partner_id
        )
        plain = template.with_context(bank_collect_url=self._bank_collect_portal_url(with_token=False))
        subject = plain._render_field("subject", [self.id], compute_lang=True)[self.id]
        body = plain._render_field("body_html", [self.id], compute_lang=True)[self.id]
        notice = Markup("<p>%s</p>") % self.env._(
            "E-mail «%(subject)s» sent to %(contact)s. Copy below; the contact's own link may include "
            "their sign-in token and is sent to them only.",
            subject=subject, contact=self.bank_collect_partner_id.display_name,
        )
        self.sudo().message_post(
            body=notice + Markup(body or ""), subtype_xmlid="mail.mt_note",
            partner_ids=collaborator.partner_id.ids if collaborator else [],
        )

    def action_bank_collect_attach(self):
        """«To attach»: the contact is invited to connect the bank (e-mail, collaborator in copy),
        or, when the contact's bank is already connected, the collection simply resumes."""
        # Configuration: it chooses who owns the bank access and may open them a portal account.
        self._bank_collect_check_caller("write", configuration=True)
        self._bank_collect_check_source()
        self._bank_collect_check_contact()
        resumed, invited = self.browse(), self.browse()
        for journal in self:
            journal.bank_collect_collaborator_id = self.env.user
            provider = journal._bank_collect_provider()
            known = self.env["bank.collect.account"].sudo().search([
                ("provider_id", "=", provider.id), ("partner_id", "=", journal.bank_collect_partner_id.id),
                ("journal_id", "in", [False, journal.id]),
            ])
            match = journal.bank_collect_account_ids or journal._bank_collect_match_accounts(provider, known)
            if match:
                journal._bank_collect_link(match)
                journal._bank_collect_request_sync()
                resumed |= journal
                continue
            journal.bank_collect_link_state = "to_attach"
            journal._bank_collect_ensure_portal_access()
            journal._bank_collect_send_template(
                "bank_collect_bridge.mail_template_bank_collect_invitation", self.env.user
            )
            invited |= journal
        notify = self.env["bank.collect.provider"]._notification
        if invited:
            return notify(self.env._("Mail sent"), self.env._(
                "Invitation to connect the bank sent to %(contacts)s.",
                contacts=", ".join(invited.bank_collect_partner_id.mapped("display_name")),
            ), "success")
        return notify(self.env._("Collection resumed"), self.env._(
            "%(journals)s: the bank is already connected, the collection resumes.",
            journals=", ".join(resumed.mapped("display_name")),
        ), "success")

    # ------------------------------------------------------------------
    # Re-authentication (BC-11)
    # ------------------------------------------------------------------
    def _bank_collect_send_reauth_mail(self, automatic=False, collaborator=None):
        """E-mail the attached contact a link to log in to the bank again. Automatic e-mails go
        at most once every 3 days per connection; returns whether an e-mail was sent."""
        self.ensure_one()
        journal = self.sudo()
        if not journal.bank_collect_partner_id.email:
            return False
        connections = journal.bank_collect_account_ids.connection_id
        if automatic:
            if connections and not connections._mail_due():
                return False
            collaborator = journal.bank_collect_collaborator_id
        try:
            with self.env.cr.savepoint():
                if not automatic:
                    journal._bank_collect_ensure_portal_access()
                journal._bank_collect_send_template(
                    "bank_collect_bridge.mail_template_bank_collect_reauth", collaborator
                )
        except UserError as error:
            if not automatic:
                raise
            # A mail server down must not stop the collection: the reminder is tried again later.
            _logger.warning("bank collection: re-authentication e-mail of journal %s not sent: %s", self.id, error)
            return False
        connections.reauth_mail_date = fields.Datetime.now()
        return True

    def action_bank_collect_send_reauth(self):
        """«Change password»: send the re-authentication e-mail now, the collaborator in copy."""
        # Configuration, like the invitation: it may open the contact a portal account.
        self._bank_collect_check_caller(configuration=True)
        self._bank_collect_check_contact()
        for journal in self:
            if not journal.bank_collect_account_ids:
                raise UserError(self.env._(
                    "Journal %(journal)s is not connected to a bank account yet: use «Attach» to invite the contact.",
                    journal=journal.display_name,
                ))
            journal._bank_collect_send_reauth_mail(collaborator=self.env.user)
        return self.env["bank.collect.provider"]._notification(self.env._("Mail sent"), self.env._(
            "Re-authentication e-mail sent to %(contacts)s.",
            contacts=", ".join(self.bank_collect_partner_id.mapped("display_name")),
        ), "success")

    def _bank_collect_tell_owner(self, kind):
        """After an issue only the account owner can fix: record the connection's status so that
        the portal offers to re-authenticate, then e-mail the owner."""
        if kind in USER_ACTION_KINDS and self.bank_collect_partner_id and self.bank_collect_account_ids:
            try:
                self._bank_collect_refresh_accounts(
                    self._bank_collect_provider(), self.bank_collect_account_ids[0].partner_id
                )
            except BankCollectError as error:
                _logger.info("bank collection: connections of journal %s not refreshed: %s", self.id, error.message)
            self._bank_collect_send_reauth_mail(automatic=True)

    # ------------------------------------------------------------------
    # Connection log (BC-14)
    # ------------------------------------------------------------------
    def _bank_collect_log_connect(self, item_id, error=None):
        if error:
            self.env["bank.collect.log"]._log(
                "connect_session", "failure", self, item_ref=item_id, detail=error.message
            )
            return
        self.env["bank.collect.log"]._log(
            "connect_session", "success", self, item_ref=item_id,
            detail=self.env._("Re-authentication of the connection") if item_id else self.env._("New connection"),
        )

    def _bank_collect_log_run(self, result):
        self.env["bank.collect.log"]._log(
            "sync", "success" if result["ok"] else "failure", self,
            item_ref=",".join(sorted(set(self.sudo().bank_collect_account_ids.mapped("item_id")))),
            detail=result["message"],
        )

    # ------------------------------------------------------------------
    # Portal (BC-13)
    # ------------------------------------------------------------------
    def _bank_collect_portal_domain(self, partner):
        """Journals a portal contact may see: attached to them or to their company."""
        return [
            ("bank_statements_source", "=", "bank_collect"),
            ("bank_collect_partner_id", "in", [partner.id, partner.commercial_partner_id.id]),
            ("bank_collect_link_state", "!=", "detached"),
        ]

import logging

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import request

from ..exceptions import BankCollectError

_logger = logging.getLogger(__name__)


class BankCollectController(http.Controller):
    """End of the aggregator's connect funnel (BC-4): check the signed context, record the
    connection's accounts, match the journal's IBAN or let the user pick the account."""

    def _journal_url(self, journal):
        return f"/odoo/action-account.action_account_journal_form/{journal.id}" if journal else "/odoo"

    def _render(self, journal, title, message, level="success", accounts=None, signed=None):
        return request.render("bank_collect_bridge.bank_collect_connect_page", {
            "title": title,
            "message": message,
            "level": level,
            "journal": journal,
            "journal_url": self._journal_url(journal),
            "accounts": accounts,
            "signed_context": signed,
        })

    def _checked_journal(self, signed):
        journal = request.env["account.journal"]._bank_collect_check_context(signed)
        # The funnel continues a Synchro: whoever may click it (an Invoicing user of the
        # journal's company) may finish it; the link is written with sudo() after this check.
        journal._bank_collect_check_caller()
        return journal

    def _offer_accounts(self, journal, provider, signed):
        """Link the journal to the account with its IBAN, else show the accounts to choose from."""
        partner = journal.bank_collect_partner_id
        accounts, __ = journal._bank_collect_refresh_accounts(provider, partner)
        match = journal._bank_collect_match_accounts(provider, accounts)
        if match:
            return self._link_and_confirm(journal, match)
        types = journal._bank_collect_types()
        choices = accounts.filtered(lambda a: not types or a.account_type in types)
        if not choices:
            return self._render(journal, request.env._("No account to attach"), request.env._(
                "The connected bank shows no account of the types collected by journal %(journal)s (%(types)s).",
                journal=journal.display_name, types=journal.bank_collect_account_types or "",
            ), level="warning")
        return self._render(journal, request.env._("Choose the bank account"), request.env._(
            "No account of the bank has the IBAN of journal %(journal)s (%(iban)s): choose the account it collects.",
            journal=journal.display_name, iban=journal._bank_collect_iban() or request.env._("none"),
        ), level="info", accounts=choices, signed=signed)

    @http.route("/bank_collect/callback", type="http", auth="user", methods=["GET"])
    def bank_collect_callback(self, item_id=None, success=None, step=None, user_uuid=None, **params):
        # The aggregator echoes our signed token in `context`.
        signed = params.get("context")
        try:
            journal = self._checked_journal(signed)
        except (UserError, AccessError) as error:
            return self._refused(error)
        provider = journal._bank_collect_provider()
        partner = journal.bank_collect_partner_id
        _logger.info(
            "bank collection: connect callback for journal %s by user %s: item %s success=%s step=%s",
            journal.id, request.env.uid, item_id, success, step,
        )
        if user_uuid and user_uuid != partner.sudo().bank_collect_user_uuid:
            return self._render(journal, request.env._("Bank connection refused"), request.env._(
                "This connection belongs to another aggregator user than the contact of journal %(journal)s.",
                journal=journal.display_name,
            ), level="danger")
        if success != "true":
            return self._render(journal, request.env._("Bank connection not completed"), request.env._(
                "The connection to the bank was not completed (step: %(step)s). Click Synchro on journal "
                "%(journal)s to try again.", step=step or request.env._("unknown"), journal=journal.display_name,
            ), level="warning")
        try:
            return self._offer_accounts(journal, provider, signed)
        except BankCollectError as error:
            journal._bank_collect_record_issue(error.kind, error.message)
            return self._render(journal, request.env._("Bank connection failed"), error.message, level="danger")

    @http.route("/bank_collect/choose", type="http", auth="user", methods=["GET"])
    def bank_collect_choose(self, **params):
        """Account choice without the funnel, when the contact's bank is already connected."""
        signed = params.get("context")
        try:
            journal = self._checked_journal(signed)
            return self._offer_accounts(journal, journal._bank_collect_provider(), signed)
        except (UserError, AccessError) as error:
            return self._refused(error)
        except BankCollectError as error:
            return self._render(None, request.env._("Bank connection failed"), error.message, level="danger")

    @http.route("/bank_collect/choose", type="http", auth="user", methods=["POST"])
    def bank_collect_choose_post(self, account_id=None, **params):
        signed = params.get("context")
        try:
            journal = self._checked_journal(signed)
        except (UserError, AccessError) as error:
            return self._refused(error)
        provider = journal._bank_collect_provider()
        account = request.env["bank.collect.account"].sudo().search([
            ("provider_id", "=", provider.id), ("partner_id", "=", journal.bank_collect_partner_id.id),
            ("id", "=", int(account_id) if (account_id or "").isdigit() else 0),
        ])
        if not account:
            return self._render(journal, request.env._("Choose the bank account"), request.env._(
                "Choose one of the accounts listed for journal %(journal)s.", journal=journal.display_name,
            ), level="danger")
        return self._link_and_confirm(journal, account)

    def _refused(self, error):
        """The signed context was altered, expired, or is another user's."""
        return self._render(None, request.env._("Bank connection refused"), str(error), level="danger")

    def _link_and_confirm(self, journal, account):
        """Feed the journal from the remote account, collect in the background, say so."""
        journal._bank_collect_link(account)
        journal._bank_collect_request_sync()
        return self._render(journal, request.env._("Bank account connected"), request.env._(
            "Journal %(journal)s is now fed by account %(account)s. Its transactions are being collected: "
            "they will appear in the journal in a few moments.",
            journal=journal.display_name, account=account.display_name,
        ))

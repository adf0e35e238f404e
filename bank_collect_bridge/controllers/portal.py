import logging
from datetime import timedelta

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, UserError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..exceptions import BankCollectError
from .main import BankCollectController

_logger = logging.getLogger(__name__)

# Connect sessions a portal user may open per minute (each one is a request to the aggregator).
CONNECT_RATE_LIMIT = 3
CONNECT_RATE_INTERVAL = timedelta(minutes=1)


def _portal_journals():
    """Bank journals the logged-in contact may see and connect (read with sudo: portal users
    have no access to journals; the domain is the access check)."""
    Journal = request.env["account.journal"]
    return Journal.sudo().search(Journal._bank_collect_portal_domain(request.env.user.partner_id), order="name, id")


class BankCollectPortal(CustomerPortal):
    """/my/bank-accounts: the client contact connects and re-authenticates the bank accounts
    attached to them (BC-13)."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "bank_collect_journal_count" in counters:
            values["bank_collect_journal_count"] = len(_portal_journals())
        return values

    def _bank_collect_journal(self, journal_id):
        journal = _portal_journals().filtered(lambda j: j.id == journal_id)
        if not journal:
            raise NotFound()
        return journal

    def _bank_collect_texts(self, journals, selected):
        """The page's sentences naming the firm and the bank, written here so that each is one
        whole sentence to translate."""
        env = request.env
        firm = (selected or journals[:1]).company_id.name or env.company.name
        texts = {"intro": env._(
            "Connecting your bank lets %(firm)s receive this account's transactions automatically: Bridge by "
            "Bankin', a regulated bank aggregator, reads the account on %(firm)s's behalf, read only, and your "
            "bank password is never given to %(firm)s.", firm=firm,
        )}
        if selected:
            bank = selected._bank_collect_bank_name()
            account = f"{selected.name} ({bank})" if bank else selected.name
            texts["funnel_text"] = env._(
                "You will now log in to your bank through Bridge by Bankin' for the account %(account)s, with the "
                "credentials you use on your bank's website.", account=account,
            )
            texts["confirm_text"] = {
                "to_connect": env._(
                    "%(firm)s asks you to connect the account %(account)s.", firm=firm, account=account,
                ),
                "reauth": env._("Your bank asks you to log in again for the account %(account)s.", account=account),
                "connected": env._("The account %(account)s is connected: nothing more to do.", account=account),
                "detached": env._("The account %(account)s is no longer collected.", account=account),
            }[selected.bank_collect_connection_state]
        return texts

    def _bank_collect_render(self, journals=None, selected=None, message=None, level="info", funnel_url=None):
        values = self._prepare_portal_layout_values()
        journals = _portal_journals() if journals is None else journals
        values.update({
            "page_name": "bank_accounts",
            "journals": journals,
            "selected": selected,
            "message": message,
            "level": level,
            "funnel_url": funnel_url,
            **self._bank_collect_texts(journals, selected),
        })
        return request.render("bank_collect_bridge.portal_my_bank_accounts", values)

    def _bank_collect_rate_limited(self):
        """Whether the user opened too many connect sessions lately (counted in the connection
        log, so that every worker sees the same count)."""
        return request.env["bank.collect.log"].sudo().search_count([
            ("event", "=", "connect_session"), ("user_id", "=", request.env.uid),
            ("date", ">=", fields.Datetime.now() - CONNECT_RATE_INTERVAL),
        ], limit=CONNECT_RATE_LIMIT) >= CONNECT_RATE_LIMIT

    @http.route("/my/bank-accounts", type="http", auth="user", website=True, methods=["GET"])
    def portal_my_bank_accounts(self, journal=None, **kw):
        selected = None
        if journal:
            selected = self._bank_collect_journal(int(journal) if str(journal).isdigit() else 0)
        return self._bank_collect_render(selected=selected)

    @http.route("/my/bank-accounts/<int:journal_id>/connect", type="http", auth="user", website=True,
                methods=["POST"])
    def portal_bank_account_connect(self, journal_id, **kw):
        """Open the aggregator's funnel for this journal: a new connection, or the connection
        to renew. When the contact's bank is already connected, straight to the account choice."""
        journal = self._bank_collect_journal(journal_id)
        if self._bank_collect_rate_limited():
            return self._bank_collect_render(selected=journal, level="warning", message=request.env._(
                "You started %(count)s bank connections in the last minute: wait a minute before trying again.",
                count=CONNECT_RATE_LIMIT,
            ))
        try:
            provider = journal._bank_collect_provider()
            connections = journal.bank_collect_account_ids.connection_id
            renew = connections._needs_owner()[:1]
            if renew:
                action = journal._bank_collect_connect_action(provider, item_id=renew.remote_id)
            else:
                action = journal._bank_collect_prepare_connection(provider)
        except (BankCollectError, UserError) as error:
            message = error.message if isinstance(error, BankCollectError) else str(error)
            return self._bank_collect_render(selected=journal, message=message, level="danger")
        if not action:
            journal._bank_collect_request_sync()
            return self._bank_collect_render(selected=journal, level="success", message=request.env._(
                "Your bank account %(journal)s is connected: its transactions are being collected.",
                journal=journal.name,
            ))
        if action["url"].startswith("/"):
            return request.redirect(action["url"])
        return self._bank_collect_render(selected=journal, funnel_url=action["url"])


class BankCollectPortalCallback(BankCollectController):
    """The end of the funnel works for the portal contact too (only on their own journals), and
    every callback is logged (BC-14)."""

    def _is_portal_user(self):
        return not request.env.user._is_internal()

    def _checked_journal(self, signed):
        if not self._is_portal_user():
            return super()._checked_journal(signed)
        journal = request.env["account.journal"]._bank_collect_check_context(signed)
        if journal not in _portal_journals():
            raise AccessError(request.env._("This bank account is not attached to you."))
        return journal.sudo()

    def _journal_url(self, journal):
        if self._is_portal_user():
            return "/my/bank-accounts"
        return super()._journal_url(journal)

    @http.route()
    def bank_collect_callback(self, item_id=None, success=None, step=None, user_uuid=None, **params):
        response = super().bank_collect_callback(
            item_id=item_id, success=success, step=step, user_uuid=user_uuid, **params
        )
        journal = None
        try:
            journal = self._checked_journal(params.get("context"))
            result = "success" if success == "true" else "failure"
        except (UserError, AccessError):
            result = "refused"
        detail = request.env._("Connection completed") if result == "success" else request.env._(
            "Connection not completed (step: %(step)s)", step=step or request.env._("unknown")
        )
        if result == "refused":
            detail = request.env._("Callback refused: invalid, expired or foreign connection link")
        request.env["bank.collect.log"]._log("callback", result, journal, item_ref=item_id, detail=detail)
        if journal and result == "success":
            request.env["bank.collect.item"].sudo().search([
                ("partner_id", "=", journal.bank_collect_partner_id.id), ("bank_name", "=", False),
            ])._bank_collect_fill_bank_names()
        return response

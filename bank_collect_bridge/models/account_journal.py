import hashlib
import hmac
import logging
import threading
import time
from datetime import timedelta

import psycopg2.errors
import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..exceptions import BankCollectError
from .bank_collect_issue import SELF_CLEARING_KINDS, USER_ACTION_KINDS
from .bank_collect_transaction import GENERATE_BATCH

_logger = logging.getLogger(__name__)

CONTEXT_VALIDITY_SECONDS = 2 * 3600
NIGHTLY_HOUR = 3
# Rows of a page of the aggregator (the client asks for its largest pages).
PAGE_ROWS = 500
# A click collects inline up to this many rows (one page); a larger collection goes to the background.
INLINE_ROWS = 500
# Time a background run spends before handing over to its next trigger, well within Odoo's
# default limits (120 s real time) on a loaded machine.
BACKGROUND_SECONDS = 40
# Who may act on the bank collection of a journal, with the roles Community shows in the user form
# (its «Show Full Accounting Features» group is hidden and nobody holds it): the everyday
# collection (Synchro, generated lines, pending transactions, forced collection) is the Invoicing
# user's work; linking a journal to a contact or detaching it is the Invoicing administrator's.
EVERYDAY_GROUP = "account.group_account_invoice"
CONFIGURATION_GROUP = "account.group_account_manager"


class AccountJournal(models.Model):
    # The class name matters: Odoo's journal lists its feed sources with a name-mangled method,
    # which only a class called AccountJournal can override.
    _inherit = "account.journal"

    bank_collect_partner_id = fields.Many2one(
        "res.partner", string="Attached contact", tracking=True,
        help="Owner of the bank access: the aggregator user who connects this account.",
    )
    bank_collect_link_state = fields.Selection(
        [("not_linked", "Not linked"), ("to_attach", "Invitation sent"), ("attached", "Attached"),
         ("detached", "Detached")],
        string="Aggregator link", default="not_linked", required=True, copy=False, tracking=True,
    )
    bank_collect_account_ids = fields.One2many("bank.collect.account", "journal_id", string="Remote accounts")
    bank_collect_account_types = fields.Char(
        string="Account types collected", default="checking,savings,card",
        help="Aggregator account types collected, separated by commas: checking, savings, card... "
        "With «card», the deferred-debit cards debited on the account are collected in this journal "
        "and their monthly total on the account is left out.",
    )
    bank_collect_forced_item_id = fields.Char(
        string="Forced bank connection id", help="Aggregator connection (item) id, when IBAN matching fails."
    )
    bank_collect_forced_account_id = fields.Char(
        string="Forced account id", help="Aggregator account id, when IBAN matching fails."
    )
    bank_collect_earlier_into_current = fields.Boolean(
        string="Earlier lines into current statement",
        help="New lines dated before the current statement go into the current statement.",
    )
    bank_collect_use_clean_label = fields.Boolean(
        string="Use cleaned label", help="Label the lines with the aggregator's cleaned label instead of the bank's.",
    )
    bank_collect_card_dating = fields.Selection(
        [("purchase", "Purchase date"), ("debit", "Debit date")], string="Card lines dated by",
        default="purchase", required=True,
        help="Date given to the lines of a deferred-debit card.",
    )
    bank_collect_statement_grouping = fields.Selection(
        [("sync", "One per collection"), ("day", "Day"), ("week", "Week"), ("month", "Month")],
        string="Statements", default="month", required=True,
        help="How collected lines are grouped into bank statements.",
    )
    bank_collect_last_sync = fields.Datetime(string="Last collection", readonly=True, copy=False)
    bank_collect_last_error = fields.Text(string="Last collection error", readonly=True, copy=False)
    bank_collect_nightly_date = fields.Date(readonly=True, copy=False)
    bank_collect_sync_requested = fields.Boolean(
        readonly=True, copy=False, help="Collect at the next run of the collection job."
    )
    bank_collect_balance_difference = fields.Float(string="Balance difference", readonly=True, copy=False)
    bank_collect_opening_balance = fields.Float(
        string="Opening balance (bank)", readonly=True, copy=False,
        help="Bank balance before the first collected transaction: the first statement starts there.",
    )
    # Progress of the running collection (BC-4), committed chunk after chunk.
    bank_collect_progress_state = fields.Selection(
        [("fetch", "Fetching transactions"), ("generate", "Creating statement lines"), ("done", "Done")],
        string="Collection", readonly=True, copy=False,
    )
    bank_collect_progress_fetched = fields.Integer(string="Transactions fetched", readonly=True, copy=False)
    bank_collect_progress_new = fields.Integer(string="Transactions stored", readonly=True, copy=False)
    bank_collect_progress_updated = fields.Integer(readonly=True, copy=False)
    bank_collect_progress_deleted = fields.Integer(readonly=True, copy=False)
    bank_collect_progress_lines = fields.Integer(string="Lines created", readonly=True, copy=False)
    bank_collect_progress_total = fields.Integer(readonly=True, copy=False)
    bank_collect_progress = fields.Integer(string="Progress (%)", compute="_compute_bank_collect_progress")
    bank_collect_first_run = fields.Boolean(readonly=True, copy=False)
    bank_collect_requested_by = fields.Many2one("res.users", readonly=True, copy=False)
    bank_collect_forced_from = fields.Date(readonly=True, copy=False)
    bank_collect_forced_to = fields.Date(readonly=True, copy=False)
    bank_collect_pending_count = fields.Integer(compute="_compute_bank_collect_pending_count")
    bank_collect_issue_count = fields.Integer(compute="_compute_bank_collect_pending_count")

    def __get_bank_statements_available_sources(self):
        sources = super().__get_bank_statements_available_sources()
        sources.append(("bank_collect", self.env._("Bank aggregator")))
        return sources

    def _compute_bank_collect_pending_count(self):
        pending = dict(self.env["bank.collect.transaction"]._read_group(
            [("journal_id", "in", self.ids), ("state", "=", "pending")], ["journal_id"], ["__count"]
        ))
        issues = dict(self.env["bank.collect.issue"]._read_group(
            [("journal_id", "in", self.ids), ("state", "=", "open")], ["journal_id"], ["__count"]
        ))
        for journal in self:
            journal.bank_collect_pending_count = pending.get(journal, 0)
            journal.bank_collect_issue_count = issues.get(journal, 0)

    @api.depends("bank_collect_progress_state", "bank_collect_progress_lines", "bank_collect_progress_total")
    def _compute_bank_collect_progress(self):
        for journal in self:
            if journal.bank_collect_progress_state == "generate" and journal.bank_collect_progress_total:
                # Fetching counts for the first tenth: the number of lines is known only then.
                share = journal.bank_collect_progress_lines / journal.bank_collect_progress_total
                journal.bank_collect_progress = 10 + int(90 * share)
            elif journal.bank_collect_progress_state == "fetch":
                journal.bank_collect_progress = 5
            else:
                journal.bank_collect_progress = 100 if journal.bank_collect_progress_state else 0

    def _fill_bank_cash_dashboard_data(self, dashboard_data):
        result = super()._fill_bank_cash_dashboard_data(dashboard_data)
        for journal in self.filtered(lambda j: j.bank_statements_source == "bank_collect"):
            if journal.id in dashboard_data:
                last_sync = journal.bank_collect_last_sync
                dashboard_data[journal.id].update({
                    "bank_collect_last_sync": last_sync
                    and fields.Datetime.to_string(fields.Datetime.context_timestamp(journal, last_sync))[:16],
                    "bank_collect_last_error": journal.bank_collect_last_error or "",
                    "bank_collect_running": journal.bank_collect_progress_state in ("fetch", "generate"),
                    "bank_collect_progress": journal.bank_collect_progress,
                })
        return result

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _bank_collect_provider(self):
        self.ensure_one()
        provider = self.env["bank.collect.provider"].sudo()._get_active_for_company(self.company_id)
        if not provider:
            raise UserError(self.env._(
                "Company %(company)s has no active bank aggregator: configure one in Accounting > "
                "Configuration > Bank Collection.", company=self.company_id.name,
            ))
        return provider

    def _bank_collect_check_caller(self, operation="read", configuration=False):
        """Refuse, before any sudo() acts for them, a caller who may not act on these journals:
        an Invoicing user (an Invoicing administrator for ``configuration``), with access to every
        journal given, in the companies of the request. Internal flows (cron, portal contact's
        checked journal) run as superuser and pass."""
        if self.env.su:
            return
        if configuration and not self.env.user.has_group(CONFIGURATION_GROUP):
            raise AccessError(self.env._(
                "Only Invoicing administrators can link journals to the bank aggregator or detach them."
            ))
        if not self.env.user.has_group(EVERYDAY_GROUP):
            raise AccessError(self.env._("Only Invoicing users can collect the bank transactions of journals."))
        self.check_access(operation)
        foreign = self.filtered(lambda journal: journal.company_id not in self.env.companies)
        if foreign:
            raise AccessError(self.env._(
                "Journal %(journal)s belongs to company %(company)s, which you are not working in.",
                journal=foreign[0].display_name, company=foreign[0].company_id.name,
            ))

    def _bank_collect_check_source(self):
        for journal in self:
            if journal.bank_statements_source != "bank_collect":
                raise UserError(self.env._(
                    "Journal %(journal)s is not fed by the bank aggregator: set its Bank Feeds to «Bank aggregator».",
                    journal=journal.display_name,
                ))

    def _bank_collect_iban(self):
        return (self.bank_account_id.sanitized_acc_number or "").upper()

    def _bank_collect_types(self):
        return {t.strip() for t in (self.bank_collect_account_types or "").split(",") if t.strip()}

    def _bank_collect_currency(self):
        return self.currency_id or self.company_id.currency_id

    def _bank_collect_sign_context(self, user=None):
        """Short token for the connect funnel's `context` (alphanumerics and dashes, ≤ 100
        characters): binds the session to this journal and user until it expires."""
        self.ensure_one()
        user = user or self.env.user
        expiry = int(time.time()) + CONTEXT_VALIDITY_SECONDS
        payload = f"{self.id}-{user.id}-{expiry}"
        return f"{payload}-{self._bank_collect_context_signature(payload)}"

    @api.model
    def _bank_collect_context_signature(self, payload):
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        return hmac.new(
            secret.encode(), f"bank_collect:{payload}".encode(), hashlib.sha256
        ).hexdigest()[:40]

    @api.model
    def _bank_collect_check_context(self, signed):
        """The journal a signed `context` names, if it is genuine, unexpired and issued to the
        current user; raises UserError otherwise."""
        parts = (signed or "").split("-")
        invalid = UserError(
            self.env._("This bank connection link is invalid or was altered: start again from the journal.")
        )
        if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
            raise invalid
        payload = "-".join(parts[:3])
        if not hmac.compare_digest(parts[3], self._bank_collect_context_signature(payload)):
            raise invalid
        journal_id, user_id, expiry = (int(p) for p in parts[:3])
        if expiry < time.time():
            raise UserError(self.env._("This bank connection link has expired: start again from the journal."))
        if user_id != self.env.uid:
            raise UserError(
                self.env._("This bank connection was started by another user: start again from the journal.")
            )
        journal = self.browse(journal_id).exists()
        if not journal:
            raise invalid
        return journal

    def _bank_collect_callback_url(self):
        return f"{self.get_base_url()}/bank_collect/callback"

    def _bank_collect_partner(self):
        """The contact who owns the bank access; the current user when none is attached yet."""
        self.ensure_one()
        if not self.bank_collect_partner_id:
            # Written with sudo(): Invoicing users only read journals, and the caller was checked.
            self.sudo().bank_collect_partner_id = self.env.user.partner_id
        return self.bank_collect_partner_id

    def _bank_collect_record_issue(self, kind, message):
        self.ensure_one()
        Issue = self.env["bank.collect.issue"].sudo()
        issue = Issue.search([("journal_id", "=", self.id), ("kind", "=", kind), ("state", "=", "open")], limit=1)
        values = {"date": fields.Datetime.now(), "detail": message}
        if issue:
            issue.write(values)
        else:
            issue = Issue.create({"journal_id": self.id, "kind": kind, **values})
        self.sudo().bank_collect_last_error = message
        self._bank_collect_tell_owner(kind)
        return issue

    def _bank_collect_resolve_issues(self, kinds=None):
        domain = [("journal_id", "in", self.ids), ("state", "=", "open")]
        domain.append(("kind", "in", kinds) if kinds else ("kind", "not in", SELF_CLEARING_KINDS))
        self.env["bank.collect.issue"].sudo().search(domain).action_resolve()

    def _bank_collect_lock(self):
        """Row lock held until the end of the transaction, so that two collections of one journal
        (two cron workers, a cron and a click) never run at once; the second is told at once."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM account_journal WHERE id = %s FOR NO KEY UPDATE NOWAIT", [self.id],
                    log_exceptions=False,
                )
        except psycopg2.errors.LockNotAvailable:
            raise BankCollectError("running", self.env._(
                "A collection of journal %(journal)s is already running: try again in a moment.",
                journal=self.display_name,
            )) from None

    # ------------------------------------------------------------------
    # Connect flow (BC-4)
    # ------------------------------------------------------------------
    def _bank_collect_match_accounts(self, provider, remote_accounts):
        """Pick, among the contact's remote accounts, the one this journal collects: the forced
        id, else the account with the journal's IBAN. Returns a bank.collect.account or empty."""
        self.ensure_one()
        candidates = remote_accounts
        if self.bank_collect_forced_item_id:
            candidates = candidates.filtered(lambda a: a.item_id == self.bank_collect_forced_item_id.strip())
        if self.bank_collect_forced_account_id:
            return candidates.filtered(lambda a: a.remote_id == self.bank_collect_forced_account_id.strip())[:1]
        iban = self._bank_collect_iban()
        if not iban:
            return candidates.browse()
        return candidates.filtered(lambda a: a.iban == iban)[:1]

    def _bank_collect_link(self, account):
        """Attach ``account`` (and nothing else) to this journal."""
        self.ensure_one()
        # Written with sudo(): the callers (Synchro, the funnel's end, the portal) checked who
        # asks, and Invoicing users only read journals and remote accounts.
        journal = self.sudo()
        journal.bank_collect_account_ids.filtered(lambda a: a != account).journal_id = False
        account.sudo().journal_id = journal
        journal.bank_collect_link_state = "attached"
        self._bank_collect_resolve_issues(["not_attached"])

    def _bank_collect_refresh_accounts(self, provider, partner):
        """Fetch the contact's connections and accounts from the aggregator and record them."""
        items = provider._bank_collect_fetch_items(partner)
        remote = provider._bank_collect_fetch_accounts(partner)
        return self.env["bank.collect.account"].sudo()._bank_collect_upsert(provider, partner, remote, items), items

    def _bank_collect_connect_action(self, provider, item_id=None):
        try:
            url = provider._bank_collect_connect_url(
                self.bank_collect_partner_id, self._bank_collect_callback_url(), self._bank_collect_sign_context(),
                item_id=item_id,
            )
        except BankCollectError as error:
            self._bank_collect_log_connect(item_id, error)
            raise
        self._bank_collect_log_connect(item_id)
        return {"type": "ir.actions.act_url", "url": url, "target": "new"}

    def _bank_collect_prepare_connection(self, provider):
        """None when the journal can be collected now; otherwise the action the user must take
        (the connect funnel, or the account choice when the bank is already connected)."""
        self.ensure_one()
        if self.bank_collect_account_ids:
            return None
        partner = self._bank_collect_partner()
        if not partner.sudo().bank_collect_user_uuid:
            provider._bank_collect_ensure_user(partner)
            return self._bank_collect_connect_action(provider)
        accounts, items = self._bank_collect_refresh_accounts(provider, partner)
        match = self._bank_collect_match_accounts(provider, accounts)
        if match:
            self._bank_collect_link(match)
            return None
        healthy_items = {
            item for item, data in items.items() if not provider._bank_collect_item_issue_kind(data["status"])
        }
        bank_code = self._bank_collect_iban()[4:9]
        same_bank = accounts.filtered(
            lambda a: a.item_id in healthy_items and bank_code and a._bank_code() == bank_code
        )
        if same_bank:
            # The contact already connected this bank: go straight to the account choice (seed 000).
            return {
                "type": "ir.actions.act_url",
                "url": f"/bank_collect/choose?context={self._bank_collect_sign_context()}",
                "target": "new",
            }
        return self._bank_collect_connect_action(provider)

    def action_bank_collect_sync(self):
        """«Synchro»: collect now when the account is known and healthy, else open the connect
        funnel (ir.actions.act_url). A collection larger than a page goes on in the background.
        Faults are recorded as issues and told in a notification."""
        self.ensure_one()
        self._bank_collect_check_caller()
        self._bank_collect_check_source()
        provider = self._bank_collect_provider()
        notify = self.env["bank.collect.provider"]._notification
        if self.bank_collect_link_state == "detached":
            # Detached on purpose: collecting again is a choice the user makes, never a side effect.
            return notify(self.env._("Journal detached"), self.env._(
                "%(journal)s is detached from its bank account: use «Attach» on the journal to collect it again.",
                journal=self.display_name,
            ), "warning", sticky=True)
        try:
            action = self._bank_collect_prepare_connection(provider)
        except BankCollectError as error:
            self._bank_collect_record_issue(error.kind, error.message)
            return notify(self.env._("Bank collection failed"), error.message, "danger", sticky=True)
        if action:
            return action
        if self.bank_collect_progress_state in ("fetch", "generate"):
            return notify(self.env._("Collection running"), self._bank_collect_progress_message(), "info")
        inline_rows = int(self.env["ir.config_parameter"].sudo().get_param(
            "bank_collect_bridge.inline_rows", INLINE_ROWS))
        result = self._bank_collect_run(inline_rows=inline_rows)
        if result["kind"] == "background":
            return notify(self.env._("Collection started"), result["message"], "info")
        if result["ok"]:
            return notify(self.env._("Bank collection done"), result["message"], "success")
        if result["kind"] == "running":
            return notify(self.env._("Collection running"), result["message"], "warning")
        if result["kind"] in USER_ACTION_KINDS:
            # The bank needs the account owner: reopen the funnel on this connection.
            item_id = self.bank_collect_account_ids[:1].item_id
            try:
                return self._bank_collect_connect_action(provider, item_id=item_id)
            except BankCollectError as error:
                self._bank_collect_record_issue(error.kind, error.message)
        return notify(self.env._("Bank collection failed"), result["message"], "danger", sticky=True)

    def action_bank_collect_detach(self):
        """Stop collecting this journal; lines already imported stay."""
        self._bank_collect_check_caller("write", configuration=True)
        self.bank_collect_account_ids.journal_id = False
        self.bank_collect_link_state = "detached"
        return True

    def action_bank_collect_generate(self):
        """«Generate statement lines» from the pending transactions (BC-6)."""
        self._bank_collect_check_caller()
        self._bank_collect_check_source()
        total = 0
        for journal in self:
            journal._bank_collect_lock()
            total += len(self.env["bank.collect.transaction"].sudo()._bank_collect_generate(journal))
        self.invalidate_recordset(["bank_collect_pending_count", "bank_collect_issue_count"])
        return self.env["bank.collect.provider"]._notification(
            self.env._("Statement lines generated"), self.env._("%(count)s statement lines created.", count=total),
            "success",
        )

    def action_bank_collect_open_pending(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("bank_collect_bridge.bank_collect_transaction_action")
        action["domain"] = [("journal_id", "in", self.ids)]
        action["context"] = {"search_default_pending": 1}
        return action

    def action_bank_collect_open_issues(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("bank_collect_bridge.bank_collect_issue_action")
        action["domain"] = [("journal_id", "in", self.ids)]
        return action

    # ------------------------------------------------------------------
    # Sync engine (BC-5)
    # ------------------------------------------------------------------
    def _bank_collect_run(self, min_date=None, max_date=None, inline_rows=None):
        """Collect this journal here and now, or, past ``inline_rows`` rows, start it and let the
        background job go on. Returns {"ok", "kind", "message", counts...}; a fault rolls back
        what this call wrote and is recorded as an issue."""
        self.ensure_one()
        with self.env["bank.collect.api.log"]._during_collection():
            try:
                with self.env.cr.savepoint():
                    self._bank_collect_begin(min_date=min_date, max_date=max_date)
                    done = False
                    while not done:
                        done = self._bank_collect_step()
                        if not done and inline_rows and self._bank_collect_too_big(inline_rows):
                            break
            except BankCollectError as error:
                self.invalidate_recordset()
                if error.kind != "running":
                    self._bank_collect_record_issue(error.kind, error.message)
                    self.sudo().bank_collect_progress_state = False
                result = {"ok": False, "kind": error.kind, "message": error.message}
            else:
                if done:
                    result = {"ok": True, "kind": False, "message": self._bank_collect_progress_message(),
                              **self._bank_collect_counts()}
                else:
                    self.sudo().bank_collect_requested_by = self.env.user
                    self.env.ref("bank_collect_bridge.ir_cron_bank_collect_background").sudo()._trigger()
                    result = {"ok": True, "kind": "background", "message": self.env._(
                        "%(journal)s: the collection is large and goes on in the background; its progress shows "
                        "on the journal and you will be notified when it is done.", journal=self.display_name,
                    )}
        self._bank_collect_log_run(result)
        return result

    def _bank_collect_too_big(self, inline_rows):
        """Whether the running collection is beyond what a click may wait for: more than a page
        still to fetch, or more pending transactions than ``inline_rows``."""
        if self.bank_collect_progress_state == "fetch":
            next_page = PAGE_ROWS if any(self._bank_collect_collected().mapped("fetch_cursor")) else 0
            return self.bank_collect_progress_fetched + next_page > inline_rows
        return self.bank_collect_progress_total > inline_rows

    def _bank_collect_counts(self):
        return {
            "new": self.bank_collect_progress_new, "updated": self.bank_collect_progress_updated,
            "deleted": self.bank_collect_progress_deleted, "lines": self.bank_collect_progress_lines,
        }

    def _bank_collect_progress_message(self):
        counts = self._bank_collect_counts()
        return self.env._(
            "%(journal)s: %(new)s new transactions, %(lines)s statement lines created, %(updated)s updated, "
            "%(deleted)s deleted.",
            journal=self.display_name, **counts,
        )

    def _bank_collect_collected(self):
        """The remote accounts this journal collects: its own, and the deferred-debit cards
        debited on them unless a journal of their own follows them."""
        main_accounts = self.sudo().bank_collect_account_ids
        collected = main_accounts
        if "card" in self._bank_collect_types():
            collected |= self.env["bank.collect.account"].sudo().search([
                ("parent_id", "in", main_accounts.ids), ("account_type", "=", "card"),
                ("journal_id", "in", [False, self.id]),
            ])
        return collected.filtered(lambda a: a.account_type in self._bank_collect_types() or a in main_accounts)

    def _bank_collect_begin(self, min_date=None, max_date=None):
        """Check the connection, refresh the accounts and set the cursors of a new collection.
        With a date range (forced collection) every transaction dated in it is asked again;
        otherwise only changes since the last collection."""
        self.ensure_one()
        self._bank_collect_lock()
        provider = self._bank_collect_provider()
        if self.bank_collect_link_state == "detached":
            raise BankCollectError("not_attached", self.env._(
                "Journal %(journal)s is detached from the bank aggregator.", journal=self.display_name
            ))
        # The collection records its progress on the remote accounts, which Invoicing users only
        # read: with sudo(), the callers (Synchro, cron, forced collection) having been checked.
        main_accounts = self.bank_collect_account_ids.sudo()
        if not main_accounts:
            raise BankCollectError("not_attached", self.env._(
                "Journal %(journal)s is not attached to a bank account of the aggregator: click Synchro "
                "to connect the bank.", journal=self.display_name,
            ))
        partner = main_accounts[0].partner_id
        items = provider._bank_collect_fetch_items(partner)
        for item_id in set(main_accounts.mapped("item_id")):
            item = items.get(item_id)
            if item is None:
                raise BankCollectError("not_attached", self.env._(
                    "The bank connection of journal %(journal)s was removed at the aggregator: connect the bank again.",
                    journal=self.display_name,
                ))
            kind = provider._bank_collect_item_issue_kind(item["status"])
            if kind:
                raise BankCollectError(kind, self._bank_collect_item_message(kind, item))
        self.env["bank.collect.account"].sudo()._bank_collect_upsert(
            provider, partner, provider._bank_collect_fetch_accounts(partner), items
        )
        self._bank_collect_collected().write({"fetch_todo": True, "fetch_cursor": False, "fetch_latest": False})
        has_lines = self.env["account.bank.statement.line"].sudo().search_count(
            [("journal_id", "=", self.id)], limit=1
        )
        self.sudo().write({
            "bank_collect_progress_state": "fetch", "bank_collect_progress_fetched": 0,
            "bank_collect_progress_new": 0, "bank_collect_progress_updated": 0, "bank_collect_progress_deleted": 0,
            "bank_collect_progress_lines": 0, "bank_collect_progress_total": 0,
            "bank_collect_first_run": not has_lines, "bank_collect_sync_requested": False,
            "bank_collect_forced_from": min_date, "bank_collect_forced_to": max_date,
        })

    def _bank_collect_step(self):
        """One chunk of the running collection: a page of one account, the end of the fetching,
        or a batch of statement lines. Atomic: the caller commits after it. Returns whether the
        collection is over."""
        self.ensure_one()
        self._bank_collect_lock()
        journal = self.sudo()
        if journal.bank_collect_progress_state == "fetch":
            collected = self._bank_collect_collected()
            account = collected.filtered("fetch_todo")[:1]
            if account:
                self._bank_collect_fetch_page(account)
                return False
            self._bank_collect_end_fetch(collected)
            return journal.bank_collect_progress_state != "generate"
        if journal.bank_collect_progress_state == "generate":
            lines = self.env["bank.collect.transaction"].sudo()._bank_collect_generate(self, limit=GENERATE_BATCH)
            journal.bank_collect_progress_lines += len(lines)
            if len(lines) < GENERATE_BATCH:
                self._bank_collect_finish()
                return True
            return False
        return True

    def _bank_collect_fetch_page(self, account):
        """Fetch and store one page of ``account``'s transactions, then move its cursor."""
        provider = self._bank_collect_provider()
        forced_from, forced_to = self.bank_collect_forced_from, self.bank_collect_forced_to
        forced = bool(forced_from or forced_to)
        start = provider.sync_start_date
        since = None if (forced or not account.last_updated_at) else account.last_updated_at
        first_date = forced_from or (None if since else start)
        if start and first_date and first_date < start:
            first_date = start
        rows, cursor = provider._bank_collect_fetch_transaction_page(
            account.partner_id, account.remote_id, cursor=account.fetch_cursor or None, since=since,
            min_date=first_date and fields.Date.to_string(first_date),
            max_date=forced_to and fields.Date.to_string(forced_to),
        )
        stats = self.env["bank.collect.transaction"].sudo()._bank_collect_store(self, provider, account, rows, start)
        latest = max([account.fetch_latest or "", *(tx["updated_at"] for tx in rows)])
        account.write({"fetch_cursor": cursor or False, "fetch_todo": bool(cursor), "fetch_latest": latest or False})
        journal = self.sudo()
        journal.write({
            "bank_collect_progress_fetched": journal.bank_collect_progress_fetched + len(rows),
            "bank_collect_progress_new": journal.bank_collect_progress_new + stats["new"],
            "bank_collect_progress_updated": journal.bank_collect_progress_updated + stats["updated"],
            "bank_collect_progress_deleted": journal.bank_collect_progress_deleted + stats["deleted"],
        })

    def _bank_collect_end_fetch(self, collected):
        """Every page is stored: leave out the card totals, keep the cursors of the next
        collection, find the opening balance of a first collection."""
        provider = self._bank_collect_provider()
        Transaction = self.env["bank.collect.transaction"].sudo()
        Transaction._bank_collect_mark_card_summaries(self, collected)
        now = fields.Datetime.now()
        forced = bool(self.bank_collect_forced_from or self.bank_collect_forced_to)
        for account in collected:
            values = {"last_sync": now, "fetch_latest": False}
            if not forced and (account.fetch_latest or "") > (account.last_updated_at or ""):
                values["last_updated_at"] = account.fetch_latest
            account.write(values)
        Transaction.flush_model()
        self.env.cr.execute(
            """SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM bank_collect_transaction
                WHERE journal_id = %s AND state = 'pending' AND future IS NOT TRUE AND statement_line_id IS NULL""",
            [self.id],
        )
        pending, pending_total = self.env.cr.fetchone()
        values = {"bank_collect_progress_state": "generate" if provider.auto_generate else "done",
                  "bank_collect_progress_total": pending if provider.auto_generate else 0}
        if self.bank_collect_first_run and provider.auto_generate:
            # The bank's balance includes what happened before the first collected transaction.
            currency = self._bank_collect_currency()
            values["bank_collect_opening_balance"] = currency.round(sum(collected.mapped("balance")) - pending_total)
        self.sudo().write(values)
        if not provider.auto_generate:
            self._bank_collect_finish()

    def _bank_collect_finish(self):
        self.sudo().write({
            "bank_collect_progress_state": "done", "bank_collect_last_sync": fields.Datetime.now(),
            "bank_collect_last_error": False,
        })
        self._bank_collect_resolve_issues()
        self._bank_collect_check_balance(self._bank_collect_collected())

    def _bank_collect_item_message(self, kind, item):
        detail = item.get("status_info") or item["status"]
        messages = {
            "wrong_credentials": self.env._(
                "The bank refused the credentials of the connection (%(detail)s): the account "
                "owner must enter them again.", detail=detail),
            "bank_action": self.env._(
                "The bank asks the account owner to act on its website or app (%(detail)s), then "
                "to reconnect.", detail=detail),
            "sca_required": self.env._(
                "The bank requires a strong authentication (%(detail)s): the account owner must "
                "reconnect.", detail=detail),
            "pro_validation": self.env._(
                "The business accounts of the connection must be validated by the account owner "
                "(%(detail)s).", detail=detail),
            "bank_down": self.env._(
                "The bank could not be reached by the aggregator (%(detail)s); the collection will be "
                "retried.", detail=detail),
        }
        return messages.get(kind) or self.env._("The bank connection reports status %(detail)s.", detail=detail)

    def _bank_collect_line_date(self, tx):
        if tx.account_id.account_type == "card":
            return tx.debit_date if self.bank_collect_card_dating == "debit" else tx.purchase_date
        return tx.date

    def _bank_collect_period_key(self, date):
        grouping = self.bank_collect_statement_grouping
        if grouping == "day":
            return date.isoformat()
        if grouping == "week":
            year, week, __ = date.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{date.year}-{date.month:02d}"

    def _bank_collect_check_balance(self, accounts):
        """Compare the aggregator's balance of the collected accounts with the journal's balance
        and record a difference (BC-10). Only meaningful when nothing is pending."""
        self.ensure_one()
        pending = self.env["bank.collect.transaction"].sudo().search_count(
            [("journal_id", "=", self.id), ("state", "=", "pending"), ("future", "=", False)]
        )
        if pending:
            return
        currency = self._bank_collect_currency()
        # The journal's bank account balance includes the opening balance entered by the accountant.
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT COALESCE(SUM(CASE WHEN %s THEN amount_currency ELSE balance END), 0)
                 FROM account_move_line WHERE account_id = %s AND parent_state = 'posted'""",
            [currency != self.company_id.currency_id, self.default_account_id.id],
        )
        journal_balance = self.env.cr.fetchone()[0]
        # The first statement starts at the bank's balance before the first collected transaction.
        self.env.cr.execute(
            """SELECT balance_start FROM account_bank_statement WHERE journal_id = %s
             ORDER BY first_line_index NULLS LAST, id LIMIT 1""",
            [self.id],
        )
        journal_balance += (self.env.cr.fetchone() or [0.0])[0] or 0.0
        remote_balance = sum(accounts.mapped("balance"))
        difference = currency.round(remote_balance - journal_balance)
        self.sudo().bank_collect_balance_difference = difference
        if currency.is_zero(difference):
            self._bank_collect_resolve_issues(["balance_difference"])
        else:
            self._bank_collect_record_issue("balance_difference", self.env._(
                "The bank balance of %(journal)s is %(remote)s but its statement lines add up to %(local)s "
                "(difference %(difference)s).",
                journal=self.display_name, remote=currency.format(remote_balance),
                local=currency.format(journal_balance), difference=currency.format(difference),
            ))
            # A balance difference is a warning, not a failed collection.
            self.sudo().bank_collect_last_error = False

    # ------------------------------------------------------------------
    # Nightly collection (BC-9)
    # ------------------------------------------------------------------
    @api.model
    def _bank_collect_company_now(self, company):
        tz = company.partner_id.tz or self.env.ref("base.user_admin", raise_if_not_found=False).tz or "UTC"
        return pytz.utc.localize(fields.Datetime.now()).astimezone(pytz.timezone(tz))

    @api.model
    def _bank_collect_nightly_due(self, provider, journal_date, now_local):
        """Whether a journal last collected at night on ``journal_date`` is due now, for the
        provider's frequency; the night run starts at 03:00 company time."""
        if now_local.hour < NIGHTLY_HOUR:
            return False
        today = now_local.date()
        if not journal_date:
            return True
        if provider.frequency == "daily":
            return journal_date < today
        if provider.frequency == "weekly":
            return today - journal_date >= timedelta(days=7)
        return (journal_date.year, journal_date.month) != (today.year, today.month)

    @api.model
    def _cron_bank_collect_nightly(self):
        """Start the collection of every due journal, then collect them as the background job
        does: chunk after chunk, journal after journal, each chunk committed on its own so a
        crash loses nothing already collected and one large history never blocks the others."""
        # Webhook events are queued by the webhook (which never writes a journal a collection
        # locks) and applied here first.
        self.env["bank.collect.webhook.event"]._bank_collect_process()
        journals = self._bank_collect_due_journals()
        for journal in journals:
            now_local = self._bank_collect_company_now(journal.company_id)
            journal.sudo().write({"bank_collect_nightly_date": now_local.date(), "bank_collect_sync_requested": True})
        self._bank_collect_commit()
        return self._cron_bank_collect_background()

    @api.model
    def _cron_bank_collect_background(self):
        """Run the requested and unfinished collections for a while, one chunk per journal in
        turn, committing each; triggers itself again while work remains. Returns the number of
        collections finished."""
        deadline = time.monotonic() + BACKGROUND_SECONDS
        finished = 0
        active = self._bank_collect_background_journals()
        while active and time.monotonic() < deadline:
            for journal in active:
                if journal._bank_collect_background_chunk():
                    active -= journal
                    finished += 1
                self._bank_collect_commit()
                if time.monotonic() >= deadline:
                    break
            remaining = sum(active.mapped("bank_collect_progress_total")) - sum(
                active.mapped("bank_collect_progress_lines"))
            self.env["ir.cron"]._notify_progress(
                done=sum(active.mapped("bank_collect_progress_lines")), remaining=max(remaining, 0)
            )
        if active:
            self.env.ref("bank_collect_bridge.ir_cron_bank_collect_background").sudo()._trigger()
        return finished

    @api.model
    def _bank_collect_background_journals(self):
        return self.sudo().search([
            ("bank_statements_source", "=", "bank_collect"),
            "|", ("bank_collect_progress_state", "in", ("fetch", "generate")),
            "&", ("bank_collect_sync_requested", "=", True), ("bank_collect_link_state", "=", "attached"),
        ], order="company_id, id")

    def _bank_collect_background_chunk(self):
        """One chunk of this journal's collection (its start when it is only requested); returns
        whether the journal is done for this run. A fault ends its collection with an issue."""
        journal = self.with_company(self.company_id)
        try:
            with self.env["bank.collect.api.log"]._during_collection(), self.env.cr.savepoint():
                if journal.bank_collect_progress_state not in ("fetch", "generate"):
                    journal._bank_collect_begin()
                    return False
                done = journal._bank_collect_step()
        except BankCollectError as error:
            if error.kind == "running":
                return False  # another worker has it now
            journal._bank_collect_record_issue(error.kind, error.message)
            journal.sudo().write({"bank_collect_progress_state": False, "bank_collect_sync_requested": False})
            journal._bank_collect_log_run({"ok": False, "kind": error.kind, "message": error.message})
            return True
        except Exception:  # noqa: BLE001 - one journal's bug must not stop the others
            _logger.exception("bank collection of journal %s failed", journal.id)
            journal._bank_collect_record_issue("api_error", self.env._(
                "Unexpected error while collecting %(journal)s; the administrator can find it in the server log.",
                journal=journal.display_name,
            ))
            journal.sudo().write({"bank_collect_progress_state": False, "bank_collect_sync_requested": False})
            return True
        if done:
            message = journal._bank_collect_progress_message()
            journal._bank_collect_log_run({"ok": True, "kind": False, "message": message})
            journal._bank_collect_notify_done()
        return done

    def _bank_collect_notify_done(self):
        """Tell who started a background collection that it is over."""
        user = self.sudo().bank_collect_requested_by
        if user:
            user.partner_id._bus_send("simple_notification", {
                "title": self.env._("Bank collection done"), "message": self._bank_collect_progress_message(),
                "type": "success", "sticky": False,
            })
            self.sudo().bank_collect_requested_by = False

    @api.model
    def _bank_collect_commit(self):
        if not getattr(threading.current_thread(), "testing", False):
            # Deliberate: each chunk is kept even if a later one crashes the job (resumable).
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _bank_collect_due_journals(self):
        providers = self.env["bank.collect.provider"].sudo().search([("active", "=", True)])
        candidates = self.sudo().search([
            ("bank_statements_source", "=", "bank_collect"),
            ("bank_collect_link_state", "=", "attached"),
            ("company_id", "in", providers.company_id.ids),
        ], order="company_id, id")
        by_company = {p.company_id: p for p in providers}
        due = self.browse()
        now_by_company = {}
        for journal in candidates:
            company = journal.company_id
            if company not in now_by_company:
                now_by_company[company] = self._bank_collect_company_now(company)
            if journal.bank_collect_sync_requested or self._bank_collect_nightly_due(
                by_company[company], journal.bank_collect_nightly_date, now_by_company[company]
            ):
                due |= journal
        return due

    def _bank_collect_request_sync(self):
        """Collect these journals soon, in the background (after a connection, a webhook...)."""
        self.sudo().bank_collect_sync_requested = True
        cron = self.env.ref("bank_collect_bridge.ir_cron_bank_collect_background", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

import hashlib
import hmac
import logging
import threading
import time
from collections import defaultdict
from datetime import timedelta

import psycopg2.errors
import pytz

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..exceptions import BankCollectError
from .bank_collect_issue import SELF_CLEARING_KINDS, USER_ACTION_KINDS

_logger = logging.getLogger(__name__)

CONTEXT_VALIDITY_SECONDS = 2 * 3600
NIGHTLY_HOUR = 3
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

    def _fill_bank_cash_dashboard_data(self, dashboard_data):
        result = super()._fill_bank_cash_dashboard_data(dashboard_data)
        for journal in self.filtered(lambda j: j.bank_statements_source == "bank_collect"):
            if journal.id in dashboard_data:
                last_sync = journal.bank_collect_last_sync
                dashboard_data[journal.id].update({
                    "bank_collect_last_sync": last_sync
                    and fields.Datetime.to_string(fields.Datetime.context_timestamp(journal, last_sync))[:16],
                    "bank_collect_last_error": journal.bank_collect_last_error or "",
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
        url = provider._bank_collect_connect_url(
            self.bank_collect_partner_id, self._bank_collect_callback_url(), self._bank_collect_sign_context(),
            item_id=item_id,
        )
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
        funnel (ir.actions.act_url). Faults are recorded as issues and told in a notification."""
        self.ensure_one()
        self._bank_collect_check_caller()
        self._bank_collect_check_source()
        provider = self._bank_collect_provider()
        notify = self.env["bank.collect.provider"]._notification
        try:
            action = self._bank_collect_prepare_connection(provider)
        except BankCollectError as error:
            self._bank_collect_record_issue(error.kind, error.message)
            return notify(self.env._("Bank collection failed"), error.message, "danger", sticky=True)
        if action:
            return action
        result = self._bank_collect_run()
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
            total += len(journal._bank_collect_generate())
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
    def _bank_collect_run(self, min_date=None, max_date=None):
        """Collect this journal all-or-nothing. Returns {"ok", "kind", "message", counts...};
        a fault rolls back what this run wrote and is recorded as an issue."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                stats = self._bank_collect_collect(min_date=min_date, max_date=max_date)
        except BankCollectError as error:
            if error.kind != "running":
                self._bank_collect_record_issue(error.kind, error.message)
            return {"ok": False, "kind": error.kind, "message": error.message}
        message = self.env._(
            "%(journal)s: %(new)s new transactions, %(lines)s statement lines created, %(updated)s updated, "
            "%(deleted)s deleted.",
            journal=self.display_name, new=stats["new"], lines=stats["lines"], updated=stats["updated"],
            deleted=stats["deleted"],
        )
        return {"ok": True, "kind": False, "message": message, **stats}

    def _bank_collect_collect(self, min_date=None, max_date=None):
        """One collection of this journal. With a date range (forced collection) every
        transaction dated in it is asked again; otherwise only changes since the last one."""
        self.ensure_one()
        self._bank_collect_lock()
        provider = self._bank_collect_provider()
        forced = bool(min_date or max_date)
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
        accounts = self.env["bank.collect.account"].sudo()._bank_collect_upsert(
            provider, partner, provider._bank_collect_fetch_accounts(partner), items
        )
        collected = main_accounts
        if "card" in self._bank_collect_types():
            # A card followed by a journal of its own stays there (its monthly total then stays here).
            collected |= accounts.filtered(
                lambda a: a.parent_id in main_accounts and a.account_type == "card"
                and (not a.journal_id or a.journal_id == self)
            )
        collected = collected.filtered(lambda a: a.account_type in self._bank_collect_types() or a in main_accounts)
        start = provider.sync_start_date
        rows = []
        for account in collected:
            since = None if (forced or not account.last_updated_at) else account.last_updated_at
            first_date = min_date or (None if since else start)
            if start and first_date and first_date < start:
                first_date = start
            for tx in provider._bank_collect_fetch_transactions(
                partner, account.remote_id, since=since,
                min_date=first_date and fields.Date.to_string(first_date),
                max_date=max_date and fields.Date.to_string(max_date),
            ):
                rows.append((account, tx))
        # Everything is fetched before anything is written: a fault while fetching changes nothing.
        stats = self._bank_collect_store(provider, rows, start, collected)
        now = fields.Datetime.now()
        if not forced:
            latest = defaultdict(str)
            for account, tx in rows:
                latest[account] = max(latest[account], tx["updated_at"])
            for account in collected:
                values = {"last_sync": now}
                if latest[account] > (account.last_updated_at or ""):
                    values["last_updated_at"] = latest[account]
                account.write(values)
        else:
            collected.write({"last_sync": now})
        stats["lines"] = len(self._bank_collect_generate()) if provider.auto_generate else 0
        self.sudo().write({"bank_collect_last_sync": now, "bank_collect_last_error": False})
        self._bank_collect_resolve_issues()
        self._bank_collect_check_balance(collected)
        return stats

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

    def _bank_collect_card_totals(self, latest, cards):
        """Total of the deferred-debit card transactions per debit date, from this collection and
        from earlier ones, for the dates where the card's account has a debit of the same day."""
        totals = defaultdict(float)
        fetched_ids = []
        for remote_id, (account, tx) in latest.items():
            if account in cards:
                fetched_ids.append(remote_id)
                if not tx["deleted"]:
                    totals[tx["debit_date"]] += tx["amount"]
        if cards:
            self.env.cr.execute(
                """SELECT debit_date, SUM(amount) FROM bank_collect_transaction
                    WHERE account_id IN %s AND state != 'deleted' AND NOT (remote_id = ANY(%s))
                    GROUP BY debit_date""",
                [tuple(cards.ids), fetched_ids],
            )
            for debit_date, amount in self.env.cr.fetchall():
                totals[fields.Date.to_string(debit_date)] += amount
        return {day: round(total, 2) for day, total in totals.items() if total}

    def _bank_collect_is_card_summary(self, account, tx, card_parents, card_totals):
        """The monthly total of a deferred-debit card on its account: a debit equal to the card
        lines debited that day. Left out when the card's own lines are collected in the same
        journal, so that nothing is counted twice."""
        return (
            account in card_parents and tx["amount"] < 0
            and card_totals.get(tx["date"]) == round(tx["amount"], 2)
        )

    def _bank_collect_store(self, provider, rows, start, collected):
        """Upsert the staging records of ``rows`` with one query for the known remote ids and one
        batched create for the new ones."""
        Transaction = self.env["bank.collect.transaction"].sudo()
        latest = {}
        for account, tx in rows:
            known = latest.get(tx["remote_id"])
            if not known or tx["updated_at"] >= known[1]["updated_at"]:
                latest[tx["remote_id"]] = (account, tx)
        stats = {"new": 0, "updated": 0, "deleted": 0, "review": 0}
        if not latest:
            return stats
        self.env["bank.collect.transaction"].flush_model()
        self.env.cr.execute(
            """SELECT remote_id, id, state, statement_line_id, amount, date, label, clean_label,
                      purchase_date, debit_date, future
                 FROM bank_collect_transaction
                WHERE provider_id = %s AND remote_id = ANY(%s)""",
            [provider.id, list(latest)],
        )
        existing = {row[0]: row for row in self.env.cr.fetchall()}
        cards = collected.filtered(lambda a: a.account_type == "card")
        card_parents = cards.parent_id & collected
        card_totals = self._bank_collect_card_totals(latest, cards) if card_parents else {}
        to_create = []
        changed = []
        for remote_id, (account, tx) in latest.items():
            try:
                values = {
                    "date": fields.Date.to_date(tx["date"]),
                    "purchase_date": fields.Date.to_date(tx["purchase_date"]),
                    "debit_date": fields.Date.to_date(tx["debit_date"]),
                    "amount": round(tx["amount"], 2),
                    "label": tx["label"],
                    "clean_label": tx["clean_label"] or False,
                    "future": tx["future"],
                }
            except ValueError:
                raise BankCollectError("malformed", self.env._(
                    "The aggregator sent transaction %(id)s with an invalid date (%(dates)s); nothing was imported.",
                    id=remote_id, dates=", ".join(str(tx[k]) for k in ("date", "purchase_date", "debit_date")),
                )) from None
            if remote_id not in existing:
                if tx["deleted"] or (start and values["date"] < start):
                    continue
                if self._bank_collect_is_card_summary(account, tx, card_parents, card_totals):
                    continue
                to_create.append({
                    **values,
                    "provider_id": provider.id,
                    "company_id": self.company_id.id,
                    "journal_id": self.id,
                    "account_id": account.id,
                    "remote_id": remote_id,
                    "currency_code": tx["currency_code"],
                    "operation_type": tx["operation_type"] or False,
                    "updated_at": tx["updated_at"],
                    "state": "pending",
                })
                continue
            row = existing[remote_id]
            old = dict(zip(
                ("amount", "date", "label", "clean_label", "purchase_date", "debit_date", "future"), row[4:],
                strict=True,
            ))
            old["clean_label"] = old["clean_label"] or False
            if row[2] == "ignored":
                continue
            if tx["deleted"]:
                if row[2] != "deleted":
                    changed.append((row[1], "delete", values))
                continue
            if any(old[key] != values[key] for key in old):
                changed.append((row[1], "update", values))
        if to_create:
            Transaction.create(to_create)
            stats["new"] = len(to_create)
        for transaction_id, action, values in changed:
            outcome = Transaction.browse(transaction_id)._bank_collect_apply_change(action, values)
            stats[outcome] += 1
        return stats

    def _bank_collect_generate(self, transactions=None):
        """Turn pending transactions (booked ones only) into statement lines with one batched
        create, grouped into statements as the journal says. Returns the lines."""
        self.ensure_one()
        if transactions is None:
            transactions = self.env["bank.collect.transaction"].sudo().search([
                ("journal_id", "=", self.id), ("state", "=", "pending"), ("future", "=", False),
                ("statement_line_id", "=", False),
            ], order="date, id")
        if not transactions:
            return self.env["account.bank.statement.line"]
        currency = self._bank_collect_currency()
        foreign = {
            c.name: c for c in self.env["res.currency"].with_context(active_test=False).search(
                [("name", "in", list(set(transactions.mapped("currency_code")) - {currency.name}))]
            )
        }
        vals_list = []
        for tx in transactions:
            vals = {
                "journal_id": self.id,
                "date": self._bank_collect_line_date(tx),
                "payment_ref": (self.bank_collect_use_clean_label and tx.clean_label) or tx.label or "/",
                "amount": tx.amount,
                "transaction_type": tx.operation_type or False,
            }
            if tx.currency_code and tx.currency_code != currency.name and tx.currency_code in foreign:
                vals["foreign_currency_id"] = foreign[tx.currency_code].id
                vals["amount_currency"] = tx.amount
                vals["amount"] = foreign[tx.currency_code]._convert(tx.amount, currency, self.company_id, vals["date"])
            vals_list.append(vals)
        with self.env["account.move"]._bank_collect_bulk_numbering():
            lines = self.env["account.bank.statement.line"].sudo().with_context(
                tracking_disable=True
            ).create(vals_list)
            self.env.flush_all()
        self._bank_collect_group_statements(lines)
        self.env.cr.execute(
            """UPDATE bank_collect_transaction AS t
                  SET state = 'imported', statement_line_id = v.line_id, write_date = now() at time zone 'UTC',
                      write_uid = %s
                 FROM unnest(%s::int[], %s::int[]) AS v(id, line_id)
                WHERE t.id = v.id""",
            [self.env.uid, transactions.ids, lines.ids],
        )
        transactions.invalidate_recordset(["state", "statement_line_id", "write_date", "write_uid"])
        return lines

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

    def _bank_collect_group_statements(self, lines):
        """Put new lines into statements: one per collection, or per day, week or month (an
        existing statement of the period is completed). With «earlier lines into current
        statement», lines dated before the current statement join it."""
        Statement = self.env["account.bank.statement"].sudo()
        current = Statement.search([("journal_id", "=", self.id)], order="date desc, id desc", limit=1)
        groups = defaultdict(list)
        for line in lines:
            if self.bank_collect_earlier_into_current and current and line.date < current.date:
                groups[current].append(line.id)
            elif self.bank_collect_statement_grouping == "sync":
                groups["sync"].append(line.id)
            else:
                groups[self._bank_collect_period_key(line.date)].append(line.id)
        references = {
            key: f"bank_collect:{self.id}:{key}" for key in groups if isinstance(key, str) and key != "sync"
        }
        existing = {
            st.reference: st for st in Statement.search([
                ("journal_id", "=", self.id), ("reference", "in", list(references.values()))
            ])
        }
        # Oldest first, one at a time: each statement's starting balance is the previous one's end.
        Line = self.env["account.bank.statement.line"]
        for key, line_ids in sorted(groups.items(), key=lambda group: min(Line.browse(group[1]).mapped("date"))):
            statement = key if not isinstance(key, str) else existing.get(references.get(key))
            if statement:
                Line.browse(line_ids).statement_id = statement
            else:
                reference = references.get(key) or f"bank_collect:{self.id}:sync:{fields.Datetime.now()}"
                statement = Statement.create({"reference": reference, "line_ids": [Command.set(line_ids)]})
            self.env.flush_all()
            statement.balance_end_real = statement.balance_end

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
        """Collect every due journal, one at a time: each is committed on its own so a crash
        loses nothing already collected and one failure never stops the others."""
        # Webhook events are queued by the webhook (which never writes a journal a collection
        # locks) and applied here first.
        self.env["bank.collect.webhook.event"]._bank_collect_process()
        journals = self._bank_collect_due_journals()
        auto_commit = not getattr(threading.current_thread(), "testing", False)
        done, total = 0, len(journals)
        self.env["ir.cron"]._notify_progress(done=0, remaining=total)
        for journal in journals:
            journal = journal.with_company(journal.company_id)
            now_local = self._bank_collect_company_now(journal.company_id)
            try:
                result = journal._bank_collect_run()
            except Exception:  # noqa: BLE001 - one journal's bug must not stop the others
                _logger.exception("bank collection of journal %s failed", journal.id)
                result = {"ok": False, "kind": "api_error"}
                journal._bank_collect_record_issue("api_error", self.env._(
                    "Unexpected error while collecting %(journal)s; the administrator can find it in the server log.",
                    journal=journal.display_name,
                ))
            if result["kind"] != "running":
                journal.sudo().write({
                    "bank_collect_nightly_date": now_local.date(), "bank_collect_sync_requested": False
                })
            done += 1
            self.env["ir.cron"]._notify_progress(done=done, remaining=total - done)
            if auto_commit:
                # Deliberate: each journal's collection is kept even if a later one crashes the job.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return done

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
        cron = self.env.ref("bank_collect_bridge.ir_cron_bank_collect_nightly", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

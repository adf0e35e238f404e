import logging
from contextlib import contextmanager

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..bridge import client as bridge_client
from ..bridge import const as bridge_const
from ..exceptions import BankCollectError

_logger = logging.getLogger(__name__)

ENVIRONMENT_URLS = {
    "production": bridge_const.DEFAULT_API_URL,
    # A Bridge sandbox is an application created in sandbox mode: same host, other credentials.
    "sandbox": bridge_const.DEFAULT_API_URL,
    "emulator": "http://127.0.0.1:3000",
}

# Bridge item statuses that stop the collection, with the issue kind they raise.
ITEM_STATUS_KINDS = {
    402: "wrong_credentials",
    429: "bank_action",
    1003: "bank_down",
    1010: "sca_required",
    1100: "pro_validation",
}
# Statuses where data can be collected: ok, first refresh / refresh after edit in progress,
# balance changed without new transactions.
ITEM_STATUS_HEALTHY = {0, -2, -3, 1009}


class BankCollectProvider(models.Model):
    """Credentials and options of the bank aggregator used by one company (BC-1).

    Everything specific to one aggregator lives in methods prefixed by its ``provider`` value
    (``_bridge_*``); the sync engine calls the neutral ``_bank_collect_*`` methods, which
    dispatch, so a second aggregator plugs in without touching the engine.
    """

    _name = "bank.collect.provider"
    _description = "Bank collection provider"
    _order = "company_id, id"

    name = fields.Char(required=True, default="Bridge")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, ondelete="cascade"
    )
    provider = fields.Selection([("bridge", "Bridge API (Bankin')")], required=True, default="bridge")
    environment = fields.Selection(
        [("production", "Production"), ("sandbox", "Bridge sandbox"), ("emulator", "Embedded emulator")],
        required=True,
        default="production",
        help="Sandbox needs the credentials of a sandbox application; the embedded emulator is a "
        "local Bridge for demonstrations and tests.",
    )
    api_url = fields.Char(string="API URL", required=True, default=bridge_const.DEFAULT_API_URL)
    api_version = fields.Char(string="API version", required=True, default=bridge_const.BRIDGE_VERSION)
    client_id = fields.Char(string="Client ID", groups="base.group_system")
    client_secret = fields.Char(groups="base.group_system")
    webhook_secret = fields.Char(
        string="Webhook secret", groups="base.group_system",
        help="Signing secret of the webhook declared in the aggregator's dashboard.",
    )
    webhook_secret_previous = fields.Char(
        string="Previous webhook secret", groups="base.group_system",
        help="During a rotation the aggregator signs with the old secret for 24 hours.",
    )
    country_codes = fields.Char(
        string="Countries", default="FR",
        help="Country codes offered first in the connect funnel, separated by commas (e.g. FR,BE).",
    )
    preselected_bank_id = fields.Integer(
        string="Preselected bank",
        help="Aggregator id of the bank opened directly in the connect funnel (0: let the user choose).",
    )
    active = fields.Boolean(default=True, help="Untick to stop every collection of this company.")
    auto_generate = fields.Boolean(
        string="Auto-generate statement lines", default=True,
        help="Collected transactions become statement lines at once; otherwise they wait in the "
        "pending list until «Generate statement lines».",
    )
    frequency = fields.Selection(
        [("daily", "Daily"), ("weekly", "Weekly"), ("monthly", "Monthly")],
        required=True,
        default="daily",
        help="How often the nightly collection (03:00-04:00, company time) runs.",
    )
    sync_start_date = fields.Date(
        string="Sync start date", default=lambda self: self._default_sync_start_date(),
        help="Transactions dated before this day are never collected. Most banks keep about six "
        "months of history.",
    )
    sync_started = fields.Boolean(
        compute="_compute_sync_started",
        help="A collection ran: the start date can no longer change.",
    )
    last_nightly_date = fields.Date(string="Last nightly collection", readonly=True, copy=False)
    user_count = fields.Integer(string="Aggregator users", compute="_compute_user_count")

    def init(self):
        # One active provider per company, enforced by the database against concurrent writes.
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS bank_collect_provider_one_active_per_company
               ON bank_collect_provider (company_id) WHERE active"""
        )

    @api.model
    def _default_sync_start_date(self):
        company = self.env.company
        return company.compute_fiscalyear_dates(fields.Date.context_today(self))["date_from"]

    def _compute_sync_started(self):
        started = self._started_ids()
        for provider in self:
            provider.sync_started = provider.id in started

    def _started_ids(self):
        """Providers of which at least one account has been collected."""
        if not self.ids:
            return set()
        self.env["bank.collect.account"].flush_model(["provider_id", "last_sync"])
        self.env.cr.execute(
            "SELECT DISTINCT provider_id FROM bank_collect_account WHERE provider_id IN %s AND last_sync IS NOT NULL",
            [tuple(self.ids)],
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def _compute_user_count(self):
        counts = {}
        if self.ids:
            self.env.cr.execute(
                """SELECT provider_id, COUNT(DISTINCT partner_id) FROM bank_collect_account
                    WHERE provider_id IN %s GROUP BY provider_id""",
                [tuple(self.ids)],
            )
            counts = dict(self.env.cr.fetchall())
        for provider in self:
            provider.user_count = counts.get(provider.id, 0)

    @api.onchange("environment")
    def _onchange_environment(self):
        self.api_url = ENVIRONMENT_URLS[self.environment]

    def _check_one_active_per_company(self, company_ids):
        """Refuse a second active provider in a company with a clear message (the database's
        partial unique index is the last guard against concurrent writes)."""
        for company in self.env["res.company"].browse(company_ids):
            active = self.with_context(active_test=True).search([("company_id", "=", company.id)]) - self
            if active:
                raise ValidationError(self.env._(
                    "Company %(company)s already has an active bank aggregator (%(provider)s): deactivate it "
                    "first.", company=company.name, provider=active[0].name,
                ))

    @api.model_create_multi
    def create(self, vals_list):
        company_ids = [
            vals.get("company_id") or self.env.company.id for vals in vals_list if vals.get("active", True)
        ]
        if len(company_ids) != len(set(company_ids)):
            raise ValidationError(self.env._("Only one active bank aggregator per company."))
        self._check_one_active_per_company(company_ids)
        return super().create(vals_list)

    @api.constrains("country_codes")
    def _check_country_codes(self):
        for provider in self:
            for code in provider._country_code_list():
                if len(code) != 2 or not code.isalpha():
                    raise ValidationError(self.env._(
                        "Countries of %(provider)s: «%(code)s» is not a two-letter country code.",
                        provider=provider.name, code=code,
                    ))

    def write(self, vals):
        if vals.get("active") or ("company_id" in vals and vals.get("active", True)):
            targets = self if vals.get("active") else self.filtered("active")
            company_ids = [vals.get("company_id") or p.company_id.id for p in targets]
            if len(company_ids) != len(set(company_ids)):
                raise ValidationError(self.env._("Only one active bank aggregator per company."))
            targets._check_one_active_per_company(company_ids)
        if "sync_start_date" in vals:
            started = self._started_ids()
            new_start = vals["sync_start_date"]
            for provider in self:
                if provider.id in started and new_start != fields.Date.to_string(provider.sync_start_date):
                    raise UserError(self.env._(
                        "The sync start date of %(provider)s cannot change once a collection has run.",
                        provider=provider.name,
                    ))
        return super().write(vals)

    def _country_code_list(self):
        return [c.strip().upper() for c in (self.country_codes or "").split(",") if c.strip()]

    @api.model
    def _get_active_for_company(self, company):
        return self.search([("company_id", "=", company.id), ("active", "=", True)], limit=1)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_test_connection(self):
        """Check the API URL and the application credentials; tell the result plainly."""
        self.ensure_one()
        # The credentials are read with sudo(): only someone who can see this provider tests them.
        self.check_access("read")
        try:
            self._bank_collect_check_credentials()
        except BankCollectError as error:
            return self._notification(self.env._("Connection failed"), error.message, "danger")
        return self._notification(
            self.env._("Connection successful"),
            self.env._("%(url)s accepted the credentials of %(provider)s.", url=self.api_url, provider=self.name),
            "success",
        )

    def action_open_users(self):
        self.ensure_one()
        partners = self.env["bank.collect.account"].search([("provider_id", "=", self.id)]).partner_id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Aggregator users"),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("id", "in", partners.ids)],
        }

    @api.model
    def _notification(self, title, message, kind, sticky=False):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": sticky},
        }

    # ------------------------------------------------------------------
    # Neutral interface used by the sync engine and the connect flow
    # ------------------------------------------------------------------
    def _dispatch(self, method, *args, **kwargs):
        self.ensure_one()
        return getattr(self, f"_{self.provider}_{method}")(*args, **kwargs)

    def _bank_collect_check_credentials(self):
        return self._dispatch("check_credentials")

    def _bank_collect_ensure_user(self, partner):
        """Aggregator user of ``partner``, created on first use. Returns its uuid."""
        # The contact's aggregator ids are for administrators' eyes (field groups); the
        # collection reads them for an Invoicing user checked by its caller, never shows them.
        return self._dispatch("ensure_user", partner.sudo())

    def _bank_collect_connect_url(self, partner, callback_url, context, item_id=None):
        return self._dispatch("connect_url", partner.sudo(), callback_url, context, item_id=item_id)

    def _bank_collect_fetch_items(self, partner):
        """{item id (str): {"status": int, "status_info": str, "provider_id": int}}"""
        return self._dispatch("fetch_items", partner.sudo())

    def _bank_collect_fetch_accounts(self, partner):
        """List of account dicts: remote_id, item_id, name, iban, type, balance, currency_code,
        parent_remote_id (the account a deferred-debit card is debited on)."""
        return self._dispatch("fetch_accounts", partner.sudo())

    def _bank_collect_fetch_transactions(self, partner, remote_account_id, since=None, min_date=None, max_date=None):
        """Iterator of transaction dicts: remote_id, remote_account_id, amount, currency_code,
        label, clean_label, date, purchase_date, debit_date, updated_at, deleted, future,
        operation_type."""
        return self._dispatch(
            "fetch_transactions", partner.sudo(), remote_account_id, since=since, min_date=min_date, max_date=max_date
        )

    def _bank_collect_fetch_transaction_page(self, partner, remote_account_id, cursor=None, since=None,
                                             min_date=None, max_date=None):
        """One page of transaction dicts (as above) and the cursor of the next page (None at the
        end): the collection stores each page before asking the next one."""
        return self._dispatch(
            "fetch_transaction_page", partner, remote_account_id, cursor=cursor, since=since, min_date=min_date,
            max_date=max_date,
        )

    def _bank_collect_item_issue_kind(self, status):
        """Issue kind for an item status, or False when the item can be collected."""
        return self._dispatch("item_issue_kind", status)

    def _bank_collect_delete_item(self, partner, item_id):
        """Delete a connection (and its accounts and transactions) at the aggregator."""
        return self._dispatch("delete_item", partner.sudo(), item_id)

    def _bank_collect_bank_names(self, bank_ids):
        """{bank id (str): bank name} of the aggregator's banks ``bank_ids``."""
        return self._dispatch("bank_names", bank_ids)

    def _bank_collect_webhook_secrets(self):
        provider = self.sudo()
        return [secret for secret in (provider.webhook_secret, provider.webhook_secret_previous) if secret]

    def _bank_collect_on_request(self, method, path, status, duration, error_code):
        """Hook called after every API request (the path carries no secret): administrators'
        API log (BC-14)."""
        _logger.debug(
            "bank collection %s: %s %s -> %s in %.2fs %s",
            self.provider, method, path, status, duration, error_code or "",
        )
        self.env["bank.collect.api.log"]._record(self, method, path, status, duration, error_code)

    # ------------------------------------------------------------------
    # Bridge
    # ------------------------------------------------------------------
    def _bridge_client(self):
        provider = self.sudo()
        if not provider.client_id or not provider.client_secret:
            raise BankCollectError("auth", self.env._(
                "The Client ID and Client Secret of %(provider)s are not set.", provider=provider.name
            ))
        return bridge_client.BridgeClient(
            provider.api_url.rstrip("/"), provider.client_id, provider.client_secret,
            version=provider.api_version or bridge_const.BRIDGE_VERSION,
            on_request=self._bank_collect_on_request,
        )

    @contextmanager
    def _bridge_errors(self):
        """Turn client errors into engine errors with a translated message."""
        try:
            yield
        except bridge_client.BridgeAuthError as error:
            raise BankCollectError("auth", self.env._(
                "The aggregator refused the credentials of %(provider)s (%(detail)s). Check the Client ID "
                "and Client Secret.", provider=self.name, detail=error.message,
            )) from None
        except bridge_client.BridgeRateLimitError:
            raise BankCollectError("rate_limit", self.env._(
                "The aggregator is receiving too many requests (HTTP 429); the collection will be retried later."
            )) from None
        except bridge_client.BridgeServerError as error:
            raise BankCollectError("server", self.env._(
                "The aggregator is unavailable (HTTP %(status)s); the collection will be retried later.",
                status=error.status or "5xx",
            )) from None
        except bridge_client.BridgeTimeoutError:
            raise BankCollectError("timeout", self.env._(
                "The aggregator did not answer in time (%(url)s); the collection will be retried later.",
                url=self.api_url,
            )) from None
        except bridge_client.BridgeResponseError as error:
            raise BankCollectError("malformed", self.env._(
                "The aggregator sent an answer that cannot be read (%(detail)s); nothing was imported.",
                detail=error.message,
            )) from None
        except bridge_client.BridgeNotFoundError as error:
            raise BankCollectError("not_attached", self.env._(
                "The aggregator no longer knows this connection or account (%(detail)s): connect the bank again.",
                detail=error.message,
            )) from None
        except bridge_client.BridgeError as error:
            raise BankCollectError("api_error", self.env._(
                "The aggregator answered with an error: %(detail)s", detail=error.message,
            )) from None

    def _bridge_check_credentials(self):
        with self._bridge_errors():
            self._bridge_client().check_credentials()

    def _bridge_ensure_user(self, partner):
        if partner.bank_collect_user_uuid:
            return partner.bank_collect_user_uuid
        external_id = partner._bank_collect_external_user_id()
        with self._bridge_errors():
            user = self._bridge_client().create_user(external_id)
        partner.sudo().write({
            "bank_collect_user_uuid": user["uuid"],
            "bank_collect_external_user_id": user.get("external_user_id") or external_id,
        })
        return user["uuid"]

    def _bridge_connect_url(self, partner, callback_url, context, item_id=None):
        user_uuid = self._bridge_ensure_user(partner)
        countries = self._country_code_list()
        with self._bridge_errors():
            session = self._bridge_client().create_connect_session(
                user_uuid,
                callback_url=callback_url,
                user_email=partner.email or None,
                country_code=countries[0] if countries else None,
                provider_id=self.preselected_bank_id or None,
                item_id=int(item_id) if item_id else None,
                context=context,
                account_types="all",
            )
        return session["url"]

    def _bridge_fetch_items(self, partner):
        with self._bridge_errors():
            items = self._bridge_client().list_items(partner.bank_collect_user_uuid)
        return {
            str(item["id"]): {
                "status": int(item.get("status", 0)),
                "status_info": item.get("status_code_info") or "",
                "provider_id": item.get("provider_id"),
                "last_refresh": self._bridge_timestamp(item.get("last_successful_refresh")),
                "authentication_expires_at": self._bridge_timestamp(item.get("authentication_expires_at")),
            }
            for item in items
        }

    @api.model
    def _bridge_timestamp(self, value):
        """Bridge timestamp -> naive UTC datetime, None when absent or unreadable (display only)."""
        try:
            return bridge_client.parse_datetime(value).replace(tzinfo=None)
        except ValueError:
            return None

    def _bridge_delete_item(self, partner, item_id):
        with self._bridge_errors():
            self._bridge_client().delete_item(partner.bank_collect_user_uuid, int(item_id))

    def _bridge_bank_names(self, bank_ids):
        client = self._bridge_client()
        names = {}
        with self._bridge_errors():
            for bank_id in bank_ids:
                names[bank_id] = client.get_provider(int(bank_id)).get("name") or ""
        return names

    def _bridge_fetch_accounts(self, partner):
        with self._bridge_errors():
            accounts = self._bridge_client().list_accounts(partner.bank_collect_user_uuid)
        result = []
        for account in accounts:
            try:
                result.append({
                    "remote_id": str(account["id"]),
                    "item_id": str(account["item_id"]),
                    "name": account.get("name") or str(account["id"]),
                    "iban": (account.get("iban") or "").replace(" ", "").upper(),
                    "type": account.get("type") or "unknown",
                    "balance": float(account.get("accounting_balance", account.get("balance", 0.0))),
                    "currency_code": account.get("currency_code") or "EUR",
                    "parent_remote_id": False,
                })
            except (KeyError, TypeError, ValueError) as error:
                raise BankCollectError("malformed", self.env._(
                    "The aggregator sent an account without %(field)s; nothing was imported.", field=error,
                )) from None
        for card in (a for a in result if a["type"] == "card"):
            card["parent_remote_id"] = self._bridge_card_parent(card, result)
        return result

    @api.model
    def _bridge_card_parent(self, card, accounts):
        """Bridge does not say which account a deferred-debit card is debited on; banks name it in
        the card's label («Carte X4242 (débit différé sur Compte courant)»). Take the checking
        account of the same connection named there, else the only one."""
        checkings = [a for a in accounts if a["item_id"] == card["item_id"] and a["type"] == "checking"]
        named = [a for a in checkings if a["name"] and a["name"].lower() in card["name"].lower()]
        if len(named) == 1:
            return named[0]["remote_id"]
        return checkings[0]["remote_id"] if len(checkings) == 1 else False

    def _bridge_fetch_transactions(self, partner, remote_account_id, since=None, min_date=None, max_date=None):
        client = self._bridge_client()
        with self._bridge_errors():
            for tx in client.iter_transactions(
                partner.bank_collect_user_uuid, account_id=int(remote_account_id),
                since=since, min_date=min_date, max_date=max_date, limit=bridge_const.PAGE_LIMIT,
            ):
                yield self._bridge_normalize_transaction(tx)

    def _bridge_fetch_transaction_page(self, partner, remote_account_id, cursor=None, since=None, min_date=None,
                                       max_date=None):
        client = self._bridge_client()
        with self._bridge_errors():
            resources, next_cursor = client.transactions_page(
                partner.bank_collect_user_uuid, account_id=int(remote_account_id), cursor=cursor,
                since=since, min_date=min_date, max_date=max_date, limit=bridge_const.PAGE_LIMIT,
            )
        return [self._bridge_normalize_transaction(tx) for tx in resources], next_cursor

    def _bridge_normalize_transaction(self, tx):
        try:
            date = tx["date"]
            return {
                "remote_id": str(tx["id"]),
                "remote_account_id": str(tx["account_id"]),
                "amount": float(tx["amount"]),
                "currency_code": tx.get("currency_code") or "EUR",
                "label": tx.get("provider_description") or tx.get("clean_description") or "/",
                "clean_label": tx.get("clean_description") or "",
                "date": date,
                "purchase_date": tx.get("transaction_date") or date,
                # The debit day of a deferred-debit card is the value date at most banks, the
                # booking date at others: both are kept, the card matching tries each.
                "debit_date": tx.get("value_date") or tx.get("booking_date") or date,
                "booking_date": tx.get("booking_date") or date,
                "updated_at": tx.get("updated_at") or "",
                "deleted": bool(tx.get("deleted")),
                "future": bool(tx.get("future")),
                "operation_type": tx.get("operation_type") or "",
            }
        except (KeyError, TypeError, ValueError) as error:
            raise BankCollectError("malformed", self.env._(
                "The aggregator sent transaction %(id)s without a valid %(field)s; nothing was imported.",
                id=tx.get("id", "?") if isinstance(tx, dict) else "?", field=error,
            )) from None

    def _bridge_item_issue_kind(self, status):
        if status in ITEM_STATUS_HEALTHY:
            return False
        return ITEM_STATUS_KINDS.get(status, "item_error")

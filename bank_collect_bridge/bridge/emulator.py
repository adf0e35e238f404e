#!/usr/bin/env python3
"""Local emulator of the Bridge API v3 (aggregation), over real HTTP (BC-18).

It behaves like api.bridgeapi.io for what the addon uses: app credentials and `Bridge-Version`
checked on every call, 2-hour user bearer tokens, v3 JSON shapes without null keys, Bridge's error
body `{"errors": [{"code", "message", "property"}]}`, cursor pagination (`pagination.next_uri`,
`limit` up to 500), `since`/`until` (on `updated_at`) and `min_date`/`max_date` (on `date`)
filters, updated, deleted (tombstones) and future transactions, every item status, a hosted
connect page (bank login, one-time code, redirect to the callback) and signed webhooks.

A "Demo Bank" (provider 574) gives each new connection a checking account, a savings account and
a deferred-debit card account whose monthly total is debited from the checking account.

Tests drive it in-process (`BridgeEmulator(...).start()`, `add_item`, `fail_next`, ...); the
standalone demo drives it through the admin routes under `/_emulator/`:

    python bank_collect_bridge/bridge/emulator.py --port 3000 --seed demo [--state-file FILE]

Admin routes (JSON, no authentication: bind the emulator to a local address):
    GET  /_emulator/state, /_emulator/requests
    POST /_emulator/reset, /_emulator/seed-demo
    POST /_emulator/users {external_user_id}
    POST /_emulator/items {user_uuid, provider_id, status, status_code_info, accounts, history_start}
    POST /_emulator/items/<id>/status {status, status_code_info}
    POST /_emulator/items/<id>/authentication-expiry {expires_at}
    POST /_emulator/items/<id>/refresh                      (webhooks item.refreshed, item.account.updated)
    POST /_emulator/transactions {account_id, count | transactions, start_date, end_date, seed}
    POST /_emulator/transactions/<id>/update {changes}, /_emulator/transactions/<id>/delete
    POST /_emulator/faults {method, path_regex, kind, times}
    POST /_emulator/expire-tokens
    POST /_emulator/webhooks {url, secrets}                 (where events are sent, signed)
    POST /_emulator/webhooks/send {url, type, content, secret}
Hosted connect page: GET /connect/session/<id> (bank login; any login, password "wrong" is
refused), then the one-time code 123456, then a 302 to the session's callback_url.
"""
import argparse
import base64
import calendar
import contextlib
import datetime
import heapq
import hmac
import html
import http.client
import itertools
import json
import os
import random
import re
import secrets
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

if __package__:
    from . import const, webhook
else:  # run as a script: the addon package is not importable
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import const  # noqa: E402
    import webhook  # noqa: E402

DEFAULT_CLIENT_ID = "emulator-client-id"
DEFAULT_CLIENT_SECRET = "emulator-client-secret"
DEMO_OTP = "123456"
WRONG_PASSWORD = "wrong"
FAULT_KINDS = ("401", "429", "500", "503", "timeout", "malformed")
COUNTRY_CODES = (
    "FR", "ES", "IT", "PT", "DE", "BE", "NL", "LU", "PL", "HU", "IE", "MT", "CZ", "NO", "BG", "SE", "DK",
    "AT", "SK", "FI", "GB", "GR", "EE", "IS", "CY", "HR", "LV", "RO",
)
CONTEXT_RE = re.compile(rf"^[A-Za-z0-9-]{{1,{const.CONTEXT_MAX_LENGTH:d}}}$")

# Outcomes offered on the hosted bank login page: the item ends in this status.
CONNECT_OUTCOMES = (
    (const.ITEM_STATUS_OK, "Connexion réussie"),
    (const.ITEM_STATUS_WRONG_CREDENTIALS, "Identifiants refusés (402)"),
    (const.ITEM_STATUS_ACTION_NEEDED, "Action requise sur le site de la banque (429)"),
    (const.ITEM_STATUS_BANK_DOWN, "Banque indisponible (1003)"),
    (const.ITEM_STATUS_SCA_REQUIRED, "Authentification forte requise (1010)"),
    (const.ITEM_STATUS_PRO_TO_VALIDATE, "Comptes professionnels à valider (1100)"),
)
# Where the user "left" the funnel, reported in `step` when success=false.
OUTCOME_STEPS = {
    const.ITEM_STATUS_WRONG_CREDENTIALS: "edit_bank_creds_form",
    const.ITEM_STATUS_ACTION_NEEDED: "sync_error",
    const.ITEM_STATUS_BANK_DOWN: "sync_error",
    const.ITEM_STATUS_SCA_REQUIRED: "otp_form",
    const.ITEM_STATUS_PRO_TO_VALIDATE: "pro_validation_form",
}

PROVIDERS = (
    {"id": const.DEMO_PROVIDER_ID, "name": "Demo Bank", "country_code": "FR", "group_name": "Demo Bank",
     "bank_code": const.DEMO_BANK_CODE},
    {"id": 6, "name": "BNP Paribas", "country_code": "FR", "group_name": "BNP Paribas", "bank_code": "30004"},
    {"id": 70, "name": "Crédit Agricole Morbihan", "country_code": "FR", "group_name": "Crédit Agricole",
     "bank_code": "15589"},
    {"id": 421, "name": "Qonto FR", "country_code": "FR", "group_name": "Qonto", "bank_code": "16958"},
    {"id": 179, "name": "Crédit Mutuel", "country_code": "FR", "group_name": "Crédit Mutuel",
     "bank_code": "10278"},
    {"id": 408, "name": "Société Générale", "country_code": "FR", "group_name": "Société Générale",
     "bank_code": "30003"},
    {"id": 152, "name": "Banco Santander", "country_code": "ES", "group_name": "Santander",
     "bank_code": None},
)

# (provider description, clean description, min amount, max amount, operation type, category id)
CHECKING_CATALOG = (
    ("VIR SEPA RECU /DE {client} /MOTIF FACTURE {ref}", "Virement {client}", 150, 4800, "transfer", 230),
    ("REMISE CB {day} TPE 1234567", "Remise carte bancaire", 80, 1900, "card", 230),
    ("REMISE CHEQUES N {num} 2 CHQ", "Remise de chèques", 60, 2500, "check", 230),
    ("PRLV SEPA URSSAF ICS FR98ZZZ001234 RUM {ref}", "Urssaf", -1800, -300, "direct_debit", 206),
    ("PRLV SEPA EDF ICS FR12ZZZ123456 RUM {ref}", "EDF", -320, -60, "direct_debit", 217),
    ("PRLV SEPA ORANGE SA", "Orange", -95, -35, "direct_debit", 217),
    ("CB TOTALENERGIES {day} NANCY", "Totalenergies", -110, -35, "card", 87),
    ("VIR SEPA EMIS /A {supplier} /FACT {ref}", "Virement {supplier}", -2600, -120, "transfer", 275),
    ("CHEQUE {num}", "Chèque", -900, -40, "check", 275),
    ("FRAIS TENUE DE COMPTE", "Frais bancaires", -18, -8, "bank_fee", 79),
)
SAVINGS_CATALOG = (
    ("VIR INTERNE DEPUIS COMPTE COURANT", "Virement interne", 100, 600, "transfer", 326),
)
CARD_CATALOG = (
    ("CARTE X4242 {day} RESTAURANT LE STANISLAS", "Restaurant Le Stanislas", -90, -18, "card", 83),
    ("CARTE X4242 {day} AMAZON EU SARL", "Amazon", -250, -12, "card", 186),
    ("CARTE X4242 {day} SNCF INTERNET", "SNCF", -180, -25, "card", 197),
    ("CARTE X4242 {day} HOTEL IBIS METZ", "Hotel Ibis", -140, -60, "card", 197),
)
CLIENTS = ("MARTIN SARL", "DUPONT ET FILS", "BOULANGERIE LEROY", "GARAGE PETIT", "SCI DES CARMES")
SUPPLIERS = ("METRO FRANCE", "BUREAU VALLEE", "FIDUCIAIRE LORRAINE", "ORANGE BUSINESS")


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def _iso(moment):
    """Bridge timestamp format: 2024-10-16T07:59:11.785Z."""
    moment = moment.astimezone(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _ms(moment):
    """Epoch milliseconds, exact (no float rounding)."""
    return calendar.timegm(moment.utctimetuple()) * 1000 + moment.microsecond // 1000


def _parse_timestamp(text):
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def _without_nulls(value):
    """v3 never returns null: keys whose value is None are left out (recursively)."""
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _b64(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def french_iban(bank_code, branch_code, account_number):
    """A valid French IBAN (RIB key and IBAN check digits computed) from numeric parts."""
    bank, branch, number = f"{int(bank_code):05d}", f"{int(branch_code):05d}", f"{int(account_number):011d}"
    rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(number)) % 97
    bban = f"{bank}{branch}{number}{rib_key:02d}"
    # Check digits: BBAN + "FR00" with letters as numbers (F=15, R=27), mod 97.
    check = 98 - int(bban + "152700") % 97
    return f"FR{check:02d}{bban}"


def _month_end(day):
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


class EmulatorError(Exception):
    """Answered as Bridge's error body."""

    def __init__(self, status, code, message=None, prop=None):
        super().__init__(message or code)
        self.status = status
        self.code = code
        self.message = message
        self.prop = prop

    def body(self):
        return {"errors": [_without_nulls({"code": self.code, "property": self.prop, "message": self.message})]}


class BridgeEmulator:
    """In-memory Bridge v3 served over HTTP. Thread-safe: every state change holds `_lock`."""

    def __init__(self, client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET, now=None):
        self.client_id = client_id
        self.client_secret = client_secret
        # `now`: a callable returning an aware datetime, or a fixed datetime; default: the real clock
        # (which freezegun can freeze, tests included).
        if now is None:
            self._now = _utcnow
        elif callable(now):
            self._now = now
        else:
            self._now = lambda: now
        self._lock = threading.RLock()
        self._server = None
        self._thread = None
        self._stopping = threading.Event()
        self.url = None
        # Seconds a "timeout" fault waits before dropping the connection without answering.
        self.timeout_delay = 3.0
        # New connections made through the hosted page get transactions from this date (None: none).
        self.connect_history_start = datetime.date(self._now().year, 1, 1)
        self.verbose = False
        # Standalone use: file where the state is saved after every change (see save_state).
        self.state_file = None
        self.reset()

    # ------------------------------------------------------------------ lifecycle
    def start(self, host="127.0.0.1", port=0):
        handler = type("BoundBridgeHandler", (_Handler,), {"emulator": self})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._stopping.clear()
        actual_host, actual_port = self._server.server_address[:2]
        if actual_host in ("0.0.0.0", "::", ""):
            actual_host = "127.0.0.1"  # listening everywhere: links must still name a reachable host
        self.url = f"http://{actual_host}:{actual_port:d}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="bridge-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread:
            self._thread.join(timeout=5)
            self._thread = None
        self.flush_webhooks()

    def __enter__(self):
        return self.start() if self._server is None else self

    def __exit__(self, *exc_info):
        self.stop()

    def now(self):
        return self._now().astimezone(datetime.timezone.utc)

    def today(self):
        return self.now().date()

    def reset(self):
        """Forget every user, item, account, transaction, session, fault and recorded request."""
        with self._lock:
            self.users = {}          # uuid -> {uuid, external_user_id, seq}
            self.tokens = {}         # access token -> {user_uuid, expires_at}
            self.items = {}          # id -> internal item
            self.accounts = {}       # id -> internal account
            self.transactions = {}   # id -> internal transaction
            self.connect_sessions = {}  # page token -> session
            self.faults = []         # [{method, regex, kind, remaining}]
            self.requests = []       # (method, path, query dict) of every API / connect page request
            self.webhook_url = None
            self.webhook_secrets = []
            self.webhook_deliveries = []  # (event type, HTTP status or None)
            self._webhook_threads = []
            self._user_seq = itertools.count(1)
            self._item_ids = itertools.count(10150001)
            self._account_ids = itertools.count(48180001)
            self._transaction_ids = itertools.count(33000191040001)
            self._last_update = None

    # ------------------------------------------------------------------ state control (tests, admin routes)
    def create_user(self, external_user_id=None):
        with self._lock:
            if external_user_id is not None and any(
                    user["external_user_id"] == external_user_id for user in self.users.values()):
                raise EmulatorError(409, "user.already_exists",
                                    f"A user with external_user_id {external_user_id} already exists")
            user_uuid = str(uuid.uuid4())
            self.users[user_uuid] = {"uuid": user_uuid, "external_user_id": external_user_id,
                                     "seq": next(self._user_seq)}
            return self._user_json(self.users[user_uuid])

    def issue_token(self, user_uuid):
        """A fresh 2-hour access token for the user (what POST /authorization/token returns)."""
        with self._lock:
            user = self.users.get(user_uuid)
            if user is None:
                raise EmulatorError(401, "user.authentication.unauthorized")
            token = f"{secrets.token_hex(20)}-{uuid.uuid4()}"
            expires_at = self.now() + datetime.timedelta(seconds=const.TOKEN_VALIDITY_SECONDS)
            self.tokens[token] = {"user_uuid": user_uuid, "expires_at": expires_at}
            return {"access_token": token, "expires_at": _iso(expires_at), "user": self._user_json(user)}

    def expire_tokens(self):
        """Every access token issued so far is now expired (Bridge answers 401)."""
        with self._lock:
            past = self.now() - datetime.timedelta(seconds=1)
            for token in self.tokens.values():
                token["expires_at"] = past

    def add_item(self, user_uuid, provider_id=const.DEMO_PROVIDER_ID, status=const.ITEM_STATUS_OK, accounts=None,
                 status_code_info=None, history_start=None):
        """Create a connection of the user; `accounts` = list of dicts overriding the Demo Bank set
        (name, type, iban, balance, currency_code, pro); `history_start` (date) generates
        transactions from that date to today. Returns the item JSON plus an "accounts" list."""
        with self._lock:
            if user_uuid not in self.users:
                raise EmulatorError(404, "user.not_found", f"User not found: {user_uuid}")
            provider = self._provider(provider_id)
            now = self.now()
            item = {
                "id": next(self._item_ids), "user_uuid": user_uuid, "provider_id": provider["id"],
                "account_types": "payment", "created_at": now, "last_try_refresh": now,
                "last_successful_refresh": now,
                "authentication_expires_at": now + datetime.timedelta(days=const.SCA_VALIDITY_DAYS),
            }
            self.items[item["id"]] = item
            self._set_status(item, status, status_code_info)
            specs = accounts if accounts is not None else self._demo_account_specs()
            created = [self._add_account(item, provider, dict(spec)) for spec in specs]
            if history_start:
                self._generate_history(item, created, history_start)
            result = self._item_json(item)
            result["accounts"] = [self._account_json(account) for account in created]
            return result

    def set_item_status(self, item_id, status, status_code_info=None):
        with self._lock:
            item = self._get(self.items, item_id, "item")
            self._set_status(item, int(status), status_code_info)
            item["last_try_refresh"] = self.now()
            if item["status"] == const.ITEM_STATUS_OK:
                item["last_successful_refresh"] = item["last_try_refresh"]
            return self._item_json(item)

    def set_authentication_expiry(self, item_id, expires_at):
        """When the item's strong authentication (SCA, 180 days) ends: datetime, date or ISO text."""
        if isinstance(expires_at, str):
            expires_at = _parse_timestamp(expires_at) if "T" in expires_at else datetime.date.fromisoformat(expires_at)
        if not isinstance(expires_at, datetime.datetime):
            expires_at = datetime.datetime.combine(expires_at, datetime.time(), datetime.timezone.utc)
        with self._lock:
            item = self._get(self.items, item_id, "item")
            item["authentication_expires_at"] = expires_at
            return self._item_json(item)

    def add_transactions(self, account_id, count=None, transactions=None, start_date=None, end_date=None,
                         seed=None):
        """Add given `transactions` (dicts: amount, date, provider_description, clean_description,
        booking_date, transaction_date, value_date, operation_type, category_id, future,
        currency_code) or `count` generated ones dated from `start_date` to `end_date` (default:
        the last 30 days). Returns their JSON."""
        with self._lock:
            account = self._get(self.accounts, account_id, "account")
            specs = list(transactions or [])
            if count:
                end = _as_date(end_date) or self.today()
                start = _as_date(start_date) or end - datetime.timedelta(days=30)
                specs.extend(self._random_specs(account, int(count), start, end, random.Random(seed)))
            created = [self._add_transaction(account, spec) for spec in specs]
            self._touch_account(account)
            return [self._transaction_json(tx) for tx in created]

    def update_transaction(self, transaction_id, **changes):
        """Change fields of a transaction (amount, date, descriptions, future...); bumps updated_at."""
        with self._lock:
            tx = self._get(self.transactions, transaction_id, "transaction")
            allowed = {"amount", "date", "booking_date", "transaction_date", "value_date", "provider_description",
                       "clean_description", "operation_type", "category_id", "future", "currency_code"}
            unknown = set(changes) - allowed
            if unknown:
                raise EmulatorError(400, "invalid_request", "Cannot change {}".format(", ".join(sorted(unknown))))
            for key, value in changes.items():
                if key in ("date", "booking_date", "transaction_date", "value_date"):
                    value = _as_date(value)
                tx[key] = value
            self._stamp(tx)
            self._count_change(tx["account_id"], "updated")
            self._touch_account(self.accounts[tx["account_id"]])
            return self._transaction_json(tx)

    def delete_transaction(self, transaction_id):
        """Bridge keeps a tombstone: deleted=true with a new updated_at."""
        with self._lock:
            tx = self._get(self.transactions, transaction_id, "transaction")
            tx["deleted"] = True
            self._stamp(tx)
            self._count_change(tx["account_id"], "deleted")
            self._touch_account(self.accounts[tx["account_id"]])
            return self._transaction_json(tx)

    def refresh_item(self, item_id):
        """A scheduled refresh by Bridge: refresh dates move, webhooks item.refreshed and
        item.account.updated (with the counts of new/updated/deleted transactions) are sent."""
        with self._lock:
            item = self._get(self.items, item_id, "item")
            now = self.now()
            item["last_try_refresh"] = now
            if item["status"] == const.ITEM_STATUS_OK:
                item["last_successful_refresh"] = now
            events = [(const.EVENT_ITEM_REFRESHED, self._refreshed_content(item, "scheduler"))]
            for account in self._item_accounts(item["id"]):
                counts = account.pop("changes", None) or {}
                events.append((const.EVENT_ACCOUNT_UPDATED, {
                    "account_id": account["id"], "item_id": item["id"], "user_uuid": item["user_uuid"],
                    "balance": self._balances(account)[0],
                    "nb_new_transactions": counts.get("new", 0),
                    "nb_updated_transactions": counts.get("updated", 0),
                    "nb_deleted_transactions": counts.get("deleted", 0),
                }))
            self._emit(events)
            return self._item_json(item)

    def fail_next(self, method, path_regex, kind, times=1):
        """The next `times` API requests matching method ("*" = any) and path regex fail with `kind`:
        401 (expired token), 429, 500, 503 (HTML body, as a load balancer), "timeout" (no answer
        for `timeout_delay` seconds, then the connection drops) or "malformed" (200 with broken JSON)."""
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError("fault kind must be one of {}".format(", ".join(FAULT_KINDS)))
        with self._lock:
            self.faults.append({"method": (method or "*").upper(), "regex": re.compile(path_regex),
                                "kind": kind, "remaining": int(times)})

    def clear_requests(self):
        with self._lock:
            self.requests = []

    def count_requests(self, method=None, path_regex=None):
        with self._lock:
            return sum(1 for req_method, path, _query in self.requests
                       if (method is None or req_method == method)
                       and (path_regex is None or re.search(path_regex, path)))

    def configure_webhooks(self, url, secrets_=None):
        """Send events (item.created, item.refreshed, item.account.*) to `url`, signed with each of
        `secrets_` (at most 2, as Bridge during a secret rotation); url None stops sending."""
        secret_list = [secrets_] if isinstance(secrets_, str) else list(secrets_ or [])
        if len(secret_list) > const.MAX_WEBHOOK_SECRETS:
            raise ValueError(f"Bridge signs with at most {const.MAX_WEBHOOK_SECRETS:d} secrets")
        with self._lock:
            self.webhook_url = url
            self.webhook_secrets = secret_list

    def send_webhook(self, url, event_type, content, secret):
        """POST one signed event to `url` now; returns the HTTP status (None when unreachable).
        `secret` may be a list of two secrets (two `v1=` signatures)."""
        body = json.dumps({"content": content, "timestamp": _ms(self.now()), "type": event_type}).encode()
        secret_list = [secret] if isinstance(secret, str) else list(secret or [])
        headers = {
            "Content-Type": "application/json", "User-Agent": "Bridge-Emulator-Webhooks",
            const.SIGNATURE_HEADER: webhook.sign_multi(body, secret_list),
        }
        target = urlsplit(url)
        connection_class = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
        connection = connection_class(target.hostname, target.port, timeout=10)
        try:
            connection.request("POST", target.path + ("?" + target.query if target.query else "") or "/",
                               body=body, headers=headers)
            status = connection.getresponse().status
        except (OSError, http.client.HTTPException):
            status = None
        finally:
            connection.close()
        with self._lock:
            self.webhook_deliveries.append((event_type, status))
        return status

    def flush_webhooks(self, timeout=10):
        """Wait until the events queued by the emulator itself have been delivered."""
        threads, self._webhook_threads = self._webhook_threads, []
        for thread in threads:
            thread.join(timeout)

    def seed_demo(self):
        """Standalone demo data: user "demo" (external id) with a healthy Demo Bank connection
        holding transactions since 1 January, and a second connection needing strong authentication."""
        with self._lock:
            existing = [user for user in self.users.values() if user["external_user_id"] == "demo"]
            user = self._user_json(existing[0]) if existing else self.create_user("demo")
            if not any(item["user_uuid"] == user["uuid"] for item in self.items.values()):
                self.add_item(user["uuid"], history_start=datetime.date(self.today().year, 1, 1))
                self.add_item(user["uuid"], status=const.ITEM_STATUS_SCA_REQUIRED,
                              accounts=[{"name": "Compte courant perso", "type": "checking", "balance": 1489.54}])
            return user

    def save_state(self, path=None):
        """Write users, connections, accounts, transactions and webhook settings to a JSON file
        (atomically), so that a restarted standalone emulator still knows the demo's Bridge users.
        Tokens and connect sessions are not kept: clients simply ask for new ones."""
        path = path or self.state_file
        with self._lock:
            state = {
                "users": list(self.users.values()),
                "items": [_dump_moments(item) for item in self.items.values()],
                "accounts": [_dump_moments(account) for account in self.accounts.values()],
                "transactions": [_dump_moments(tx) for tx in self.transactions.values()],
                "webhook_url": self.webhook_url, "webhook_secrets": self.webhook_secrets,
            }
        temporary = f"{path}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(state, handle)
        os.replace(temporary, path)

    def load_state(self, path=None):
        """Read a file written by save_state (replacing the current state)."""
        with open(path or self.state_file, encoding="utf-8") as handle:
            state = json.load(handle)
        with self._lock:
            self.reset()
            self.users = {user["uuid"]: user for user in state["users"]}
            self.items = {item["id"]: _load_moments(item, ITEM_MOMENTS) for item in state["items"]}
            self.accounts = {account["id"]: _load_moments(account, ("updated_at",)) for account in state["accounts"]}
            self.transactions = {tx["id"]: _load_moments(tx, TRANSACTION_MOMENTS) for tx in state["transactions"]}
            for tx in self.transactions.values():
                tx["updated_ms"] = _ms(tx["updated_at"])
            self.webhook_url, self.webhook_secrets = state.get("webhook_url"), state.get("webhook_secrets") or []
            self._user_seq = itertools.count(max([user["seq"] for user in self.users.values()], default=0) + 1)
            self._item_ids = itertools.count(max(self.items, default=10150000) + 1)
            self._account_ids = itertools.count(max(self.accounts, default=48180000) + 1)
            self._transaction_ids = itertools.count(max(self.transactions, default=33000191040000) + 1)
            self._last_update = max((tx["updated_at"] for tx in self.transactions.values()), default=None)

    def snapshot(self):
        """Summary for the admin route GET /_emulator/state."""
        with self._lock:
            return {
                "users": [self._user_json(user) for user in self.users.values()],
                "items": [dict(self._item_json(item), user_uuid=item["user_uuid"]) for item in self.items.values()],
                "accounts": [self._account_json(account) for account in self.accounts.values()],
                "transaction_count": len(self.transactions),
                "webhook_url": self.webhook_url,
                "webhook_deliveries": [list(delivery) for delivery in self.webhook_deliveries],
            }

    # ------------------------------------------------------------------ internals: model
    @staticmethod
    def _get(table, key, kind):
        try:
            return table[int(key)]
        except (KeyError, ValueError, TypeError):
            raise EmulatorError(404, f"{kind}.not_found", f"{kind.capitalize()} {key} not found") from None

    @staticmethod
    def _provider(provider_id):
        for provider in PROVIDERS:
            if str(provider["id"]) == str(provider_id):
                return provider
        raise EmulatorError(404, "not_found", "The requested resource doesn't exist")

    def _set_status(self, item, status, status_code_info=None):
        if status not in const.ITEM_STATUSES:
            raise EmulatorError(400, "invalid_request", f"Unknown item status {status}", "status")
        default_info, description = const.ITEM_STATUSES[status]
        item["status"] = status
        item["status_code_info"] = (status_code_info or default_info).lower()
        item["status_code_description"] = description

    @staticmethod
    def _demo_account_specs():
        return [
            {"name": "Compte courant professionnel", "type": const.ACCOUNT_TYPE_CHECKING, "balance": 12500.0},
            {"name": "Livret A", "type": const.ACCOUNT_TYPE_SAVINGS, "balance": 8000.0},
            # Deferred-debit card: its own account, no IBAN, debited monthly on the checking account.
            {"name": "Carte X4242 (débit différé sur Compte courant professionnel)",
             "type": const.ACCOUNT_TYPE_CARD, "balance": 0.0},
        ]

    def _add_account(self, item, provider, spec):
        account_id = next(self._account_ids)
        account_type = spec.get("type", const.ACCOUNT_TYPE_CHECKING)
        if "iban" in spec:
            iban = spec["iban"]
        elif account_type == const.ACCOUNT_TYPE_CARD or not provider.get("bank_code"):
            iban = None
        else:
            iban = french_iban(provider["bank_code"], 30 + item["id"] % 900, account_id)
        account = {
            "id": account_id, "item_id": item["id"], "user_uuid": item["user_uuid"],
            "provider_id": provider["id"], "name": spec.get("name") or f"Compte {account_id}",
            "type": account_type, "currency_code": spec.get("currency_code", "EUR"), "iban": iban,
            "pro": bool(spec.get("pro", False)), "opening_balance": float(spec.get("balance", 0.0)),
            "updated_at": self.now(), "linked_account_id": None,
        }
        if account_type == const.ACCOUNT_TYPE_CARD:
            checking = [acc for acc in self._item_accounts(item["id"]) if acc["type"] == const.ACCOUNT_TYPE_CHECKING]
            account["linked_account_id"] = checking[0]["id"] if checking else None
        self.accounts[account_id] = account
        return account

    def _item_accounts(self, item_id):
        return [account for account in self.accounts.values() if account["item_id"] == item_id]

    def _next_update_time(self):
        """`updated_at` of a change: now at Bridge's millisecond precision, and always after the
        previous change, so that a `since` feed or a cursor never confuses two changes."""
        moment = self.now()
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        if self._last_update is not None and moment <= self._last_update:
            moment = self._last_update + datetime.timedelta(milliseconds=1)
        self._last_update = moment
        return moment

    def _stamp(self, tx):
        """Mark a transaction changed now; `updated_ms` is its sort/cursor key, kept beside it."""
        tx["updated_at"] = self._next_update_time()
        tx["updated_ms"] = _ms(tx["updated_at"])

    def _add_transaction(self, account, spec):
        day = _as_date(spec.get("date")) or self.today()
        tx = {
            "id": next(self._transaction_ids), "account_id": account["id"],
            "amount": round(float(spec.get("amount", 0.0)), 2),
            "date": day,
            "booking_date": _as_date(spec.get("booking_date", day)),
            "transaction_date": _as_date(spec.get("transaction_date", day)),
            "value_date": _as_date(spec.get("value_date", day)),
            "provider_description": spec.get("provider_description") or spec.get("label") or "OPERATION",
            "clean_description": spec.get("clean_description") or (
                spec.get("provider_description") or spec.get("label") or "Opération").title(),
            "currency_code": spec.get("currency_code", account["currency_code"]),
            "operation_type": spec.get("operation_type"), "category_id": spec.get("category_id"),
            "future": bool(spec.get("future", day > self.today())), "deleted": False,
        }
        self._stamp(tx)
        self.transactions[tx["id"]] = tx
        self._count_change(account["id"], "new")
        return tx

    def _count_change(self, account_id, kind):
        changes = self.accounts[account_id].setdefault("changes", {})
        changes[kind] = changes.get(kind, 0) + 1

    def _touch_account(self, account):
        account["updated_at"] = self.now()

    def _random_specs(self, account, count, start, end, rng):
        catalog = {const.ACCOUNT_TYPE_SAVINGS: SAVINGS_CATALOG, const.ACCOUNT_TYPE_CARD: CARD_CATALOG}.get(
            account["type"], CHECKING_CATALOG)
        span = max((end - start).days, 0)
        specs = []
        for _index in range(count):
            day = start + datetime.timedelta(days=rng.randint(0, span))
            specs.append(self._catalog_spec(account, rng.choice(catalog), day, rng))
        specs.sort(key=lambda spec: spec["transaction_date"])
        return specs

    def _catalog_spec(self, account, entry, day, rng):
        raw, clean, low, high, operation_type, category_id = entry
        values = {"client": rng.choice(CLIENTS), "supplier": rng.choice(SUPPLIERS),
                  "ref": f"{day.strftime('%y%m')}{rng.randint(1, 99999):05d}",
                  "num": f"{rng.randint(1, 9999999):07d}", "day": day.strftime("%d/%m")}
        spec = {
            "amount": round(rng.uniform(low, high), 2), "provider_description": raw.format(**values),
            "clean_description": clean.format(**values).title() if "{" in clean else clean,
            "operation_type": operation_type, "category_id": category_id,
            "date": day, "transaction_date": day, "booking_date": day, "value_date": day,
        }
        if account["type"] == const.ACCOUNT_TYPE_CARD:
            # Deferred debit: bought on `day`, booked and debited at the end of the month.
            debit = _month_end(day)
            spec.update(date=debit, booking_date=debit, value_date=debit, future=False)
        return spec

    def _generate_history(self, item, accounts, start):
        """Realistic transactions from `start` to today (+ a few announced future ones), the card
        purchases of each closed month summed into one debit on the checking account."""
        rng = random.Random(item["id"])
        start, today = _as_date(start), self.today()
        by_type = {}
        for account in accounts:
            by_type.setdefault(account["type"], account)
        checking = by_type.get(const.ACCOUNT_TYPE_CHECKING)
        day = start
        while day <= today:
            if day.weekday() < 5:
                for account in accounts:
                    if account["type"] == const.ACCOUNT_TYPE_CHECKING:
                        rows = rng.choice((0, 1, 1, 2, 3))
                    elif account["type"] == const.ACCOUNT_TYPE_CARD:
                        rows = rng.choice((0, 0, 1, 1, 2))
                    elif account["type"] == const.ACCOUNT_TYPE_SAVINGS:
                        rows = 1 if day.day <= 7 and day.weekday() == 0 else 0
                    else:
                        rows = 0
                    catalog = {const.ACCOUNT_TYPE_SAVINGS: SAVINGS_CATALOG,
                               const.ACCOUNT_TYPE_CARD: CARD_CATALOG}.get(account["type"], CHECKING_CATALOG)
                    for _row in range(rows):
                        self._add_transaction(account, self._catalog_spec(account, rng.choice(catalog), day, rng))
            day += datetime.timedelta(days=1)
        card = by_type.get(const.ACCOUNT_TYPE_CARD)
        if card and checking:
            totals = {}
            for tx in self.transactions.values():
                if tx["account_id"] == card["id"] and tx["booking_date"] <= today:
                    totals[tx["booking_date"]] = totals.get(tx["booking_date"], 0.0) + tx["amount"]
            for debit_date, total in sorted(totals.items()):
                self._add_transaction(checking, {
                    "amount": round(total, 2), "date": debit_date,
                    "provider_description": "RELEVE CARTE X4242 DEBIT DIFFERE {}".format(debit_date.strftime("%m/%Y")),
                    "clean_description": "Relevé carte X4242", "operation_type": "card", "category_id": 79,
                })
        if checking:
            for offset, (label, clean, amount) in enumerate((
                    ("PRLV SEPA ORANGE SA ECHEANCE", "Orange", -54.99),
                    ("PRLV SEPA DGFIP TVA", "DGFiP", -1250.0))):
                when = today + datetime.timedelta(days=3 + 4 * offset)
                self._add_transaction(checking, {
                    "amount": amount, "date": when, "provider_description": label, "clean_description": clean,
                    "operation_type": "direct_debit", "category_id": 206, "future": True,
                })
        for account in accounts:
            account.pop("changes", None)
            self._touch_account(account)

    def _balances(self, account):
        """(balance, instant_balance): booked total, plus the announced future operations."""
        today = self.today()
        booked = future = 0.0
        for tx in self.transactions.values():
            if tx["account_id"] != account["id"] or tx["deleted"]:
                continue
            if account["type"] == const.ACCOUNT_TYPE_CARD:
                # A card account shows what is still to be debited from the checking account.
                if tx["booking_date"] > today:
                    booked += tx["amount"]
            elif tx["future"]:
                future += tx["amount"]
            else:
                booked += tx["amount"]
        balance = round(account["opening_balance"] + booked, 2)
        return balance, round(balance + future, 2)

    # ------------------------------------------------------------------ internals: JSON shapes
    @staticmethod
    def _user_json(user):
        return _without_nulls({"uuid": user["uuid"], "external_user_id": user["external_user_id"]})

    @staticmethod
    def _item_json(item):
        return _without_nulls({
            "id": item["id"], "status": item["status"], "status_code_info": item["status_code_info"],
            "status_code_description": item["status_code_description"], "provider_id": item["provider_id"],
            "account_types": item["account_types"],
            "last_successful_refresh": _iso(item["last_successful_refresh"]),
            "last_try_refresh": _iso(item["last_try_refresh"]), "created_at": _iso(item["created_at"]),
            "authentication_expires_at": _iso(item["authentication_expires_at"]),
        })

    def _account_json(self, account):
        balance, instant = self._balances(account)
        item = self.items[account["item_id"]]
        return _without_nulls({
            "id": account["id"], "name": account["name"], "balance": balance, "accounting_balance": balance,
            "instant_balance": instant, "updated_at": _iso(account["updated_at"]),
            "last_refresh_status": "successful" if item["status"] == const.ITEM_STATUS_OK else "failed",
            "type": account["type"], "currency_code": account["currency_code"], "item_id": account["item_id"],
            "provider_id": account["provider_id"], "data_access": "enabled", "pro": account["pro"],
            "iban": account["iban"],
        })

    @staticmethod
    def _transaction_json(tx):
        return _without_nulls({
            "id": tx["id"], "clean_description": tx["clean_description"],
            "provider_description": tx["provider_description"], "amount": tx["amount"],
            "date": tx["date"].isoformat(),
            "booking_date": tx["booking_date"].isoformat() if tx["booking_date"] else None,
            "transaction_date": tx["transaction_date"].isoformat() if tx["transaction_date"] else None,
            "value_date": tx["value_date"].isoformat() if tx["value_date"] else None,
            "updated_at": _iso(tx["updated_at"]), "currency_code": tx["currency_code"], "deleted": tx["deleted"],
            "category_id": tx["category_id"], "operation_type": tx["operation_type"],
            "account_id": tx["account_id"], "future": tx["future"],
        })

    @staticmethod
    def _provider_json(provider):
        return {
            "id": provider["id"], "name": provider["name"], "country_code": provider["country_code"],
            "group_name": provider["group_name"],
            "images": {"logo": "https://web.bridgeapi.io/img/banks-logo/{}.png".format(provider["id"])},
            "capabilities": ["aggregation", "account_check"],
            "aggregation_metadata": {"release_status": "active"},
            "health_status": {"aggregation": {"status": "healthy"}},
            "tags": {"segment": ["b2c", "b2b"]},
        }

    def _refreshed_content(self, item, trigger):
        return _without_nulls({
            "item_id": item["id"], "user_uuid": item["user_uuid"], "status_code": item["status"],
            "status_code_info": item["status_code_info"], "full_refresh": trigger == "connect",
            "refresh_trigger": trigger, "account_types": item["account_types"],
            "authentication_expires_at": _iso(item["authentication_expires_at"]),
        })

    # ------------------------------------------------------------------ internals: webhooks
    def _emit(self, events):
        """Deliver events in order, in the background, to the configured webhook URL."""
        url, secret_list = self.webhook_url, list(self.webhook_secrets)
        if not url or not secret_list or not events:
            return

        def deliver():
            for event_type, content in events:
                self.send_webhook(url, event_type, content, secret_list)

        thread = threading.Thread(target=deliver, name="bridge-emulator-webhooks", daemon=True)
        self._webhook_threads.append(thread)
        thread.start()

    # ------------------------------------------------------------------ internals: pagination
    def _page(self, path, records, key, query, default_limit=const.DEFAULT_PAGE_LIMIT):
        """Bridge list answer: records sorted by `key` (tuple of ints), cursor `after`, `limit`."""
        limit = query.get("limit", str(default_limit))
        if not re.fullmatch(r"\d+", limit) or not 1 <= int(limit) <= const.PAGE_LIMIT:
            raise EmulatorError(400, "invalid_request",
                                f"limit must be an integer between 1 and {const.PAGE_LIMIT:d}", "limit")
        limit = int(limit)
        after = query.get("after")
        if after:
            try:
                cursor = tuple(int(part) for part in _unb64(after).split(":"))
            except (ValueError, UnicodeDecodeError):
                raise EmulatorError(400, "invalid_request", "Invalid pagination cursor", "after") from None
            records = [record for record in records if key(record) > cursor]
        # One more than the page tells whether a next page exists, without sorting everything.
        ordered = heapq.nsmallest(limit + 1, records, key=key)
        page = ordered[:limit]
        next_uri = None
        if len(ordered) > limit:
            params = {name: value for name, value in query.items() if name not in ("after", "limit")}
            params["after"] = _b64(":".join(str(part) for part in key(page[-1])))
            params["limit"] = limit
            next_uri = f"{path}?{urlencode(params)}"
        return {"resources": page, "generated_at": _iso(self.now()), "pagination": {"next_uri": next_uri}}

    # ------------------------------------------------------------------ internals: API routes
    def _route(self, method, path, query, body, headers):
        """(status, JSON body or None) for an API request; raises EmulatorError."""
        for route_method, pattern, handler, needs_user in self._routes():
            match = re.fullmatch(pattern, path)
            if match and route_method == method:
                user_uuid = self._bearer_user(headers) if needs_user else None
                return handler(user_uuid, query, body, *match.groups())
        raise EmulatorError(404, "not_found", "The requested resource doesn't exist")

    def _routes(self):
        items, accounts, txs = const.PATH_ITEMS, const.PATH_ACCOUNTS, const.PATH_TRANSACTIONS
        return (
            ("GET", const.PATH_PROVIDERS, self._api_list_providers, False),
            ("GET", const.PATH_PROVIDERS + r"/(\d+)", self._api_get_provider, False),
            ("POST", const.PATH_USERS, self._api_create_user, False),
            ("GET", const.PATH_USERS, self._api_list_users, False),
            ("GET", const.PATH_USERS + r"/([0-9a-f-]+)", self._api_get_user, False),
            ("DELETE", const.PATH_USERS + r"/([0-9a-f-]+)", self._api_delete_user, False),
            ("POST", const.PATH_TOKEN, self._api_token, False),
            ("POST", const.PATH_CONNECT_SESSIONS, self._api_connect_session, True),
            ("GET", items, self._api_list_items, True),
            ("GET", items + r"/(\d+)", self._api_get_item, True),
            ("DELETE", items + r"/(\d+)", self._api_delete_item, True),
            ("GET", accounts, self._api_list_accounts, True),
            ("GET", accounts + r"/(\d+)", self._api_get_account, True),
            ("GET", txs, self._api_list_transactions, True),
            ("GET", txs + r"/(\d+)", self._api_get_transaction, True),
        )

    def _bearer_user(self, headers):
        # Bridge documents the header format error; the codes for unknown and expired tokens are
        # not documented: these two are our choice (clients only rely on the 401).
        authorization = headers.get("Authorization") or ""
        match = re.fullmatch(r"Bearer ([A-Za-z0-9-]+)", authorization.strip())
        if not match:
            raise EmulatorError(401, "invalid_authorization_header", "Authorization header has an invalid format")
        token = self.tokens.get(match.group(1))
        if token is None or token["user_uuid"] not in self.users:
            raise EmulatorError(401, "invalid_access_token", "The access token is invalid")
        if token["expires_at"] <= self.now():
            raise EmulatorError(401, "expired_access_token", "The access token has expired")
        return token["user_uuid"]

    def _api_list_providers(self, _user, query, _body):
        providers = [self._provider_json(provider) for provider in PROVIDERS]
        countries = [code.strip().upper() for code in query.get("country_code", "").split(",") if code.strip()]
        if countries:
            providers = [provider for provider in providers if provider["country_code"] in countries]
        return 200, self._page(const.PATH_PROVIDERS, providers, lambda provider: (provider["id"],), query)

    def _api_get_provider(self, _user, _query, _body, provider_id):
        return 200, self._provider_json(self._provider(provider_id))

    def _api_create_user(self, _user, _query, body):
        body = body or {}
        external = body.get("external_user_id")
        if external is not None and (not isinstance(external, str) or not external.strip()):
            raise EmulatorError(400, "invalid_request", "Invalid body content", "external_user_id")
        return 201, self.create_user(external)

    def _api_list_users(self, _user, query, _body):
        users = sorted(self.users.values(), key=lambda user: user["seq"])
        page = self._page(const.PATH_USERS, users, lambda user: (user["seq"],), query)
        page["resources"] = [self._user_json(user) for user in page["resources"]]
        return 200, page

    def _api_get_user(self, _user, _query, _body, user_uuid):
        user = self.users.get(user_uuid)
        if user is None:
            raise EmulatorError(404, "user.not_found", f"User not found: {user_uuid}")
        return 200, self._user_json(user)

    def _api_delete_user(self, _user, _query, _body, user_uuid):
        if user_uuid not in self.users:
            raise EmulatorError(404, "user.not_found", f"User not found: {user_uuid}")
        for item in [item for item in self.items.values() if item["user_uuid"] == user_uuid]:
            self._delete_item(item)
        del self.users[user_uuid]
        self.tokens = {token: data for token, data in self.tokens.items() if data["user_uuid"] != user_uuid}
        self._emit([(const.EVENT_USER_DELETED, {"user_uuid": user_uuid})])
        return 204, None

    def _api_token(self, _user, _query, body):
        body = body or {}
        user_uuid = body.get("user_uuid")
        external = body.get("external_user_id")
        if not user_uuid and not external:
            raise EmulatorError(400, "invalid_request", "Invalid body content")
        if not user_uuid:
            matches = [user["uuid"] for user in self.users.values() if user["external_user_id"] == external]
            user_uuid = matches[0] if matches else None
        return 201, self.issue_token(user_uuid)

    def _api_connect_session(self, user_uuid, _query, body):
        body = body or {}
        item_id = body.get("item_id")
        if item_id is not None:
            item = self.items.get(item_id) if isinstance(item_id, int) else None
            if item is None or item["user_uuid"] != user_uuid:
                raise EmulatorError(404, "item.not_found", f"Item {item_id} not found for user {user_uuid}")
        elif not body.get("user_email"):
            raise EmulatorError(400, "invalid_request", "user_email is required", "user_email")
        account_types = body.get("account_types", "payment")
        if account_types not in const.CONNECT_ACCOUNT_TYPES:
            raise EmulatorError(400, "connect_session.account_types_invalid",
                                "The account_types parameter is invalid. It should be payment or all.",
                                "account_types")
        context = body.get("context")
        if context is not None and (not isinstance(context, str) or not CONTEXT_RE.fullmatch(context)):
            raise EmulatorError(400, "connect_session.context_invalid",
                                "context must be at most 100 letters, digits or dashes", "context")
        country = body.get("country_code")
        if country is not None and country not in COUNTRY_CODES:
            raise EmulatorError(400, "connect_session.country_code_invalid", "Unknown country code", "country_code")
        provider_id = body.get("provider_id")
        if provider_id is not None:
            try:
                self._provider(provider_id)
            except EmulatorError:
                raise EmulatorError(400, "connect_session.provider_id_invalid", "Unknown provider",
                                    "provider_id") from None
        callback_url = body.get("callback_url")
        if callback_url is not None and (
                not isinstance(callback_url, str) or urlsplit(callback_url).scheme not in ("http", "https")):
            raise EmulatorError(400, "invalid_request", "callback_url must be an http(s) URL", "callback_url")
        session_id, page_token = str(uuid.uuid4()), str(uuid.uuid4())
        self.connect_sessions[page_token] = {
            "id": session_id, "user_uuid": user_uuid, "callback_url": callback_url, "context": context,
            "provider_id": provider_id, "item_id": item_id, "country_code": country or "FR",
            "user_email": body.get("user_email"), "account_types": account_types, "state": "login",
            "outcome": const.ITEM_STATUS_OK, "otp_errors": 0,
        }
        return 201, {"id": session_id, "url": f"{self.url}/connect/session/{page_token}"}

    def _user_item(self, user_uuid, item_id):
        item = self.items.get(int(item_id))
        if item is None or item["user_uuid"] != user_uuid:
            raise EmulatorError(404, "item.not_found", f"Item {item_id} not found for user {user_uuid}")
        return item

    def _user_account(self, user_uuid, account_id):
        account = self.accounts.get(int(account_id))
        if account is None or account["user_uuid"] != user_uuid:
            raise EmulatorError(404, "account.not_found",
                                f"Account {account_id} not found for user {user_uuid}")
        return account

    def _api_list_items(self, user_uuid, query, _body):
        items = [item for item in self.items.values() if item["user_uuid"] == user_uuid]
        page = self._page(const.PATH_ITEMS, items, lambda item: (item["id"],), query)
        page["resources"] = [self._item_json(item) for item in page["resources"]]
        return 200, page

    def _api_get_item(self, user_uuid, _query, _body, item_id):
        return 200, self._item_json(self._user_item(user_uuid, item_id))

    def _api_delete_item(self, user_uuid, _query, _body, item_id):
        self._delete_item(self._user_item(user_uuid, item_id))
        return 204, None

    def _delete_item(self, item):
        account_ids = {account["id"] for account in self._item_accounts(item["id"])}
        self.transactions = {key: tx for key, tx in self.transactions.items() if tx["account_id"] not in account_ids}
        for account_id in account_ids:
            del self.accounts[account_id]
        del self.items[item["id"]]
        self._emit([(const.EVENT_ITEM_DELETED, {"item_id": item["id"], "user_uuid": item["user_uuid"]})])

    def _api_list_accounts(self, user_uuid, query, _body):
        accounts = [account for account in self.accounts.values() if account["user_uuid"] == user_uuid]
        if query.get("item_id"):
            item = self._user_item(user_uuid, _int_param(query, "item_id"))
            accounts = [account for account in accounts if account["item_id"] == item["id"]]
        page = self._page(const.PATH_ACCOUNTS, accounts, lambda account: (account["id"],), query)
        page["resources"] = [self._account_json(account) for account in page["resources"]]
        return 200, page

    def _api_get_account(self, user_uuid, _query, _body, account_id):
        return 200, self._account_json(self._user_account(user_uuid, account_id))

    def _api_list_transactions(self, user_uuid, query, _body):
        account_ids = {account["id"] for account in self.accounts.values() if account["user_uuid"] == user_uuid}
        if query.get("account_id"):
            account_ids = {self._user_account(user_uuid, _int_param(query, "account_id"))["id"]}
        # Bridge says "updated_at after since / before until" (strict, compared at the millisecond
        # precision it publishes) and "date after min_date / before max_date", which we take as
        # inclusive calendar bounds, as a user choosing a date range expects.
        since = _timestamp_param(query, "since")
        until = _timestamp_param(query, "until")
        since_ms = _ms(since) if since else None
        until_ms = _ms(until) if until else None
        min_date = _date_param(query, "min_date")
        max_date = _date_param(query, "max_date")
        selected = [
            tx for tx in self.transactions.values()
            if tx["account_id"] in account_ids
            and (since_ms is None or tx["updated_ms"] > since_ms)
            and (until_ms is None or tx["updated_ms"] < until_ms)
            and (min_date is None or tx["date"] >= min_date) and (max_date is None or tx["date"] <= max_date)
        ]
        # Ordered by updated_at then id, like Bridge's cursor (epoch-ms:id): a row updated while a
        # client pages through moves to the end and is still seen.
        page = self._page(const.PATH_TRANSACTIONS, selected, lambda tx: (tx["updated_ms"], tx["id"]), query)
        page["resources"] = [self._transaction_json(tx) for tx in page["resources"]]
        return 200, page

    def _api_get_transaction(self, user_uuid, _query, _body, transaction_id):
        tx = self.transactions.get(int(transaction_id))
        if tx is None or self.accounts[tx["account_id"]]["user_uuid"] != user_uuid:
            raise EmulatorError(404, "transaction.not_found",
                                f"Transaction {transaction_id} not found for user {user_uuid}")
        return 200, self._transaction_json(tx)

    # ------------------------------------------------------------------ internals: hosted connect page
    def _connect_page(self, method, token, action, form, query):
        """(status, html, redirect location) of the hosted connect funnel."""
        session = self.connect_sessions.get(token)
        if session is None:
            return 404, _page_html("Session inconnue", "<p>Cette session de connexion n'existe pas.</p>"), None
        if session["state"] == "done":
            return 410, _page_html("Session terminée",
                                   "<p>Cette session de connexion a déjà été utilisée.</p>"), None
        if action == "cancel":
            step = query.get("step") or ("otp_form" if session["state"] == "otp" else "bank_creds_form")
            if step not in const.CONNECT_STEPS:
                step = "bank_creds_form"
            session["state"] = "done"
            return 302, None, self._callback_location(session, session.get("item_id"), False, step)
        if action == "login" and method == "POST":
            return self._connect_login(session, token, form)
        if action == "otp" and method == "POST":
            return self._connect_otp(session, token, form)
        if action == "otp" and session["state"] == "otp":
            return 200, self._otp_form(session, token), None
        return 200, self._login_form(session, token), None

    def _connect_login(self, session, token, form):
        provider_id = session["provider_id"]
        if session["item_id"]:
            provider_id = self.items[session["item_id"]]["provider_id"]
        provider_id = provider_id or form.get("provider_id") or const.DEMO_PROVIDER_ID
        try:
            provider = self._provider(provider_id)
        except EmulatorError:
            return 200, self._login_form(session, token, "Choisissez votre banque."), None
        login, password = form.get("login", "").strip(), form.get("password", "")
        if not login or not password:
            return 200, self._login_form(session, token, "Saisissez votre identifiant et votre mot de passe."), None
        if password == WRONG_PASSWORD:
            return 200, self._login_form(session, token, "Identifiant ou mot de passe incorrect."), None
        try:
            outcome = int(form.get("outcome", const.ITEM_STATUS_OK))
        except ValueError:
            outcome = const.ITEM_STATUS_OK
        session.update(state="otp", provider_id=provider["id"], outcome=outcome if outcome in dict(
            CONNECT_OUTCOMES) else const.ITEM_STATUS_OK)
        return 303, None, f"/connect/session/{token}/otp"

    def _connect_otp(self, session, token, form):
        if session["state"] != "otp":
            return 303, None, f"/connect/session/{token}"
        if form.get("code", "").strip() != DEMO_OTP:
            session["otp_errors"] += 1
            return 200, self._otp_form(session, token, "Code incorrect, vérifiez le code reçu par SMS."), None
        return self._finish_connect(session)

    def _finish_connect(self, session):
        session["state"] = "done"
        outcome = session["outcome"]
        now = self.now()
        events = []
        if session["item_id"]:
            item = self.items[session["item_id"]]
            self._set_status(item, outcome)
            item["last_try_refresh"] = now
            if outcome == const.ITEM_STATUS_OK:
                item["last_successful_refresh"] = now
                item["authentication_expires_at"] = now + datetime.timedelta(days=const.SCA_VALIDITY_DAYS)
        else:
            created = self.add_item(session["user_uuid"], session["provider_id"], outcome,
                                    history_start=self.connect_history_start if outcome == const.ITEM_STATUS_OK
                                    else None)
            item = self.items[created["id"]]
            item["account_types"] = session["account_types"]
            events.append((const.EVENT_ITEM_CREATED, {"item_id": item["id"], "user_uuid": item["user_uuid"]}))
            for account in created["accounts"]:
                events.append((const.EVENT_ACCOUNT_CREATED, {
                    "account_id": account["id"], "item_id": item["id"], "user_uuid": item["user_uuid"],
                    "balance": account["balance"]}))
        events.append((const.EVENT_ITEM_REFRESHED, self._refreshed_content(item, "connect")))
        self._emit(events)
        success = outcome == const.ITEM_STATUS_OK
        return 302, None, self._callback_location(session, item["id"], success, OUTCOME_STEPS.get(outcome))

    def _callback_location(self, session, item_id, success, step):
        params = {"item_id": item_id, "user_uuid": session["user_uuid"], "success": "true" if success else "false",
                  "step": None if success else step, "source": "connect", "context": session["context"]}
        query = urlencode({key: value for key, value in params.items() if value is not None})
        target = session["callback_url"]
        if not target:
            return f"/connect/done?{query}"
        return "{}{}{}".format(target, "&" if "?" in target else "?", query)

    def _login_form(self, session, token, error=None):
        if session["item_id"]:
            provider = self._provider(self.items[session["item_id"]]["provider_id"])
        elif session["provider_id"]:
            provider = self._provider(session["provider_id"])
        else:
            provider = None
        if provider:
            bank = "<p>Banque : <strong>{}</strong></p>".format(html.escape(provider["name"]))
        else:
            options = "".join(
                f'<option value="{p["id"]:d}"{" selected" if p["id"] == const.DEMO_PROVIDER_ID else ""}>'
                f'{html.escape(p["name"])}</option>'
                for p in PROVIDERS if p["country_code"] == session["country_code"])
            bank = f'<label>Banque <select name="provider_id">{options}</select></label>'
        outcomes = "".join(f'<option value="{code:d}">{html.escape(label)}</option>'
                           for code, label in CONNECT_OUTCOMES)
        body = """{error}
<form method="post" action="/connect/session/{token}/login">
  {bank}
  <label>Identifiant <input name="login" autocomplete="username" required></label>
  <label>Mot de passe <input name="password" type="password" autocomplete="current-password" required></label>
  <label>Résultat simulé <select name="outcome">{outcomes}</select></label>
  <button type="submit">Se connecter</button>
</form>
<p class="hint">Banque de démonstration : tout identifiant convient ; le mot de passe « wrong » est refusé.</p>
<p><a href="/connect/session/{token}/cancel?step=bank_creds_form">Annuler</a></p>""".format(
            error=f'<p class="error">{html.escape(error)}</p>' if error else "",
            token=token,
            bank=bank,
            outcomes=outcomes,
        )
        title = "Mettre à jour la connexion" if session["item_id"] else "Connecter votre banque"
        return _page_html(title, body)

    def _otp_form(self, session, token, error=None):
        body = """{error}
<p>Saisissez le code à usage unique envoyé par votre banque.</p>
<form method="post" action="/connect/session/{token}/otp">
  <label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code" required></label>
  <button type="submit">Valider</button>
</form>
<p class="hint">Banque de démonstration : le code est {otp}.</p>
<p><a href="/connect/session/{token}/cancel?step=otp_form">Annuler</a></p>""".format(
            error=f'<p class="error">{html.escape(error)}</p>' if error else "",
            token=token,
            otp=DEMO_OTP,
        )
        return _page_html("Authentification forte", body)

    # ------------------------------------------------------------------ internals: admin routes
    def _admin(self, method, path, body):
        """JSON admin API for the standalone emulator (state control from the demo)."""
        body = body or {}
        route = path[len("/_emulator"):]
        if method == "GET" and route == "/state":
            return 200, self.snapshot()
        if method == "GET" and route == "/requests":
            return 200, {"requests": [[m, p, q] for m, p, q in self.requests]}
        if method != "POST":
            raise EmulatorError(404, "not_found", "Unknown admin route")
        for admin_routes in (self._admin_state, self._admin_items, self._admin_transactions, self._admin_settings):
            answer = admin_routes(route, body)
            if answer is not None:
                return answer
        raise EmulatorError(404, "not_found", "Unknown admin route")

    def _admin_state(self, route, body):
        """Admin POST routes on the whole state and the users; None for another route."""
        if route == "/reset":
            self.reset()
            return 200, {}
        if route == "/seed-demo":
            return 200, self.seed_demo()
        if route == "/users":
            return 201, self.create_user(body.get("external_user_id"))
        return None

    def _admin_items(self, route, body):
        """Admin POST routes on the items (connections); None for another route."""
        if route == "/items":
            return 201, self.add_item(body.get("user_uuid"), body.get("provider_id", const.DEMO_PROVIDER_ID),
                                      int(body.get("status", 0)), body.get("accounts"), body.get("status_code_info"),
                                      body.get("history_start"))
        match = re.fullmatch(r"/items/(\d+)/(status|refresh|authentication-expiry)", route)
        if not match:
            return None
        if match.group(2) == "status":
            return 200, self.set_item_status(match.group(1), body.get("status", 0), body.get("status_code_info"))
        if match.group(2) == "authentication-expiry":
            try:
                return 200, self.set_authentication_expiry(match.group(1), body.get("expires_at") or "")
            except ValueError:
                raise EmulatorError(400, "invalid_request", "expires_at must be an ISO date", "expires_at") from None
        return 200, self.refresh_item(match.group(1))

    def _admin_transactions(self, route, body):
        """Admin POST routes on the transactions; None for another route."""
        if route == "/transactions":
            return 201, {"transactions": self.add_transactions(
                body.get("account_id"), body.get("count"), body.get("transactions"), body.get("start_date"),
                body.get("end_date"), body.get("seed"))}
        match = re.fullmatch(r"/transactions/(\d+)/(update|delete)", route)
        if not match:
            return None
        if match.group(2) == "update":
            return 200, self.update_transaction(match.group(1), **(body.get("changes") or {}))
        return 200, self.delete_transaction(match.group(1))

    def _admin_settings(self, route, body):
        """Admin POST routes on faults, tokens and webhooks; None for another route."""
        if route == "/faults":
            try:
                self.fail_next(body.get("method", "*"), body.get("path_regex", ".*"), body.get("kind"),
                               body.get("times", 1))
            except (ValueError, re.error) as exc:
                raise EmulatorError(400, "invalid_request", str(exc), "kind") from None
            return 201, {}
        if route == "/expire-tokens":
            self.expire_tokens()
            return 200, {}
        if route == "/webhooks":
            self.configure_webhooks(body.get("url"), body.get("secrets"))
            return 200, {}
        if route == "/webhooks/send":
            return 200, {"status": self.send_webhook(body.get("url"), body.get("type", const.EVENT_TEST),
                                                     body.get("content") or {}, body.get("secret"))}
        return None

    def _take_fault(self, method, path):
        with self._lock:
            for fault in self.faults:
                if fault["remaining"] > 0 and fault["method"] in ("*", method) and fault["regex"].search(path):
                    fault["remaining"] -= 1
                    return fault["kind"]
            self.faults = [fault for fault in self.faults if fault["remaining"] > 0]
        return None


ITEM_MOMENTS = ("created_at", "last_try_refresh", "last_successful_refresh", "authentication_expires_at")
TRANSACTION_MOMENTS = ("updated_at", "date", "booking_date", "transaction_date", "value_date")


def _dump_moments(record):
    return {key: value.isoformat() if isinstance(value, datetime.date) else value for key, value in record.items()}


def _load_moments(record, keys):
    for key in keys:
        if record.get(key):
            record[key] = (_parse_timestamp(record[key]) if "T" in record[key]
                           else datetime.date.fromisoformat(record[key]))
    return record


def _as_date(value):
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def _int_param(query, name):
    value = query.get(name, "")
    if not re.fullmatch(r"\d+", value):
        raise EmulatorError(400, "invalid_request", f"{name} must be an integer", name)
    return int(value)


def _timestamp_param(query, name):
    if not query.get(name):
        return None
    try:
        return _parse_timestamp(query[name])
    except ValueError:
        raise EmulatorError(400, "invalid_request", f"{name} must be an ISO 8601 timestamp", name) from None


def _date_param(query, name):
    if not query.get(name):
        return None
    try:
        return datetime.date.fromisoformat(query[name])
    except ValueError:
        raise EmulatorError(400, "invalid_request", f"{name} must be a YYYY-MM-DD date", name) from None


def _page_html(title, body):
    return """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title} - Bridge (émulateur)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto;color:#222}}label{{display:block;margin:.8rem 0}}
input,select{{display:block;box-sizing:border-box;width:100%;padding:.4rem;margin-top:.2rem}}\
button{{padding:.5rem 1.2rem}}
.error{{color:#b00020}}.hint{{color:#666;font-size:.9em}}</style></head>
<body><p class="hint">Bridge &middot; émulateur local</p><h1>{title}</h1>{body}</body></html>""".format(
        title=html.escape(title), body=body
    )


class _Handler(BaseHTTPRequestHandler):
    """HTTP front of the emulator: API (/v3), hosted connect page (/connect), admin (/_emulator)."""

    emulator = None  # set on the subclass bound to one emulator
    protocol_version = "HTTP/1.1"
    def version_string(self):
        return "Bridge"

    def log_message(self, fmt, *args):
        if self.emulator.verbose:
            # The request line holds no secret: credentials and tokens travel in headers only.
            sys.stderr.write("[bridge-emulator] %s\n" % (fmt % args))

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_PUT(self):
        self._handle("PUT")

    def do_PATCH(self):
        self._handle("PATCH")

    def _handle(self, method):
        emulator = self.emulator
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = {key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        raw = self._read_body()
        try:
            if path.startswith("/_emulator/"):
                with emulator._lock:
                    status, payload = emulator._admin(method, path, _json_body(raw, self.headers, strict=False))
                    self._persist(method, path)
                self._send_json(status, payload)
            else:
                with emulator._lock:
                    emulator.requests.append((method, path, query))
                if path.startswith("/connect/"):
                    self._handle_connect(method, path, query, raw)
                elif path.startswith("/v3/"):
                    self._handle_api(method, path, query, raw)
                else:
                    raise EmulatorError(404, "not_found", "The requested resource doesn't exist")
        except EmulatorError as exc:
            self._send_json(exc.status, exc.body())
        except Exception as exc:  # an emulator bug must show as a 500, like a real server
            sys.stderr.write(f"[bridge-emulator] internal error on {method} {path}: {exc!r}\n")
            self._send_json(500, {"errors": [{"code": "internal_server_error", "message": "Internal server error"}]})

    def _handle_api(self, method, path, query, raw):
        emulator = self.emulator
        fault = emulator._take_fault(method, path)
        if fault == "timeout":
            emulator._stopping.wait(emulator.timeout_delay)
            self.close_connection = True
            return None
        if fault == "malformed":
            return self._send(200, b'{"resources": [{"id": 33000191040001, "amount": -12.5,', "application/json")
        if fault == "503":
            return self._send(503, b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                              "text/html")
        if fault in ("429", "500"):
            code, message = {"429": ("too_many_requests", "Too many requests, please retry later"),
                             "500": ("internal_server_error", "Internal server error")}[fault]
            raise EmulatorError(int(fault), code, message)
        version = self.headers.get("Bridge-Version")
        if not version:
            raise EmulatorError(400, "invalid_request", "Missing Bridge-Version header", "Bridge-Version")
        if version != const.BRIDGE_VERSION:
            raise EmulatorError(400, "invalid_request", f"Unsupported Bridge-Version {version}", "Bridge-Version")
        client_id = self.headers.get("Client-Id") or ""
        client_secret = self.headers.get("Client-Secret") or ""
        if not (hmac.compare_digest(client_id.encode(), emulator.client_id.encode())
                and hmac.compare_digest(client_secret.encode(), emulator.client_secret.encode())):
            raise EmulatorError(401, "invalid_client_credentials", "client_id and client_secret are invalid")
        if fault == "401":
            raise EmulatorError(401, "expired_access_token", "The access token has expired")
        body = None
        if method in ("POST", "PUT", "PATCH") and raw:
            body = _json_body(raw, self.headers, strict=True)
        with emulator._lock:
            status, payload = emulator._route(method, path, query, body, self.headers)
            self._persist(method, path)
        return self._send_json(status, payload)

    def _handle_connect(self, method, path, query, raw):
        emulator = self.emulator
        if path == "/connect/done":
            body = "<p>%s</p>" % ("Connexion réussie." if query.get("success") == "true" else "Connexion interrompue.")
            return self._send(200, _page_html("Bridge", body).encode(), "text/html; charset=utf-8")
        match = re.fullmatch(r"/connect/session/([0-9a-f-]+)(?:/(login|otp|cancel))?", path)
        if not match:
            raise EmulatorError(404, "not_found", "The requested resource doesn't exist")
        form = {}
        if method == "POST":
            form = {key: values[-1] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}
        with emulator._lock:
            status, page, location = emulator._connect_page(method, match.group(1), match.group(2), form, query)
            self._persist(method, path)
        if location:
            return self._send(status, b"", "text/plain", {"Location": location})
        return self._send(status, page.encode("utf-8"), "text/html; charset=utf-8")

    def _persist(self, method, path):
        """Standalone emulator: save the state after a change, before answering."""
        if self.emulator.state_file and method != "GET" and path != const.PATH_TOKEN:
            self.emulator.save_state()

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send_json(self, status, payload):
        if payload is None:
            return self._send(status, b"", None)
        # Shapes already leave null keys out; `pagination.next_uri` is the one null Bridge sends.
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return self._send(status, body, "application/json; charset=utf-8")

    def _send(self, status, body, content_type, extra_headers=None):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, no-store")
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)


def _json_body(raw, headers, strict):
    if not raw:
        return None
    if strict and "application/json" not in (headers.get("Content-Type") or ""):
        raise EmulatorError(415, "unsupported_media_type", "Content-Type must be application/json")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise EmulatorError(400, "invalid_request", "Invalid body content") from None


def main(argv=None):
    parser = argparse.ArgumentParser(description="Local Bridge API v3 emulator (Demo Bank).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--seed", choices=("none", "demo"), default="none",
                        help="demo: a user 'demo' with a Demo Bank connection and transactions")
    parser.add_argument("--client-id", default=os.environ.get("BRIDGE_EMULATOR_CLIENT_ID", DEFAULT_CLIENT_ID))
    parser.add_argument("--client-secret",
                        default=os.environ.get("BRIDGE_EMULATOR_CLIENT_SECRET", DEFAULT_CLIENT_SECRET))
    parser.add_argument("--state-file", help="JSON file keeping the state across restarts (loaded if present)")
    parser.add_argument("--public-url", help="base URL browsers use to reach the emulator (connect page links)")
    parser.add_argument("--verbose", action="store_true", help="log each request line")
    args = parser.parse_args(argv)
    emulator = BridgeEmulator(args.client_id, args.client_secret)
    emulator.verbose = args.verbose
    if args.state_file:
        emulator.state_file = args.state_file
        if os.path.exists(args.state_file):
            emulator.load_state()
    if args.seed == "demo":
        emulator.seed_demo()  # keeps an existing "demo" user and its connections
    if args.state_file:
        emulator.save_state()
    emulator.start(args.host, args.port)
    if args.public_url:
        emulator.url = args.public_url.rstrip("/")
    sys.stdout.write(f"[bridge-emulator] listening on {emulator.url} (client id {emulator.client_id})\n")
    sys.stdout.flush()
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C stops the emulator
            emulator._thread.join()
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

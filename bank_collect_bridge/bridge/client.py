"""Small client of the Bridge API v3 (aggregation), plain Python (requests, no Odoo import).

* App authentication: `Client-Id`, `Client-Secret` and `Bridge-Version` headers on every call.
* User authentication: a 2 h bearer token per Bridge user, cached in the process (shared by the
  clients of one application) and renewed 5 minutes before it expires, and renewed once more when
  Bridge answers 401 anyway.
* Every call has a timeout; HTTP 429, 5xx, timeouts and refused connections are retried a bounded
  number of times with exponential back-off; anything else raises a typed `BridgeError` carrying
  Bridge's error code. Tokens and secrets never appear in logs or exception messages.
"""
import datetime
import json
import logging
import operator as _operator
import threading
import time

import requests
import urllib3

from . import const

_logger = logging.getLogger(__name__)


class BridgeError(Exception):
    """A Bridge call failed. `status` is the HTTP status (None without answer), `code` Bridge's
    error code (e.g. "items.not_found"), `message` a readable text free of secrets."""

    def __init__(self, message, status=None, code=None, method=None, path=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.method = method
        self.path = path

    def __str__(self):
        return self.message


class BridgeAuthError(BridgeError):
    """401 after one token renewal, or application credentials refused."""


class BridgeNotFoundError(BridgeError):
    """404: the user, item, account or transaction does not exist (any more)."""


class BridgeRateLimitError(BridgeError):
    """429 still after the retries."""


class BridgeServerError(BridgeError):
    """5xx still after the retries."""


class BridgeTimeoutError(BridgeError):
    """No answer in time, or connection refused, still after the retries."""


class BridgeResponseError(BridgeError):
    """The answer is not the JSON Bridge documents (malformed JSON or unexpected shape)."""


class RequestTimeout(tuple):
    """(connect, read) timeout in seconds, as requests takes it, that also compares with a plain
    number by its shortest part: code that checks a timeout against a number (Odoo's test harness
    raises timeouts under 10 s to 10 s) then works instead of failing on tuple < int."""

    def __new__(cls, timeout):
        if isinstance(timeout, (int, float)):
            timeout = (timeout, timeout)
        connect, read = timeout
        if connect <= 0 or read <= 0:
            raise ValueError("timeouts must be positive")
        return super().__new__(cls, (connect, read))

    def _compare(self, other, operator):
        if isinstance(other, (int, float)):
            return operator(min(self), other)
        return getattr(tuple, operator.__name__.join(("__", "__")))(self, other)

    def __lt__(self, other):
        return self._compare(other, _operator.lt)

    def __le__(self, other):
        return self._compare(other, _operator.le)

    def __gt__(self, other):
        return self._compare(other, _operator.gt)

    def __ge__(self, other):
        return self._compare(other, _operator.ge)


# User tokens shared by every client of the process, keyed by (API URL, client id, user uuid):
# Odoo builds a client per operation, and Bridge allows only 10 token requests per user a minute.
_TOKENS = {}
_TOKEN_LOCK = threading.RLock()

# Retried: the request may succeed a moment later.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def parse_datetime(value):
    """Bridge timestamps ("2024-10-16T07:59:11.785Z", sometimes without zone) -> aware UTC datetime."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def format_datetime(value):
    """datetime (naive = UTC) -> Bridge's "YYYY-MM-DDTHH:MM:SS.mmmZ"; strings are passed through."""
    if isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def format_date(value):
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.isoformat()


def _transaction_params(account_id, since, min_date, max_date, limit):
    """Query of the transactions list: `since` bounds `updated_at`, the dates bound `date`."""
    params = {"limit": min(int(limit), const.PAGE_LIMIT)}
    if account_id is not None:
        params["account_id"] = account_id
    if since:
        params["since"] = format_datetime(since)
    if min_date:
        params["min_date"] = format_date(min_date)
    if max_date:
        params["max_date"] = format_date(max_date)
    return params


class BridgeClient:
    """Bridge API v3 client for one application (client id + secret).

    `sleep` is injectable so tests need not wait for the back-off; `on_request(method, path, status,
    duration_seconds, error_code)` is called after every HTTP exchange (the path carries no secret).
    """

    def __init__(self, base_url, client_id, client_secret, *, version=const.BRIDGE_VERSION, timeout=(5, 30),
                 max_retries=3, backoff=0.5, sleep=time.sleep, session=None, on_request=None):
        if not base_url:
            raise ValueError("The Bridge API URL is required")
        if not client_id or not client_secret:
            raise BridgeAuthError("The Bridge client id and client secret are required", code="missing_credentials")
        self.base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self.version = version
        self.timeout = RequestTimeout(timeout)
        self.max_retries = max(0, int(max_retries))
        self.backoff = backoff
        self._sleep = sleep
        self._session = session or requests.Session()
        self.on_request = on_request
        self.request_count = 0
        self._app_key = (self.base_url, client_id)

    def __repr__(self):
        return f"<BridgeClient {self.base_url}>"

    # ---------------------------------------------------------------- users and tokens
    def create_user(self, external_user_id=None):
        body = {"external_user_id": external_user_id} if external_user_id else {}
        # Creating a user twice would create two users: never resend it after a read timeout.
        user = self._call("POST", const.PATH_USERS, json_body=body, idempotent=False)
        return self._expect_keys(user, ("uuid",), "POST", const.PATH_USERS)

    def get_user(self, user_uuid):
        return self._call("GET", f"{const.PATH_USERS}/{user_uuid}")

    def list_users(self):
        return list(self._iter_pages(const.PATH_USERS, {"limit": const.PAGE_LIMIT}))

    def find_user(self, external_user_id):
        """The user created with this external id, or None (e.g. to recover after a crash that
        lost the uuid of a user Bridge did create: a second create_user may be refused)."""
        for user in self.list_users():
            if user.get("external_user_id") == external_user_id:
                return user
        return None

    def delete_user(self, user_uuid):
        self._call("DELETE", f"{const.PATH_USERS}/{user_uuid}")
        with _TOKEN_LOCK:
            _TOKENS.pop(self._app_key + (user_uuid,), None)

    def _user_token(self, user_uuid, force=False):
        """Cached token of the user, fetched when missing, expiring within 5 minutes, or forced."""
        key = self._app_key + (user_uuid,)
        with _TOKEN_LOCK:
            cached = _TOKENS.get(key)
            margin = datetime.timedelta(seconds=const.TOKEN_RENEW_MARGIN_SECONDS)
            if cached and not force and cached[1] - margin > _utcnow():
                return cached[0]
            answer = self._call("POST", const.PATH_TOKEN, json_body={"user_uuid": user_uuid})
            self._expect_keys(answer, ("access_token", "expires_at"), "POST", const.PATH_TOKEN)
            try:
                expires_at = parse_datetime(answer["expires_at"])
            except ValueError:
                raise BridgeResponseError(
                    "Bridge returned an unreadable token expiry date", code="malformed_response",
                    method="POST", path=const.PATH_TOKEN) from None
            _TOKENS[key] = (answer["access_token"], expires_at)
            return answer["access_token"]

    def forget_tokens(self):
        """Drop the cached tokens of this application's users."""
        with _TOKEN_LOCK:
            for key in [key for key in _TOKENS if key[:2] == self._app_key]:
                del _TOKENS[key]

    # ---------------------------------------------------------------- connect and providers
    def create_connect_session(self, user_uuid, *, callback_url, user_email=None, country_code=None,
                               provider_id=None, item_id=None, context=None, account_types=None):
        body = {
            "user_email": user_email, "country_code": country_code, "provider_id": provider_id,
            "item_id": item_id, "callback_url": callback_url, "context": context, "account_types": account_types,
        }
        body = {key: value for key, value in body.items() if value is not None}
        session = self._user_call(user_uuid, "POST", const.PATH_CONNECT_SESSIONS, json_body=body)
        return self._expect_keys(session, ("id", "url"), "POST", const.PATH_CONNECT_SESSIONS)

    def list_providers(self, country_code=None):
        params = {"limit": const.PAGE_LIMIT}
        if country_code:
            params["country_code"] = country_code
        return list(self._iter_pages(const.PATH_PROVIDERS, params))

    def get_provider(self, provider_id):
        return self._call("GET", f"{const.PATH_PROVIDERS}/{provider_id}")

    def check_credentials(self):
        """True when Bridge accepts the application credentials; raises BridgeError otherwise."""
        self._call("GET", const.PATH_USERS, params={"limit": 1})
        return True

    # ---------------------------------------------------------------- items, accounts, transactions
    def list_items(self, user_uuid):
        return list(self._iter_pages(const.PATH_ITEMS, {"limit": const.PAGE_LIMIT}, user_uuid=user_uuid))

    def get_item(self, user_uuid, item_id):
        return self._user_call(user_uuid, "GET", f"{const.PATH_ITEMS}/{item_id}")

    def delete_item(self, user_uuid, item_id):
        self._user_call(user_uuid, "DELETE", f"{const.PATH_ITEMS}/{item_id}")

    def list_accounts(self, user_uuid, item_id=None):
        params = {"limit": const.PAGE_LIMIT}
        if item_id is not None:
            params["item_id"] = item_id
        return list(self._iter_pages(const.PATH_ACCOUNTS, params, user_uuid=user_uuid))

    def get_account(self, user_uuid, account_id):
        return self._user_call(user_uuid, "GET", f"{const.PATH_ACCOUNTS}/{account_id}")

    def iter_transactions(self, user_uuid, *, account_id=None, since=None, min_date=None, max_date=None,
                          limit=const.PAGE_LIMIT):
        """Transactions (including `deleted` tombstones and `future` ones), page after page.

        `since` bounds `updated_at` (datetime or Bridge timestamp string), `min_date`/`max_date`
        bound `date` (date or "YYYY-MM-DD").
        """
        params = _transaction_params(account_id, since, min_date, max_date, limit)
        return self._iter_pages(const.PATH_TRANSACTIONS, params, user_uuid=user_uuid)

    def transactions_page(self, user_uuid, *, account_id, cursor=None, since=None, min_date=None, max_date=None,
                          limit=const.PAGE_LIMIT):
        """One page of transactions: (resources, cursor of the next page or None). A collection
        that keeps the cursor can resume after a crash where it stopped."""
        if cursor:
            return self._get_page(const.PATH_TRANSACTIONS, cursor, None, user_uuid=user_uuid)
        params = _transaction_params(account_id, since, min_date, max_date, limit)
        return self._get_page(const.PATH_TRANSACTIONS, const.PATH_TRANSACTIONS, params, user_uuid=user_uuid)

    def get_transaction(self, user_uuid, transaction_id):
        return self._user_call(user_uuid, "GET", f"{const.PATH_TRANSACTIONS}/{transaction_id}")

    # ---------------------------------------------------------------- plumbing
    def _iter_pages(self, path, params, user_uuid=None):
        """Resources of a list endpoint, following `pagination.next_uri` until it is empty."""
        next_path, next_params = path, params
        while next_path:
            resources, next_uri = self._get_page(path, next_path, next_params, user_uuid=user_uuid)
            yield from resources
            next_path, next_params = next_uri, None

    def _get_page(self, path, page_path, params, user_uuid=None):
        """One page of a list endpoint: (resources, next page address or None)."""
        if user_uuid is None:
            page = self._call("GET", page_path, params=params)
        else:
            page = self._user_call(user_uuid, "GET", page_path, params=params)
        resources = page.get("resources") if isinstance(page, dict) else None
        pagination = page.get("pagination") if isinstance(page, dict) else None
        if not isinstance(resources, list) or not isinstance(pagination or {}, dict):
            raise BridgeResponseError(
                f"Bridge returned an unexpected list answer for {path}", code="malformed_response",
                method="GET", path=path)
        next_uri = (pagination or {}).get("next_uri")
        # Some documentation examples show the string "null" instead of JSON null.
        if not next_uri or next_uri == "null":
            return resources, None
        if not isinstance(next_uri, str) or not next_uri.startswith("/"):
            raise BridgeResponseError(
                f"Bridge returned an unexpected next page address for {path}", code="malformed_response",
                method="GET", path=path)
        return resources, next_uri

    def _user_call(self, user_uuid, method, path, **kwargs):
        """Call with the user's bearer token; on 401 renew the token once and call again."""
        if not user_uuid:
            raise ValueError("A Bridge user uuid is required")
        token = self._user_token(user_uuid)
        try:
            return self._call(method, path, token=token, **kwargs)
        except BridgeAuthError as exc:
            if exc.code == "invalid_client_credentials":
                raise
            _logger.info("Bridge refused the access token of a user (%s); renewing it once", exc.code)
        token = self._user_token(user_uuid, force=True)
        return self._call(method, path, token=token, **kwargs)

    def _headers(self, token=None, has_body=False):
        headers = {
            "Client-Id": self._client_id,
            "Client-Secret": self._client_secret,
            "Bridge-Version": self.version,
            "Accept": "application/json",
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _call(self, method, path, params=None, json_body=None, token=None, idempotent=True):
        """One API call with retries; returns the decoded JSON (None for 204)."""
        # `path` is "/v3/..." (ours, or Bridge's host-relative next_uri).
        url = self.base_url + path
        data = json.dumps(json_body).encode("utf-8") if json_body is not None else None
        headers = self._headers(token, has_body=data is not None)
        attempt = 0
        while True:
            error = self._attempt(method, path, url, params, data, headers, idempotent)
            if not isinstance(error, _Retry):
                return error
            if attempt >= self.max_retries:
                raise error.exception
            delay = self.backoff * (2 ** attempt)
            _logger.info("Bridge %s %s: %s, retry %d/%d in %.1f s", method, _path_only(path),
                         error.exception.code, attempt + 1, self.max_retries, delay)
            self._sleep(delay)
            attempt += 1

    def _attempt(self, method, path, url, params, data, headers, idempotent):
        """Send once: return the decoded answer, a _Retry, or raise the final BridgeError."""
        started = time.monotonic()
        status = None
        error_code = None
        self.request_count += 1
        try:
            try:
                response = self._session.request(
                    method, url, params=params, data=data, headers=headers, timeout=self.timeout,
                    allow_redirects=False)
            except requests.exceptions.ConnectTimeout:
                error_code = "timeout"
                return _Retry(BridgeTimeoutError(
                    f"Bridge did not accept the connection in time ({method} {_path_only(path)})",
                    code=error_code, method=method, path=path))
            except requests.exceptions.Timeout:
                error_code = "timeout"
                exc = BridgeTimeoutError(
                    f"Bridge did not answer in time ({method} {_path_only(path)})",
                    code=error_code, method=method, path=path)
                if idempotent:
                    return _Retry(exc)
                raise exc from None
            except requests.exceptions.ConnectionError as exc:
                error_code = "connection_error"
                error = BridgeTimeoutError(
                    f"Bridge could not be reached ({method} {_path_only(path)})",
                    code=error_code, method=method, path=path)
                # A connection dropped after the request went out may have done the work.
                if idempotent or _never_sent(exc):
                    return _Retry(error)
                raise error from None
            except requests.exceptions.RequestException as exc:
                error_code = "request_error"
                raise BridgeError(
                    f"Bridge call failed ({method} {_path_only(path)}): {type(exc).__name__}",
                    code=error_code, method=method, path=path) from None
            status = response.status_code
            if status == 204:
                return None
            if 200 <= status < 300:
                try:
                    return response.json()
                except ValueError:
                    error_code = "malformed_response"
                    raise BridgeResponseError(
                        f"Bridge returned malformed JSON ({method} {_path_only(path)}, HTTP {status})",
                        status=status, code=error_code, method=method, path=path) from None
            exc = self._error_from_response(response, method, path)
            error_code = exc.code
            if status in RETRY_STATUSES:
                return _Retry(exc)
            raise exc
        finally:
            duration = time.monotonic() - started
            _logger.debug("Bridge %s %s -> %s in %.3f s", method, _path_only(path), status or error_code, duration)
            if self.on_request:
                try:
                    self.on_request(method, _path_only(path), status, duration, error_code)
                except Exception:  # the debug log must never break a call
                    _logger.exception("Bridge on_request hook failed")

    def _error_from_response(self, response, method, path):
        status = response.status_code
        code, message, prop = _parse_error_body(response)
        if status == 401:
            cls = BridgeAuthError
        elif status == 404:
            cls = BridgeNotFoundError
        elif status == 429:
            cls = BridgeRateLimitError
        elif status >= 500:
            cls = BridgeServerError
        else:
            cls = BridgeError
        text = "Bridge error HTTP {}{} on {} {}".format(
            status, f" ({code})" if code else "", method, _path_only(path))
        if message:
            text += f": {message}"
        if prop:
            text += f" [{prop}]"
        return cls(self._scrub(text), status=status, code=code or f"http_{status}", method=method, path=path)

    def _scrub(self, text):
        """Remove the client secret and cached tokens should Bridge ever echo one back."""
        with _TOKEN_LOCK:
            tokens = [token for key, (token, _expiry) in _TOKENS.items() if key[:2] == self._app_key]
        secrets = [self._client_secret] + tokens
        for secret in secrets:
            if secret and secret in text:
                text = text.replace(secret, "***")
        return text

    @staticmethod
    def _expect_keys(answer, keys, method, path):
        if not isinstance(answer, dict) or any(key not in answer for key in keys):
            raise BridgeResponseError(
                "Bridge returned an unexpected answer for {} {} (missing {})".format(method, path, ", ".join(keys)),
                code="malformed_response", method=method, path=path)
        return answer


class _Retry:
    """A retryable failure: raised as `exception` once the retries are exhausted."""

    __slots__ = ("exception",)

    def __init__(self, exception):
        self.exception = exception


def _never_sent(exc):
    """True when the connection failed before the request could be sent (refused, DNS...)."""
    seen = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, urllib3.exceptions.NewConnectionError):
            return True
        pending.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))
        pending.extend(cause for cause in (getattr(current, "reason", None), current.__cause__, current.__context__)
                       if isinstance(cause, BaseException))
    return False


def _path_only(path):
    return path.split("?", 1)[0]


def _parse_error_body(response):
    """(code, message, property) from Bridge's error bodies: v3 `{"errors":[…]}`, the bare
    `{"code","message"}` of the basics page, or v2 `{"type","message"}`; (None, None, None) otherwise."""
    try:
        body = response.json()
    except ValueError:
        return None, None, None
    if not isinstance(body, dict):
        return None, None, None
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        body = errors[0]
    code = body.get("code") or body.get("type")
    message = body.get("message")
    prop = body.get("property")
    return (
        code if isinstance(code, str) else None,
        message[:500] if isinstance(message, str) else None,
        prop if isinstance(prop, str) else None,
    )

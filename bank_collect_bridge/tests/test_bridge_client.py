"""Bridge API client (plain Python) against the local Bridge emulator over real HTTP."""
import contextlib
import datetime
import functools
import logging
import math
import socket
from urllib.parse import parse_qs, urlsplit

import requests

from odoo.tests import tagged
from odoo.tests.common import BaseCase, _super_send

from odoo.addons.bank_collect_bridge.bridge import client, const, webhook
from odoo.addons.bank_collect_bridge.bridge.emulator import BridgeEmulator

CLIENT_SECRET = "test-client-secret-5f1e9c"
WATCHED_LOGGERS = ("odoo.addons.bank_collect_bridge", "urllib3", "requests")


class _LogCollector(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.messages = []

    def emit(self, record):
        self.messages.append(self.format(record))


@contextlib.contextmanager
def capture_logs():
    """Every log line (DEBUG included) of the client, requests and urllib3, formatted."""
    collector = _LogCollector()
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in WATCHED_LOGGERS}
    root.addHandler(collector)
    for name in WATCHED_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield collector.messages
    finally:
        root.removeHandler(collector)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def unpatched_session():
    """Odoo's test harness raises request timeouts under 10 s to 10 s; the timeout tests need
    the real short timeout, so they send through requests' own Session.send."""
    session = requests.Session()
    session.send = functools.partial(_super_send, session)
    return session


class BridgeEmulatorCase(BaseCase):
    """One emulator per class, emptied before each test; `make_client()` points at it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clock_offset = datetime.timedelta()
        cls.emulator = BridgeEmulator(
            client_id="test-client-id", client_secret=CLIENT_SECRET,
            now=lambda: datetime.datetime.now(datetime.timezone.utc) + cls.clock_offset,
        ).start()
        cls.addClassCleanup(cls.emulator.stop)

    def setUp(self):
        super().setUp()
        type(self).clock_offset = datetime.timedelta()
        self.emulator.reset()
        self.emulator.timeout_delay = 3.0
        self.sleeps = []

    def make_client(self, **kwargs):
        kwargs.setdefault("sleep", self.sleeps.append)
        return client.BridgeClient(self.emulator.url, "test-client-id", kwargs.pop("secret", CLIENT_SECRET),
                                   **kwargs)

    def api_paths(self, pattern=None):
        return [(method, path) for method, path, _query in self.emulator.requests
                if pattern is None or pattern in path]


@tagged("post_install", "-at_install")
class TestBridgeClientAuth(BridgeEmulatorCase):

    def test_check_credentials_accepts_good_and_refuses_bad_credentials(self):
        self.assertIs(self.make_client().check_credentials(), True)
        with capture_logs() as logs, self.assertRaises(client.BridgeAuthError) as caught:
            self.make_client(secret="not-the-secret").check_credentials()
        self.assertEqual(caught.exception.status, 401)
        self.assertEqual(caught.exception.code, "invalid_client_credentials")
        self.assertNotIn("not-the-secret", str(caught.exception))
        self.assertFalse([line for line in logs if "not-the-secret" in line])

    def test_missing_credentials_are_refused_before_any_call(self):
        with self.assertRaises(client.BridgeAuthError):
            client.BridgeClient(self.emulator.url, "test-client-id", "")
        self.assertEqual(self.emulator.requests, [])

    def test_user_lifecycle(self):
        bridge = self.make_client()
        user = bridge.create_user("partner-42")
        self.assertEqual(user["external_user_id"], "partner-42")
        self.assertEqual(bridge.get_user(user["uuid"]), user)
        self.assertIn(user, bridge.list_users())
        bridge.delete_user(user["uuid"])
        with self.assertRaises(client.BridgeNotFoundError) as caught:
            bridge.get_user(user["uuid"])
        self.assertEqual((caught.exception.status, caught.exception.code), (404, "user.not_found"))

    def test_token_is_cached_between_calls(self):
        bridge = self.make_client()
        user = bridge.create_user("partner-1")
        for _call in range(3):
            bridge.list_items(user["uuid"])
        self.assertEqual(len(self.api_paths(const.PATH_TOKEN)), 1)

    def test_token_renewed_five_minutes_before_expiry(self):
        bridge = self.make_client()
        user = bridge.create_user("partner-1")
        # Bridge's clock is 1 h 56 min behind: the token it issues expires in 4 minutes.
        type(self).clock_offset = -datetime.timedelta(hours=1, minutes=56)
        bridge.list_items(user["uuid"])
        bridge.list_items(user["uuid"])
        self.assertEqual(len(self.api_paths(const.PATH_TOKEN)), 2, "renewed before the second call")
        refused = [request for request in self.emulator.requests if request[1] == const.PATH_ITEMS]
        self.assertEqual(len(refused), 2, "no call was sent with the nearly expired token")

    def test_token_shared_by_the_clients_of_one_application(self):
        user = self.make_client().create_user("partner-1")
        for _client in range(3):  # Odoo builds one client per operation
            self.make_client().list_items(user["uuid"])
        self.assertEqual(len(self.api_paths(const.PATH_TOKEN)), 1)

    def test_find_user_by_external_id(self):
        bridge = self.make_client()
        user = bridge.create_user("partner-5")
        with self.assertRaises(client.BridgeError) as caught:
            bridge.create_user("partner-5")
        self.assertEqual(caught.exception.status, 409)
        self.assertEqual(bridge.find_user("partner-5"), user)
        self.assertIsNone(bridge.find_user("partner-6"))

    def test_token_kept_while_more_than_five_minutes_left(self):
        bridge = self.make_client()
        user = bridge.create_user("partner-1")
        type(self).clock_offset = -datetime.timedelta(hours=1, minutes=50)
        bridge.list_items(user["uuid"])
        bridge.list_items(user["uuid"])
        self.assertEqual(len(self.api_paths(const.PATH_TOKEN)), 1)

    def test_expired_token_renewed_once_without_leaking_it(self):
        bridge = self.make_client()
        user = bridge.create_user("partner-1")
        item = self.emulator.add_item(user["uuid"])
        bridge.list_items(user["uuid"])
        old_tokens = set(self.emulator.tokens)
        self.emulator.expire_tokens()
        self.emulator.clear_requests()
        with capture_logs() as logs:
            self.assertEqual([found["id"] for found in bridge.list_items(user["uuid"])], [item["id"]])
        self.assertEqual(self.api_paths(), [("GET", const.PATH_ITEMS), ("POST", const.PATH_TOKEN),
                                            ("GET", const.PATH_ITEMS)])
        self.assertTrue(any("renewing it once" in line for line in logs), logs)
        secrets = old_tokens | set(self.emulator.tokens) | {CLIENT_SECRET}
        self.assertFalse([line for line in logs for secret in secrets if secret in line])

    def test_second_401_raises_auth_error_after_one_renewal(self):
        bridge = self.make_client()
        user = bridge.create_user("partner-1")
        bridge.list_items(user["uuid"])
        self.emulator.fail_next("GET", "/items$", 401, times=2)
        self.emulator.clear_requests()
        with capture_logs() as logs, self.assertRaises(client.BridgeAuthError) as caught:
            bridge.list_items(user["uuid"])
        self.assertEqual(len(self.api_paths(const.PATH_TOKEN)), 1, "exactly one renewal")
        self.assertEqual(caught.exception.status, 401)
        tokens = set(self.emulator.tokens) | {CLIENT_SECRET}
        texts = [str(caught.exception), repr(caught.exception.args)] + logs
        self.assertFalse([text for text in texts for secret in tokens if secret in text])


@tagged("post_install", "-at_install")
class TestBridgeClientData(BridgeEmulatorCase):

    def setUp(self):
        super().setUp()
        self.bridge = self.make_client()
        self.user = self.bridge.create_user("partner-7")["uuid"]
        self.item = self.emulator.add_item(self.user)
        self.checking = self.item["accounts"][0]

    def test_providers_filtered_by_country(self):
        providers = self.bridge.list_providers(country_code="FR")
        self.assertIn(const.DEMO_PROVIDER_ID, [provider["id"] for provider in providers])
        self.assertEqual({provider["country_code"] for provider in providers}, {"FR"})

    def test_items_and_accounts(self):
        item = self.bridge.get_item(self.user, self.item["id"])
        self.assertEqual((item["status"], item["status_code_info"], item["provider_id"]), (0, "ok", 574))
        accounts = self.bridge.list_accounts(self.user, item_id=self.item["id"])
        self.assertEqual([account["type"] for account in accounts], ["checking", "savings", "card"])
        self.assertEqual(self.bridge.get_account(self.user, self.checking["id"])["iban"], self.checking["iban"])
        self.bridge.delete_item(self.user, self.item["id"])
        self.assertEqual(self.bridge.list_items(self.user), [])
        with self.assertRaises(client.BridgeNotFoundError) as caught:
            self.bridge.get_item(self.user, self.item["id"])
        self.assertEqual(caught.exception.code, "item.not_found")

    def test_full_pull_follows_pagination_with_few_requests(self):
        count = 1234
        self.emulator.add_transactions(self.checking["id"], count=count, seed=1)
        seen_hook = []
        bridge = self.make_client(on_request=lambda *args: seen_hook.append(args))
        transactions = list(bridge.iter_transactions(self.user, account_id=self.checking["id"]))
        self.assertEqual(len({tx["id"] for tx in transactions}), count)
        pages = self.api_paths(const.PATH_TRANSACTIONS)
        self.assertEqual(len(pages), math.ceil(count / const.PAGE_LIMIT))
        self.assertLessEqual(bridge.request_count, math.ceil(count / const.PAGE_LIMIT) + 1)  # + the token
        self.assertEqual([query.get("limit") for _m, path, query in self.emulator.requests
                          if path == const.PATH_TRANSACTIONS], ["500"] * len(pages))
        self.assertEqual(len(seen_hook), bridge.request_count)
        self.assertTrue(all(status in (200, 201) and error is None for _m, _p, status, _d, error in seen_hook))
        self.assertFalse([args for args in seen_hook if CLIENT_SECRET in repr(args)])

    def test_since_returns_only_new_updated_and_deleted_rows(self):
        first = self.emulator.add_transactions(self.checking["id"], count=30, seed=2)
        pulled = list(self.bridge.iter_transactions(self.user, account_id=self.checking["id"]))
        last_seen = max(tx["updated_at"] for tx in pulled)
        type(self).clock_offset = datetime.timedelta(seconds=5)
        new = self.emulator.add_transactions(self.checking["id"], transactions=[
            {"amount": 99.5, "provider_description": "VIR SEPA RECU /DE NOUVEAU CLIENT"}])
        updated = self.emulator.update_transaction(first[0]["id"], amount=-10.0)
        deleted = self.emulator.delete_transaction(first[1]["id"])
        changes = list(self.bridge.iter_transactions(self.user, account_id=self.checking["id"], since=last_seen))
        self.assertEqual({tx["id"] for tx in changes}, {new[0]["id"], updated["id"], deleted["id"]})
        by_id = {tx["id"]: tx for tx in changes}
        self.assertIs(by_id[deleted["id"]]["deleted"], True)
        self.assertEqual(by_id[updated["id"]]["amount"], -10.0)
        # A datetime is sent in Bridge's format.
        since = client.parse_datetime(last_seen)
        again = list(self.bridge.iter_transactions(self.user, account_id=self.checking["id"], since=since))
        self.assertEqual({tx["id"] for tx in again}, set(by_id))

    def test_date_bounds_and_account_filter_are_sent(self):
        savings = self.item["accounts"][1]
        self.emulator.add_transactions(self.checking["id"], count=60, start_date="2026-01-01",
                                       end_date="2026-03-31", seed=3)
        self.emulator.add_transactions(savings["id"], count=5, start_date="2026-02-01", end_date="2026-02-28")
        found = list(self.bridge.iter_transactions(
            self.user, account_id=self.checking["id"], min_date=datetime.date(2026, 2, 1), max_date="2026-02-28"))
        self.assertTrue(found)
        self.assertTrue(all("2026-02-01" <= tx["date"] <= "2026-02-28" for tx in found))
        self.assertEqual({tx["account_id"] for tx in found}, {self.checking["id"]})
        query = [query for _m, path, query in self.emulator.requests if path == const.PATH_TRANSACTIONS][-1]
        self.assertEqual((query["min_date"], query["max_date"], query["account_id"]),
                         ("2026-02-01", "2026-02-28", str(self.checking["id"])))

    def test_unknown_account_is_not_found(self):
        with self.assertRaises(client.BridgeNotFoundError) as caught:
            list(self.bridge.iter_transactions(self.user, account_id=1))
        self.assertEqual(caught.exception.code, "account.not_found")


@tagged("post_install", "-at_install")
class TestBridgeClientFaults(BridgeEmulatorCase):

    def setUp(self):
        super().setUp()
        self.bridge = self.make_client()
        self.user = self.bridge.create_user("partner-9")["uuid"]
        self.emulator.add_item(self.user)
        self.bridge.list_items(self.user)  # token fetched
        self.emulator.clear_requests()

    def test_transient_errors_retried_with_backoff_then_succeed(self):
        for kind in (429, 500, 503):
            with self.subTest(kind=kind):
                self.sleeps.clear()
                self.emulator.clear_requests()
                self.emulator.fail_next("GET", "/items$", kind, times=2)
                self.assertEqual(len(self.bridge.list_items(self.user)), 1)
                self.assertEqual(self.sleeps, [0.5, 1.0])
                self.assertEqual(len(self.api_paths(const.PATH_ITEMS)), 3)

    def test_persistent_errors_raise_typed_errors_after_bounded_retries(self):
        expected = {429: (client.BridgeRateLimitError, "too_many_requests"),
                    500: (client.BridgeServerError, "internal_server_error"),
                    503: (client.BridgeServerError, "http_503")}
        for kind, (error_class, code) in expected.items():
            with self.subTest(kind=kind):
                self.sleeps.clear()
                self.emulator.clear_requests()
                self.emulator.fail_next("GET", "/items$", kind, times=10)
                with self.assertRaises(error_class) as caught:
                    self.bridge.list_items(self.user)
                self.assertEqual((caught.exception.status, caught.exception.code), (kind, code))
                self.assertEqual(len(self.api_paths(const.PATH_ITEMS)), 4, "1 call + 3 retries")
                self.assertEqual(self.sleeps, [0.5, 1.0, 2.0])
                self.emulator.faults.clear()

    def test_timeout_retried_then_timeout_error(self):
        self.emulator.timeout_delay = 2.0
        bridge = self.make_client(timeout=(2, 0.2), max_retries=1, session=unpatched_session())
        self.emulator.fail_next("GET", "/items$", "timeout", times=2)
        with self.assertRaises(client.BridgeTimeoutError) as caught:
            bridge.list_items(self.user)
        self.assertEqual((caught.exception.status, caught.exception.code), (None, "timeout"))
        self.assertEqual(len(self.api_paths(const.PATH_ITEMS)), 2)
        self.assertEqual(self.sleeps, [0.5])
        # The answer comes back once the fault is over.
        self.assertEqual(len(bridge.list_items(self.user)), 1)

    def test_user_creation_not_resent_after_a_read_timeout(self):
        self.emulator.timeout_delay = 2.0
        bridge = self.make_client(timeout=(2, 0.2), session=unpatched_session())
        self.emulator.fail_next("POST", "/users$", "timeout")
        with self.assertRaises(client.BridgeTimeoutError):
            bridge.create_user("partner-10")
        self.assertEqual(len(self.api_paths(const.PATH_USERS)), 1)

    def test_user_creation_not_resent_after_a_dropped_connection(self):
        self.emulator.timeout_delay = 0.05  # the emulator drops the connection without answering
        self.emulator.fail_next("POST", "/users$", "timeout")
        with self.assertRaises(client.BridgeTimeoutError) as caught:
            self.bridge.create_user("partner-11")
        self.assertEqual(caught.exception.code, "connection_error")
        self.assertEqual(len(self.api_paths(const.PATH_USERS)), 1)
        self.emulator.fail_next("GET", "/items$", "timeout")
        self.assertEqual(len(self.bridge.list_items(self.user)), 1, "a read is retried")

    def test_connection_refused_is_a_timeout_error(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        bridge = client.BridgeClient(f"http://127.0.0.1:{port:d}", "id", CLIENT_SECRET, max_retries=2,
                                     sleep=self.sleeps.append)
        with self.assertRaises(client.BridgeTimeoutError) as caught:
            bridge.check_credentials()
        self.assertEqual(caught.exception.code, "connection_error")
        self.assertEqual((bridge.request_count, self.sleeps), (3, [0.5, 1.0]))
        self.sleeps.clear()
        with self.assertRaises(client.BridgeTimeoutError):
            bridge.create_user("partner-12")
        self.assertEqual(self.sleeps, [0.5, 1.0], "never sent, so even a creation is retried")

    def test_malformed_json_is_a_response_error_not_retried(self):
        self.emulator.fail_next("GET", "/items$", "malformed")
        with self.assertRaises(client.BridgeResponseError) as caught:
            self.bridge.list_items(self.user)
        self.assertEqual(caught.exception.code, "malformed_response")
        self.assertEqual(len(self.api_paths(const.PATH_ITEMS)), 1)

    def test_unexpected_shape_is_a_response_error(self):
        session = requests.Session()
        real_request = session.request

        def list_without_resources(method, url, **kwargs):
            response = real_request(method, url, **kwargs)
            if url.endswith(const.PATH_ITEMS):
                response._content = b'{"items": []}'
            return response

        session.request = list_without_resources
        with self.assertRaises(client.BridgeResponseError):
            self.make_client(session=session).list_items(self.user)

    def test_bad_request_carries_bridge_code_and_property(self):
        with self.assertRaises(client.BridgeError) as caught:
            self.bridge.create_connect_session(self.user, callback_url="http://127.0.0.1/cb", user_email="a@b.fr",
                                               context="not allowed!")
        error = caught.exception
        self.assertEqual((type(error), error.status, error.code),
                         (client.BridgeError, 400, "connect_session.context_invalid"))
        self.assertIn("[context]", str(error))

    def test_on_request_hook_reports_failures_without_secrets(self):
        calls = []
        bridge = self.make_client(on_request=lambda *args: calls.append(args), max_retries=1)
        self.emulator.fail_next("GET", "/items$", 500, times=2)
        with self.assertRaises(client.BridgeServerError):
            bridge.list_items(self.user)
        self.assertEqual([(m, p, s, e) for m, p, s, _d, e in calls[-2:]],
                         [("GET", const.PATH_ITEMS, 500, "internal_server_error")] * 2)
        self.assertFalse([call for call in calls if CLIENT_SECRET in repr(call)])


@tagged("post_install", "-at_install")
class TestBridgeConnectFlow(BridgeEmulatorCase):
    CALLBACK = "http://127.0.0.1:8069/bank_collect/callback"

    def setUp(self):
        super().setUp()
        self.emulator.connect_history_start = None
        self.bridge = self.make_client()
        self.user = self.bridge.create_user("partner-3")["uuid"]

    def drive_hosted_page(self, url, password="secret", code="123456"):
        """A browser on the connect page: bank login, one-time code; returns the final redirect."""
        browser = requests.Session()
        page = browser.get(url)
        self.assertEqual(page.status_code, 200)
        self.assertIn('name="password"', page.text)
        login = browser.post(url + "/login", data={"login": "jdupont", "password": password, "outcome": "0"},
                             allow_redirects=False)
        self.assertEqual(login.status_code, 303)
        otp_page = browser.get(urlsplit(url)._replace(path=login.headers["Location"]).geturl())
        self.assertIn('name="code"', otp_page.text)
        done = browser.post(url + "/otp", data={"code": code}, allow_redirects=False)
        self.assertEqual(done.status_code, 302)
        return done.headers["Location"]

    def test_new_connection_redirects_with_item_and_context(self):
        session = self.bridge.create_connect_session(
            self.user, callback_url=self.CALLBACK, user_email="client@example.com", country_code="FR",
            provider_id=const.DEMO_PROVIDER_ID, context="journal-12-a1b2c3")
        self.assertTrue(session["id"] and session["url"].startswith(self.emulator.url))
        location = self.drive_hosted_page(session["url"])
        self.assertTrue(location.startswith(self.CALLBACK + "?"))
        params = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
        self.assertEqual((params["success"], params["source"], params["context"], params["user_uuid"]),
                         ("true", "connect", "journal-12-a1b2c3", self.user))
        item = self.bridge.get_item(self.user, int(params["item_id"]))
        self.assertEqual((item["status"], item["provider_id"]), (0, const.DEMO_PROVIDER_ID))
        accounts = self.bridge.list_accounts(self.user, item_id=item["id"])
        self.assertEqual(sorted(account["type"] for account in accounts), ["card", "checking", "savings"])

    def test_reauthentication_with_item_id_keeps_the_item(self):
        item = self.emulator.add_item(self.user, status=const.ITEM_STATUS_SCA_REQUIRED)
        self.assertEqual(self.bridge.get_item(self.user, item["id"])["status_code_info"], "otp_required")
        session = self.bridge.create_connect_session(self.user, callback_url=self.CALLBACK, item_id=item["id"],
                                                     context="reauth-1")
        params = parse_qs(urlsplit(self.drive_hosted_page(session["url"])).query)
        self.assertEqual(params["item_id"], [str(item["id"])])
        self.assertEqual(self.bridge.get_item(self.user, item["id"])["status"], 0)
        self.assertEqual(len(self.bridge.list_items(self.user)), 1)

    def test_reauthentication_of_another_users_item_is_refused(self):
        other = self.bridge.create_user("partner-4")["uuid"]
        item = self.emulator.add_item(other)
        with self.assertRaises(client.BridgeNotFoundError):
            self.bridge.create_connect_session(self.user, callback_url=self.CALLBACK, item_id=item["id"])


@tagged("post_install", "-at_install")
class TestBridgeWebhookSignature(BaseCase):
    BODY = b'{"content":{"item_id":10150001,"user_uuid":"u-1"},"timestamp":1732119010142,"type":"item.refreshed"}'

    def test_good_signature_is_uppercase_hex_hmac_sha256(self):
        header = webhook.sign(self.BODY, "secret-1")
        self.assertRegex(header, r"^v1=[0-9A-F]{64}$")
        self.assertTrue(webhook.verify_signature(self.BODY, header, ["secret-1"]))
        self.assertTrue(webhook.verify_signature(self.BODY, "v1=" + header[3:].lower(), ["secret-1"]))

    def test_wrong_or_missing_signature_is_refused(self):
        header = webhook.sign(self.BODY, "secret-1")
        self.assertFalse(webhook.verify_signature(self.BODY, header, ["other-secret"]))
        self.assertFalse(webhook.verify_signature(self.BODY + b" ", header, ["secret-1"]))
        self.assertFalse(webhook.verify_signature(self.BODY, None, ["secret-1"]))
        self.assertFalse(webhook.verify_signature(self.BODY, "", ["secret-1"]))
        self.assertFalse(webhook.verify_signature(self.BODY, header, []))
        self.assertFalse(webhook.verify_signature(self.BODY, "v1=", ["secret-1"]))

    def test_only_v1_scheme_is_accepted(self):
        digest = webhook.sign(self.BODY, "secret-1")[3:]
        self.assertFalse(webhook.verify_signature(self.BODY, "v0=" + digest, ["secret-1"]))
        self.assertFalse(webhook.verify_signature(self.BODY, "t=1,v2=" + digest, ["secret-1"]))
        self.assertTrue(webhook.verify_signature(self.BODY, "v0=abc, v1=" + digest, ["secret-1"]))

    def test_second_secret_during_rotation(self):
        both = webhook.sign_multi(self.BODY, ["old-secret", "new-secret"])
        self.assertEqual(both.count("v1="), 2)
        self.assertTrue(webhook.verify_signature(self.BODY, both, ["new-secret"]))
        self.assertTrue(webhook.verify_signature(self.BODY, both, ["old-secret"]))
        self.assertTrue(webhook.verify_signature(self.BODY, webhook.sign(self.BODY, "new-secret"),
                                                 ["old-secret", "new-secret"]))
        self.assertFalse(webhook.verify_signature(self.BODY, both, ["third-secret"]))

    def test_parse_event(self):
        event = webhook.parse_event(
            b'{"content":{"account_id":5,"item_id":7,"user_uuid":"u-1"},"timestamp":1732119010142,'
            b'"type":"item.account.updated"}')
        self.assertEqual((event["type"], event["item_id"], event["user_uuid"], event["account_ids"]),
                         ("item.account.updated", 7, "u-1", [5]))
        self.assertEqual(event["timestamp"], 1732119010.142)
        test_event = webhook.parse_event(b'{"content":{"item_id":1,"status":0},"timestamp":1611681789,'
                                         b'"type":"TEST_EVENT"}')
        self.assertEqual((test_event["timestamp"], test_event["account_ids"]), (1611681789, []))
        for bad in (b"{not json", b"[]", b'{"content":{}}', b'{"type":"x","content":[1]}', b"\xff"):
            with self.subTest(body=bad), self.assertRaises(ValueError):
                webhook.parse_event(bad)

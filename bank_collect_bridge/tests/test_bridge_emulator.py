"""The local Bridge emulator (BC-18) answers like Bridge v3, checked over raw HTTP."""
import datetime
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests
from schwifty import IBAN

from odoo.tests import tagged
from odoo.tests.common import BaseCase, _super_send

from odoo.addons.bank_collect_bridge.bridge import const, webhook
from odoo.addons.bank_collect_bridge.bridge.emulator import BridgeEmulator, french_iban

APP_HEADERS = {"Client-Id": "emu-id", "Client-Secret": "emu-secret", "Bridge-Version": const.BRIDGE_VERSION}


class _WebhookReceiver:
    """A webhook endpoint on a real port that records what it receives and answers `status`."""

    def __init__(self, status=200):
        self.received = []
        self.status = status
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.headers, body))
                receiver.arrived.set()
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bank_collect/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@tagged("post_install", "-at_install")
class TestBridgeEmulator(BaseCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = BridgeEmulator(client_id="emu-id", client_secret="emu-secret").start()
        cls.addClassCleanup(cls.emulator.stop)

    def setUp(self):
        super().setUp()
        self.emulator.reset()
        self.emulator.connect_history_start = None
        self.http = requests.Session()
        self.http.headers.update(APP_HEADERS)

    def api(self, method, path, token=None, **kwargs):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.request(method, self.emulator.url + path, headers=headers, **kwargs)

    def new_user(self, external_user_id="user-001"):
        user = self.api("POST", const.PATH_USERS, json={"external_user_id": external_user_id}).json()
        token = self.api("POST", const.PATH_TOKEN, json={"user_uuid": user["uuid"]}).json()["access_token"]
        return user["uuid"], token

    def assertBridgeError(self, response, status, code, prop=None):
        self.assertEqual(response.status_code, status, response.text)
        error = response.json()["errors"][0]
        self.assertEqual(error["code"], code)
        if prop:
            self.assertEqual(error["property"], prop)

    # ---------------------------------------------------------------- authentication
    def test_version_and_app_credentials_checked(self):
        url = self.emulator.url + const.PATH_PROVIDERS
        missing_version = requests.get(url, headers={"Client-Id": "emu-id", "Client-Secret": "emu-secret"}, timeout=10)
        self.assertBridgeError(missing_version, 400, "invalid_request", "Bridge-Version")
        old_version = requests.get(url, headers=dict(APP_HEADERS, **{"Bridge-Version": "2021-06-01"}), timeout=10)
        self.assertBridgeError(old_version, 400, "invalid_request", "Bridge-Version")
        bad_secret = requests.get(url, headers=dict(APP_HEADERS, **{"Client-Secret": "nope"}), timeout=10)
        self.assertBridgeError(bad_secret, 401, "invalid_client_credentials")
        self.assertEqual(bad_secret.json()["errors"][0]["message"], "client_id and client_secret are invalid")
        self.assertEqual(self.api("GET", const.PATH_PROVIDERS).status_code, 200)

    def test_json_body_rules(self):
        wrong_type = self.http.post(self.emulator.url + const.PATH_USERS, data=b'{"external_user_id": "x"}',
                                    headers={"Content-Type": "text/plain"})
        self.assertEqual(wrong_type.status_code, 415)
        broken = self.http.post(self.emulator.url + const.PATH_USERS, data=b"{oops",
                                headers={"Content-Type": "application/json"})
        self.assertBridgeError(broken, 400, "invalid_request")

    def test_user_token_lifecycle(self):
        user = self.api("POST", const.PATH_USERS, json={"external_user_id": "user-001"})
        self.assertEqual(user.status_code, 201)
        self.assertEqual(set(user.json()), {"uuid", "external_user_id"})
        self.assertBridgeError(self.api("POST", const.PATH_USERS, json={"external_user_id": "user-001"}),
                               409, "user.already_exists")
        uuid_ = user.json()["uuid"]
        token = self.api("POST", const.PATH_TOKEN, json={"user_uuid": uuid_})
        self.assertEqual(token.status_code, 201)
        answer = token.json()
        self.assertRegex(answer["access_token"], r"^[0-9a-f]{40}-[0-9a-f-]{36}$")
        self.assertEqual(answer["user"], {"uuid": uuid_, "external_user_id": "user-001"})
        lifetime = datetime.datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00")) - \
            datetime.datetime.now(datetime.timezone.utc)
        self.assertAlmostEqual(lifetime.total_seconds(), 7200, delta=60)
        by_external = self.api("POST", const.PATH_TOKEN, json={"external_user_id": "user-001"})
        self.assertEqual(by_external.status_code, 201)
        self.assertBridgeError(self.api("POST", const.PATH_TOKEN, json={"user_uuid": "0000"}),
                               401, "user.authentication.unauthorized")
        self.assertEqual(self.api("GET", const.PATH_ITEMS, token=answer["access_token"]).status_code, 200)
        self.assertBridgeError(self.api("GET", const.PATH_ITEMS), 401, "invalid_authorization_header")
        self.assertBridgeError(self.api("GET", const.PATH_ITEMS, token="unknown-token"), 401, "invalid_access_token")
        self.emulator.expire_tokens()
        self.assertBridgeError(self.api("GET", const.PATH_ITEMS, token=answer["access_token"]),
                               401, "expired_access_token")

    def test_token_expires_after_two_hours(self):
        clock = [datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.timezone.utc)]
        emulator = BridgeEmulator("emu-id", "emu-secret", now=lambda: clock[0]).start()
        self.addCleanup(emulator.stop)
        user = emulator.create_user()
        token = emulator.issue_token(user["uuid"])
        self.assertEqual(token["expires_at"], "2026-03-02T10:00:00.000Z")
        clock[0] += datetime.timedelta(hours=1, minutes=59)
        headers = dict(APP_HEADERS, Authorization="Bearer {}".format(token["access_token"]))
        self.assertEqual(requests.get(emulator.url + const.PATH_ITEMS, headers=headers, timeout=10).status_code, 200)
        clock[0] += datetime.timedelta(minutes=1)
        self.assertEqual(requests.get(emulator.url + const.PATH_ITEMS, headers=headers, timeout=10).status_code, 401)

    def test_deleting_a_user_deletes_its_data_and_tokens(self):
        user, token = self.new_user()
        item = self.emulator.add_item(user)
        self.emulator.add_transactions(item["accounts"][0]["id"], count=3)
        self.assertEqual(self.api("DELETE", const.PATH_USERS + "/" + user).status_code, 204)
        self.assertEqual((self.emulator.items, self.emulator.accounts, self.emulator.transactions), ({}, {}, {}))
        self.assertBridgeError(self.api("GET", const.PATH_USERS + "/" + user), 404, "user.not_found")
        self.assertBridgeError(self.api("GET", const.PATH_ITEMS, token=token), 401, "invalid_access_token")

    # ---------------------------------------------------------------- v3 shapes
    def test_demo_bank_accounts(self):
        user, token = self.new_user()
        item = self.emulator.add_item(user, history_start=self.emulator.today() - datetime.timedelta(days=120))
        provider = self.api("GET", const.PATH_PROVIDERS + "/574").json()
        self.assertEqual((provider["name"], provider["country_code"]), ("Demo Bank", "FR"))
        accounts = self.api("GET", const.PATH_ACCOUNTS, token=token, params={"item_id": item["id"]}).json()
        checking, savings, card = accounts["resources"]
        self.assertEqual([checking["type"], savings["type"], card["type"]], ["checking", "savings", "card"])
        for account in (checking, savings):
            iban = IBAN(account["iban"])  # raises when the check digits are wrong
            self.assertEqual((iban.country_code, iban.bank_code), ("FR", const.DEMO_BANK_CODE))
        self.assertNotIn("iban", card, "v3 leaves null keys out")
        self.assertEqual({account["provider_id"] for account in accounts["resources"]}, {574})
        self.assertIsNone(accounts["pagination"]["next_uri"])
        # Each closed card month is debited in one line on the checking account: no double counting.
        transactions = self.emulator.transactions.values()
        card_lines = [tx for tx in transactions if tx["account_id"] == card["id"]]
        summaries = {tx["date"]: tx["amount"] for tx in transactions
                     if tx["account_id"] == checking["id"] and tx["provider_description"].startswith("RELEVE CARTE")}
        self.assertTrue(summaries)
        for debit_date, amount in summaries.items():
            self.assertAlmostEqual(amount, sum(tx["amount"] for tx in card_lines if tx["booking_date"] == debit_date))
        purchase_before_debit = [tx for tx in card_lines if tx["transaction_date"] < tx["booking_date"]]
        self.assertTrue(purchase_before_debit, "card lines carry the purchase date and the debit date")
        # A card account's balance is what is still to be debited: the purchases after the last debit
        # (none on the first days of a month, hence computed rather than assumed negative).
        to_debit = [tx["amount"] for tx in card_lines if tx["booking_date"] > self.emulator.today()]
        self.assertTrue(all(amount < 0 for amount in to_debit))
        self.assertAlmostEqual(card["balance"], round(sum(to_debit), 2))
        # Balance = opening + booked lines; the instant balance adds the announced future ones.
        future = [tx for tx in transactions if tx["account_id"] == checking["id"] and tx["future"]]
        self.assertTrue(future)
        self.assertAlmostEqual(checking["instant_balance"] - checking["balance"], sum(tx["amount"] for tx in future))

    def test_french_iban_is_valid(self):
        self.assertEqual(str(IBAN(french_iban("14508", "30", "48180001"))).replace(" ", ""),
                         french_iban("14508", "30", "48180001"))

    def test_item_shape_and_every_status(self):
        user, token = self.new_user()
        item_id = self.emulator.add_item(user)["id"]
        healthy = self.api("GET", f"{const.PATH_ITEMS}/{item_id}", token=token).json()
        self.assertNotIn("status_code_description", healthy)
        self.assertEqual(set(healthy) - {"status_code_description"}, {
            "id", "status", "status_code_info", "provider_id", "account_types", "last_successful_refresh",
            "last_try_refresh", "created_at", "authentication_expires_at"})
        for status, (info, _description) in const.ITEM_STATUSES.items():
            with self.subTest(status=status):
                self.emulator.set_item_status(item_id, status)
                item = self.api("GET", f"{const.PATH_ITEMS}/{item_id}", token=token).json()
                self.assertEqual((item["status"], item["status_code_info"]), (status, info))
                self.assertEqual(item["status_code_info"], item["status_code_info"].lower())
        self.emulator.set_item_status(item_id, 1010, "WRONG_OTP")
        self.assertEqual(self.api("GET", f"{const.PATH_ITEMS}/{item_id}", token=token).json()
                         ["status_code_info"], "wrong_otp")
        self.assertBridgeError(self.api("GET", const.PATH_ITEMS + "/1", token=token), 404, "item.not_found")

    def test_users_cannot_see_each_other(self):
        alice, alice_token = self.new_user("alice")
        bob, _bob_token = self.new_user("bob")
        bob_item = self.emulator.add_item(bob)
        bob_account = bob_item["accounts"][0]["id"]
        self.assertEqual(self.api("GET", const.PATH_ITEMS, token=alice_token).json()["resources"], [])
        self.assertBridgeError(self.api("GET", f"{const.PATH_ACCOUNTS}/{bob_account}", token=alice_token),
                               404, "account.not_found")
        self.assertBridgeError(self.api("GET", const.PATH_TRANSACTIONS, token=alice_token,
                                        params={"account_id": bob_account}), 404, "account.not_found")

    # ---------------------------------------------------------------- transactions
    def test_pagination_honours_limit_and_keeps_filters(self):
        user, token = self.new_user()
        account = self.emulator.add_item(user)["accounts"][0]["id"]
        self.emulator.add_transactions(account, count=1001, seed=5)
        params = {"account_id": account, "limit": 500, "min_date": "2000-01-01"}
        seen, pages, path = [], 0, const.PATH_TRANSACTIONS
        while path:
            page = self.api("GET", path, token=token, params=params).json()
            pages += 1
            seen.extend(tx["id"] for tx in page["resources"])
            self.assertLessEqual(len(page["resources"]), 500)
            self.assertIn("generated_at", page)
            path, params = page["pagination"]["next_uri"], None
            if path:
                query = parse_qs(urlsplit(path).query)
                self.assertEqual((query["limit"], query["account_id"], query["min_date"]),
                                 (["500"], [str(account)], ["2000-01-01"]))
        self.assertEqual((pages, len(seen), len(set(seen))), (3, 1001, 1001))
        default = self.api("GET", const.PATH_TRANSACTIONS, token=token).json()
        self.assertEqual(len(default["resources"]), const.DEFAULT_PAGE_LIMIT)
        self.assertBridgeError(self.api("GET", const.PATH_TRANSACTIONS, token=token, params={"limit": 501}),
                               400, "invalid_request", "limit")
        self.assertBridgeError(self.api("GET", const.PATH_TRANSACTIONS, token=token, params={"after": "@@"}),
                               400, "invalid_request", "after")

    def test_row_updated_while_paging_is_still_seen(self):
        user, token = self.new_user()
        account = self.emulator.add_item(user)["accounts"][0]["id"]
        rows = self.emulator.add_transactions(account, count=20, seed=6)
        first = self.api("GET", const.PATH_TRANSACTIONS, token=token, params={"limit": 10}).json()
        moved = first["resources"][0]["id"]
        self.emulator.update_transaction(moved, amount=1.23)
        rest = self.api("GET", first["pagination"]["next_uri"], token=token).json()
        following = [tx["id"] for tx in rest["resources"]]
        while rest["pagination"]["next_uri"]:
            rest = self.api("GET", rest["pagination"]["next_uri"], token=token).json()
            following += [tx["id"] for tx in rest["resources"]]
        self.assertIn(moved, following)
        self.assertEqual(len(set(following) | {tx["id"] for tx in first["resources"]}), len(rows))

    def test_since_and_date_filters(self):
        clock = [datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.timezone.utc)]
        emulator = BridgeEmulator("emu-id", "emu-secret", now=lambda: clock[0]).start()
        self.addCleanup(emulator.stop)
        user = emulator.create_user()["uuid"]
        account = emulator.add_item(user)["accounts"][0]["id"]
        old = emulator.add_transactions(account, transactions=[
            {"amount": -10, "date": f"2026-02-{day:02d}", "provider_description": f"CB {day}"}
            for day in range(1, 29)])
        clock[0] += datetime.timedelta(hours=1)
        later = emulator.add_transactions(account, transactions=[{"amount": 5, "date": "2026-03-02"}])
        emulator.delete_transaction(old[0]["id"])
        headers = dict(APP_HEADERS, Authorization="Bearer {}".format(emulator.issue_token(user)["access_token"]))

        def ids(**params):
            answer = requests.get(emulator.url + const.PATH_TRANSACTIONS, headers=headers,
                                  params=dict(params, limit=500), timeout=10)
            self.assertEqual(answer.status_code, 200, answer.text)
            return {tx["id"]: tx for tx in answer.json()["resources"]}

        changed = ids(since=old[-1]["updated_at"])
        self.assertEqual(set(changed), {later[0]["id"], old[0]["id"]})
        self.assertIs(changed[old[0]["id"]]["deleted"], True)
        self.assertEqual(set(ids(since="2026-03-02T08:30:00Z", until="2026-03-02T10:00:00Z")), set(changed))
        february_week = ids(min_date="2026-02-10", max_date="2026-02-16")
        self.assertEqual(sorted(tx["date"] for tx in february_week.values()),
                         [f"2026-02-{day:02d}" for day in range(10, 17)])
        bad = requests.get(
            emulator.url + const.PATH_TRANSACTIONS, headers=headers, params={"min_date": "10/02/2026"}, timeout=10)
        self.assertBridgeError(bad, 400, "invalid_request", "min_date")

    def test_future_updated_and_deleted_transactions(self):
        user, token = self.new_user()
        account = self.emulator.add_item(user)["accounts"][0]["id"]
        tomorrow = self.emulator.today() + datetime.timedelta(days=1)
        future, booked = self.emulator.add_transactions(account, transactions=[
            {"amount": -54.99, "date": tomorrow, "provider_description": "PRLV SEPA ORANGE"},
            {"amount": 100, "provider_description": "VIR SEPA RECU"}])
        self.assertEqual((future["future"], booked["future"]), (True, False))
        account_json = self.api("GET", f"{const.PATH_ACCOUNTS}/{account}", token=token).json()
        self.assertAlmostEqual(account_json["instant_balance"] - account_json["balance"], -54.99)
        booked_now = self.emulator.update_transaction(future["id"], future=False, date=self.emulator.today())
        self.assertGreaterEqual(booked_now["updated_at"], future["updated_at"])
        self.assertIs(booked_now["future"], False)
        self.emulator.delete_transaction(booked["id"])
        tombstone = self.api("GET", "{}/{}".format(const.PATH_TRANSACTIONS, booked["id"]), token=token).json()
        self.assertEqual((tombstone["deleted"], tombstone["amount"]), (True, 100))

    # ---------------------------------------------------------------- faults
    def test_fault_injection(self):
        user, token = self.new_user()
        self.emulator.fail_next("GET", "/items$", 429)
        self.assertBridgeError(self.api("GET", const.PATH_ITEMS, token=token), 429, "too_many_requests")
        self.emulator.fail_next("*", "/items$", 500)
        self.assertBridgeError(self.api("GET", const.PATH_ITEMS, token=token), 500, "internal_server_error")
        self.emulator.fail_next("GET", "/items$", 503)
        unavailable = self.api("GET", const.PATH_ITEMS, token=token)
        self.assertEqual((unavailable.status_code, unavailable.headers["Content-Type"]), (503, "text/html"))
        self.emulator.fail_next("GET", "/items$", "malformed")
        malformed = self.api("GET", const.PATH_ITEMS, token=token)
        self.assertEqual(malformed.status_code, 200)
        with self.assertRaises(ValueError):
            malformed.json()
        self.emulator.fail_next("GET", "/items$", 401)
        self.assertEqual(self.api("GET", const.PATH_ITEMS, token=token).status_code, 401)
        self.emulator.timeout_delay = 1.0
        self.emulator.fail_next("GET", "/items$", "timeout")
        # Odoo's test harness stretches short timeouts to 10 s: send through requests' own send.
        unpatched = requests.Session()
        unpatched.send = functools.partial(_super_send, unpatched)
        with self.assertRaises(requests.exceptions.ReadTimeout):
            unpatched.get(self.emulator.url + const.PATH_ITEMS, headers=dict(
                APP_HEADERS, Authorization="Bearer " + token), timeout=(2, 0.2))
        self.emulator.fail_next("GET", "/items$", 500, times=2)
        self.assertEqual([self.api("GET", const.PATH_ITEMS, token=token).status_code for _i in range(3)],
                         [500, 500, 200])
        self.assertEqual(self.api("GET", const.PATH_PROVIDERS).status_code, 200, "other paths unaffected")
        with self.assertRaises(ValueError):
            self.emulator.fail_next("GET", ".*", "teapot")

    # ---------------------------------------------------------------- connect sessions and hosted page
    def create_session(self, token, **body):
        body.setdefault("user_email", "client@example.com")
        return self.api("POST", const.PATH_CONNECT_SESSIONS, token=token, json=body)

    def test_connect_session_validation(self):
        user, token = self.new_user()
        other, _other_token = self.new_user("other")
        other_item = self.emulator.add_item(other)
        self.assertBridgeError(self.create_session(token, context="x" * 101), 400,
                               "connect_session.context_invalid", "context")
        self.assertBridgeError(self.create_session(token, account_types="savings"), 400,
                               "connect_session.account_types_invalid", "account_types")
        self.assertBridgeError(self.create_session(token, country_code="US"), 400,
                               "connect_session.country_code_invalid", "country_code")
        self.assertBridgeError(self.create_session(token, item_id=other_item["id"]), 404, "item.not_found")
        self.assertBridgeError(self.api("POST", const.PATH_CONNECT_SESSIONS, token=token, json={}), 400,
                               "invalid_request", "user_email")
        self.assertBridgeError(self.api("POST", const.PATH_CONNECT_SESSIONS, json={"user_email": "a@b.fr"}),
                               401, "invalid_authorization_header")
        created = self.create_session(token, context="ok-1", callback_url="https://example.com/cb")
        self.assertEqual(created.status_code, 201)
        self.assertEqual(set(created.json()), {"id", "url"})

    def test_hosted_page_login_code_and_redirect(self):
        user, token = self.new_user()
        self.emulator.connect_history_start = self.emulator.today() - datetime.timedelta(days=40)
        session = self.create_session(token, callback_url="http://127.0.0.1:8069/cb?journal=3",
                                      context="j3-abc", country_code="FR").json()
        browser = requests.Session()
        login_page = browser.get(session["url"])
        self.assertIn("Demo Bank", login_page.text)
        refused = browser.post(session["url"] + "/login", data={"login": "jdupont", "password": "wrong"})
        self.assertEqual(refused.status_code, 200)
        self.assertIn("incorrect", refused.text)
        otp_page = browser.post(session["url"] + "/login", data={
            "provider_id": "574", "login": "jdupont", "password": "secret", "outcome": "0"})
        self.assertIn('name="code"', otp_page.text, "303 followed to the one-time code form")
        wrong_code = browser.post(session["url"] + "/otp", data={"code": "000000"})
        self.assertIn("Code incorrect", wrong_code.text)
        self.assertEqual(self.emulator.items, {}, "nothing is created before the code is right")
        done = browser.post(session["url"] + "/otp", data={"code": "123456"}, allow_redirects=False)
        self.assertEqual(done.status_code, 302)
        location = urlsplit(done.headers["Location"])
        self.assertEqual(location._replace(query="").geturl(), "http://127.0.0.1:8069/cb")
        params = {key: values[0] for key, values in parse_qs(location.query).items()}
        self.assertEqual(params["journal"], "3")
        self.assertEqual((params["user_uuid"], params["success"], params["source"], params["context"]),
                         (user, "true", "connect", "j3-abc"))
        self.assertNotIn("step", params)
        item = self.api("GET", "{}/{}".format(const.PATH_ITEMS, params["item_id"]), token=token).json()
        self.assertEqual(item["status"], 0)
        transactions = self.api("GET", const.PATH_TRANSACTIONS, token=token, params={"limit": 500}).json()
        self.assertTrue(transactions["resources"], "a new connection comes with its history")
        self.assertEqual(browser.get(session["url"]).status_code, 410, "a session is used once")

    def test_hosted_page_cancel_and_failed_outcomes(self):
        user, token = self.new_user()
        cancelled = self.create_session(token, callback_url="http://127.0.0.1/cb").json()
        answer = requests.get(cancelled["url"] + "/cancel?step=bank_creds_form", allow_redirects=False, timeout=10)
        params = parse_qs(urlsplit(answer.headers["Location"]).query)
        self.assertEqual((params["success"], params["step"], params["user_uuid"]),
                         (["false"], ["bank_creds_form"], [user]))
        self.assertNotIn("item_id", params)
        for status, step in ((1010, "otp_form"), (402, "edit_bank_creds_form"), (1100, "pro_validation_form")):
            with self.subTest(status=status):
                session = self.create_session(token, callback_url="http://127.0.0.1/cb").json()
                browser = requests.Session()
                browser.post(session["url"] + "/login", data={
                    "login": "jdupont", "password": "secret", "outcome": str(status)})
                done = browser.post(session["url"] + "/otp", data={"code": "123456"}, allow_redirects=False)
                params = parse_qs(urlsplit(done.headers["Location"]).query)
                self.assertEqual((params["success"], params["step"]), (["false"], [step]))
                item = self.api("GET", "{}/{}".format(const.PATH_ITEMS, params["item_id"][0]), token=token).json()
                self.assertEqual(item["status"], status)

    def test_reauthentication_restores_the_item(self):
        user, token = self.new_user()
        item = self.emulator.add_item(user, status=402)
        session = self.create_session(token, item_id=item["id"], callback_url="http://127.0.0.1/cb").json()
        browser = requests.Session()
        page = browser.get(session["url"])
        self.assertIn("Mettre à jour", page.text)
        browser.post(session["url"] + "/login", data={"login": "jdupont", "password": "secret"})
        done = browser.post(session["url"] + "/otp", data={"code": "123456"}, allow_redirects=False)
        self.assertEqual(parse_qs(urlsplit(done.headers["Location"]).query)["item_id"], [str(item["id"])])
        after = self.api("GET", "{}/{}".format(const.PATH_ITEMS, item["id"]), token=token).json()
        self.assertEqual((after["status"], after["status_code_info"]), (0, "ok"))
        self.assertEqual(len(self.emulator.items), 1)

    # ---------------------------------------------------------------- webhooks
    def test_signed_webhooks_after_a_connection(self):
        receiver = _WebhookReceiver()
        self.addCleanup(receiver.close)
        self.emulator.configure_webhooks(receiver.url, ["old-secret", "new-secret"])
        user, token = self.new_user()
        session = self.create_session(token, callback_url="http://127.0.0.1/cb").json()
        browser = requests.Session()
        browser.post(session["url"] + "/login", data={"login": "jdupont", "password": "secret"})
        browser.post(session["url"] + "/otp", data={"code": "123456"}, allow_redirects=False)
        self.emulator.flush_webhooks()
        events = []
        for headers, body in receiver.received:
            signature = headers[const.SIGNATURE_HEADER]
            self.assertTrue(webhook.verify_signature(body, signature, ["new-secret"]))
            self.assertTrue(webhook.verify_signature(body, signature, ["old-secret"]))
            self.assertFalse(webhook.verify_signature(body, signature, ["another-secret"]))
            events.append(webhook.parse_event(body))
        self.assertEqual([event["type"] for event in events], [
            "item.created", "item.account.created", "item.account.created", "item.account.created",
            "item.refreshed"])
        self.assertEqual({event["user_uuid"] for event in events}, {user})
        self.assertEqual(events[-1]["content"]["refresh_trigger"], "connect")
        self.assertEqual(self.emulator.webhook_deliveries[-1], ("item.refreshed", 200))

    def test_refresh_sends_account_updates_with_counts(self):
        receiver = _WebhookReceiver()
        self.addCleanup(receiver.close)
        self.emulator.configure_webhooks(receiver.url, "secret-1")
        user, _token = self.new_user()
        item = self.emulator.add_item(user)
        checking = item["accounts"][0]["id"]
        rows = self.emulator.add_transactions(checking, count=3)
        self.emulator.update_transaction(rows[0]["id"], amount=-1)
        self.emulator.delete_transaction(rows[1]["id"])
        self.emulator.refresh_item(item["id"])
        self.emulator.flush_webhooks()
        events = [webhook.parse_event(body) for _headers, body in receiver.received]
        updates = {event["account_ids"][0]: event["content"] for event in events
                   if event["type"] == "item.account.updated"}
        self.assertEqual((updates[checking]["nb_new_transactions"], updates[checking]["nb_updated_transactions"],
                          updates[checking]["nb_deleted_transactions"]), (3, 1, 1))
        self.assertEqual(events[0]["content"]["refresh_trigger"], "scheduler")

    def test_send_webhook_returns_the_receivers_status(self):
        receiver = _WebhookReceiver(status=403)
        self.addCleanup(receiver.close)
        status = self.emulator.send_webhook(receiver.url, "TEST_EVENT", {"item_id": 1, "status": 0}, "s3cret")
        self.assertEqual(status, 403)
        headers, body = receiver.received[0]
        self.assertEqual(headers[const.SIGNATURE_HEADER], webhook.sign(body, "s3cret"))
        self.assertEqual(json.loads(body)["type"], "TEST_EVENT")
        self.assertIsNone(self.emulator.send_webhook("http://127.0.0.1:9/none", "TEST_EVENT", {}, "s"))

    # ---------------------------------------------------------------- admin routes and standalone run
    def test_admin_routes(self):
        admin = self.emulator.url + "/_emulator"
        user = requests.post(admin + "/users", json={"external_user_id": "demo-x"}, timeout=10).json()
        item = requests.post(admin + "/items", json={"user_uuid": user["uuid"], "status": 1010}, timeout=10).json()
        self.assertEqual(item["status"], 1010)
        account = item["accounts"][0]["id"]
        rows = requests.post(
            admin + "/transactions", json={"account_id": account, "count": 4}, timeout=10).json()["transactions"]
        self.assertEqual(len(rows), 4)
        deleted = requests.post(admin + "/transactions/{}/delete".format(rows[0]["id"]), timeout=10).json()
        self.assertIs(deleted["deleted"], True)
        updated = requests.post(
            admin + "/transactions/{}/update".format(rows[1]["id"]), json={"changes": {"amount": 7}}, timeout=10)
        self.assertEqual(updated.json()["amount"], 7)
        self.assertEqual(requests.post(
            admin + "/items/{}/status".format(item["id"]), json={"status": 0}, timeout=10).json()["status"], 0)
        expiry = requests.post(
            admin + "/items/{}/authentication-expiry".format(item["id"]), json={"expires_at": "2026-12-01"}, timeout=10)
        self.assertEqual(expiry.json()["authentication_expires_at"], "2026-12-01T00:00:00.000Z")
        self.assertEqual(requests.post(
            admin + "/faults", json={"kind": "429", "path_regex": "/providers"}, timeout=10).status_code,
                         201)
        self.assertEqual(self.api("GET", const.PATH_PROVIDERS).status_code, 429)
        self.assertEqual(requests.post(admin + "/faults", json={"kind": "nope"}, timeout=10).status_code, 400)
        state = requests.get(admin + "/state", timeout=10).json()
        self.assertEqual((len(state["users"]), len(state["items"]), state["transaction_count"]), (1, 1, 4))
        self.assertEqual(requests.get(admin + "/requests", timeout=10).json()["requests"][-1][1], const.PATH_PROVIDERS)

    def test_state_survives_a_restart(self):
        state_file = os.path.join(tempfile.mkdtemp(), "state.json")
        self.addCleanup(shutil.rmtree, os.path.dirname(state_file))
        first = BridgeEmulator("emu-id", "emu-secret").start()
        self.addCleanup(first.stop)
        first.state_file = state_file
        user = requests.post(
            first.url + const.PATH_USERS, headers=APP_HEADERS, json={"external_user_id": "kept"}, timeout=10)
        self.assertEqual(user.status_code, 201)
        self.assertTrue(os.path.exists(state_file), "saved after the change")
        item = requests.post(first.url + "/_emulator/items", json={
            "user_uuid": user.json()["uuid"], "history_start": str(first.today() - datetime.timedelta(30))}, timeout=10)
        rows = first.snapshot()["transaction_count"]
        first.stop()
        second = BridgeEmulator("emu-id", "emu-secret")
        second.load_state(state_file)
        second.start()
        self.addCleanup(second.stop)
        self.assertEqual(second.snapshot()["users"], [user.json()])
        self.assertEqual(second.snapshot()["transaction_count"], rows)
        token = second.issue_token(user.json()["uuid"])["access_token"]
        accounts = requests.get(second.url + const.PATH_ACCOUNTS, headers=dict(
            APP_HEADERS, Authorization="Bearer " + token), timeout=10).json()["resources"]
        self.assertEqual(accounts, item.json()["accounts"])
        new_item = second.add_item(user.json()["uuid"])
        self.assertGreater(new_item["id"], item.json()["id"])

    def test_runs_standalone_as_a_script(self):
        script = os.path.join(os.path.dirname(os.path.dirname(__file__)), "bridge", "emulator.py")
        process = subprocess.Popen(
            [sys.executable, script, "--port", "0", "--seed", "demo", "--client-id", "cli-id",
             "--client-secret", "cli-secret"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/")
        self.addCleanup(process.wait, 10)
        self.addCleanup(process.terminate)
        banner = process.stdout.readline()
        self.assertIn("listening on http://127.0.0.1:", banner, process.stderr.read() if not banner else banner)
        url = banner.split("listening on ", 1)[1].split()[0]
        headers = {"Client-Id": "cli-id", "Client-Secret": "cli-secret", "Bridge-Version": const.BRIDGE_VERSION}
        users = requests.get(url + const.PATH_USERS, headers=headers, timeout=10).json()["resources"]
        self.assertEqual([user["external_user_id"] for user in users], ["demo"])
        token = requests.post(
            url + const.PATH_TOKEN, headers=headers, json={"external_user_id": "demo"}, timeout=10).json()
        items = requests.get(url + const.PATH_ITEMS, headers=dict(
            headers, Authorization="Bearer " + token["access_token"]), timeout=10).json()["resources"]
        self.assertEqual(sorted(item["status"] for item in items), [0, 1010])

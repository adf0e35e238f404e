from odoo.tests import tagged

from .common import BankCollectCase

TRANSACTIONS = r"/v3/aggregation/transactions"
ROWS = 520  # two pages of 500: a fault can hit the middle of a pull


class _FrenchDate:
    """A date the emulator serialises as "31/12/2026": a malformed API value."""

    def isoformat(self):
        return "31/12/2026"


@tagged("post_install", "-at_install")
class TestFaults(BankCollectCase):
    """Every fault ends in an issue with a clear message, no line lost or duplicated (BC-10)."""

    def setUp(self):
        super().setUp()
        self.iban = self._new_iban()
        self.journal = self._make_journal("Banque Fautes", self.iban)
        self.item, accounts = self._add_item([
            {"name": "Compte courant", "type": "checking", "iban": self.iban, "balance": 0.0},
        ])
        self.account = accounts["Compte courant"]
        # These tests read how an inline pull handles faults: keep their two pages inline.
        self.env["ir.config_parameter"].set_param("bank_collect_bridge.inline_rows", 2000)
        self.emulator.add_transactions(self.account["id"], count=ROWS, start_date=self._days_ago(60),
                                       end_date=self._days_ago(1), seed=7)

    def _assert_fault_then_recovery(self, kind, expected_issue, fragment, times=4):
        # The client retries transient faults 3 times: 4 in a row outlast them.
        self.emulator.fail_next("GET", TRANSACTIONS + r"$", kind, times=times)
        result = self._sync(self.journal)
        self.assertEqual(result["type"], "danger", result)
        self.assertIn(fragment, result["message"])
        issue = self._issues(self.journal)
        self.assertEqual(issue.kind, expected_issue)
        self.assertIn(fragment, issue.detail)
        self.assertFalse(self._lines(self.journal), "nothing half-written")
        self.assertFalse(self._staging(self.journal))
        self.assertEqual(self.journal.bank_collect_last_error, issue.detail)
        result = self._sync(self.journal)
        self.assertEqual(result["type"], "success", result)
        self.assertEqual(len(self._lines(self.journal)), ROWS)
        self.assertFalse(self._issues(self.journal), "the next successful sync resolves the issue")
        self.assertEqual(issue.state, "resolved")

    def test_http_500(self):
        self._assert_fault_then_recovery("500", "server", "HTTP 500")

    def test_http_503(self):
        self._assert_fault_then_recovery("503", "server", "HTTP 503")

    def test_http_429(self):
        self._assert_fault_then_recovery("429", "rate_limit", "HTTP 429")

    def test_timeout(self):
        self._assert_fault_then_recovery("timeout", "timeout", "did not answer in time")

    def test_malformed_json(self):
        self._assert_fault_then_recovery("malformed", "malformed", "cannot be read", times=1)

    def test_bad_row_on_second_page_keeps_nothing(self):
        self._sync(self.journal)
        added = self.emulator.add_transactions(self.account["id"], count=700, start_date=self._days_ago(60),
                                               end_date=self._days_ago(1), seed=8)
        # The last row of the second page has a booking date in the wrong format.
        self.emulator.transactions[added[-1]["id"]]["booking_date"] = _FrenchDate()
        result = self._sync(self.journal)
        self.assertEqual(result["type"], "danger")
        self.assertIn(str(added[-1]["id"]), result["message"])
        self.assertEqual(self._issues(self.journal).kind, "malformed")
        self.assertEqual(len(self._lines(self.journal)), ROWS, "the 500 rows of the first page are not kept")
        self.emulator.transactions[added[-1]["id"]]["booking_date"] = self._days_ago(1)
        self._sync(self.journal)
        self.assertEqual(len(self._lines(self.journal)), ROWS + 700)
        self.assertEqual(len(self._staging(self.journal)), ROWS + 700)

    def test_expired_token_is_renewed(self):
        self._sync(self.journal)
        self.emulator.expire_tokens()
        self.emulator.add_transactions(self.account["id"], transactions=[self._tx(5.0, 1)])
        result = self._sync(self.journal)
        self.assertEqual(result["type"], "success", result)
        self.assertEqual(len(self._lines(self.journal)), ROWS + 1)

    def test_token_refused_after_renewal(self):
        self.emulator.fail_next("*", r"/v3/aggregation/(items|authorization)", "401", times=10)
        result = self._sync(self.journal)
        self.assertEqual(result["type"], "danger")
        self.assertEqual(self._issues(self.journal).kind, "auth")
        self.assertNotIn(self.emulator.client_secret, self._issues(self.journal).detail)

    def test_wrong_client_secret(self):
        self.provider.client_secret = "not-the-secret"
        result = self.provider.action_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertNotIn("not-the-secret", result["params"]["message"])
        self.provider.client_secret = self.emulator.client_secret
        self.assertEqual(self.provider.action_test_connection()["params"]["type"], "success")

    def test_item_statuses(self):
        self._sync(self.journal)
        self.emulator.add_transactions(self.account["id"], transactions=[self._tx(5.0, 1)])
        for status, kind, user_action in (
            (402, "wrong_credentials", True), (429, "bank_action", True), (1003, "bank_down", False),
            (1010, "sca_required", True), (1100, "pro_validation", True),
        ):
            with self.subTest(status=status):
                self.emulator.set_item_status(self.item["id"], status)
                action = self.journal.action_bank_collect_sync()
                if user_action:
                    # The owner must act: Synchro reopens the funnel on this connection.
                    self.assertEqual(action["type"], "ir.actions.act_url")
                    self.assertIn("/connect/session/", action["url"])
                else:
                    self.assertEqual(action["params"]["type"], "danger")
                self.assertIn(kind, self._issues(self.journal).mapped("kind"))
                self.assertEqual(len(self._lines(self.journal)), ROWS)
        self.emulator.set_item_status(self.item["id"], 0)
        self._sync(self.journal)
        self.assertEqual(len(self._lines(self.journal)), ROWS + 1)
        self.assertFalse(self._issues(self.journal))

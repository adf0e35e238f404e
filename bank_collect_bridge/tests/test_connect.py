import re
from urllib.parse import parse_qs, urlsplit

from odoo.tests import HttpCase, new_test_user, tagged

from .common import BankCollectEmulatorMixin, BankCollectFunnelMixin


@tagged("post_install", "-at_install")
class TestConnectFlow(BankCollectFunnelMixin, BankCollectEmulatorMixin, HttpCase):
    """First connection through the aggregator's hosted funnel, then the callback, the account
    choice and the first collection (BC-4)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env, login="bc_funnel", password="bc_funnel_pw",
            groups="base.group_user,account.group_account_manager",
        )

    def setUp(self):
        super().setUp()
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", self.base_url())
        self.journal = self._make_journal("Banque Funnel", self._new_iban())
        self.authenticate("bc_funnel", "bc_funnel_pw")

    def _start(self):
        action = self.journal.with_user(self.accountant).action_bank_collect_sync()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(action["url"].startswith(self.emulator.url + "/connect/session/"))
        return action["url"]

    def test_first_connection_to_imported_lines(self):
        funnel = self._start()
        session = next(s for s in self.emulator.connect_sessions.values())
        self.assertEqual(session["country_code"], "FR")
        callback = self._drive_funnel(funnel)
        page = self.url_open(callback)
        self.assertEqual(page.status_code, 200)
        # The journal's IBAN is not at this bank: the user picks the account, balances shown.
        self.assertIn("Choose the bank account", page.text)
        accounts = self.env["bank.collect.account"].search([("partner_id", "=", self.owner.id)])
        self.assertEqual(sorted(accounts.mapped("account_type")), ["card", "checking", "savings"])
        checking = accounts.filtered(lambda a: a.account_type == "checking")
        self.assertIn(checking.iban, page.text)
        self.assertIn(f"{checking.balance:.2f}", page.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        context = re.search(r'name="context" value="([^"]+)"', page.text).group(1)
        page = self.url_open("/bank_collect/choose", data={
            "csrf_token": csrf, "context": context, "account_id": str(checking.id),
        })
        self.assertIn("Bank account connected", page.text)
        self.assertIn('id="bank_collect_back"', page.text)
        self.assertIn(f"/odoo/action-account.action_account_journal_form/{self.journal.id}", page.text)
        self.assertEqual(self.journal.bank_collect_link_state, "attached")
        self.assertEqual(self.journal.bank_collect_account_ids, checking)
        self.assertTrue(self.journal.bank_collect_sync_requested, "collection scheduled in the background")
        # Synchro again: the lines arrive (checking + deferred-debit card, no monthly total twice).
        result = self.journal.with_user(self.accountant).action_bank_collect_sync()
        self.assertEqual(result["params"]["type"], "success", result)
        lines = self._lines(self.journal)
        self.assertTrue(lines)
        staged = self._staging(self.journal)
        self.assertEqual(len(staged), len(set(staged.mapped("remote_id"))))
        self.assertEqual(len(lines), len(staged.filtered(lambda t: t.state == "imported")))
        self.journal.with_user(self.accountant).action_bank_collect_sync()
        self.assertEqual(len(self._lines(self.journal)), len(lines), "a second Synchro duplicates nothing")

    def test_failed_connection_tells_where(self):
        callback = self._drive_funnel(self._start(), outcome=402)
        self.assertEqual(parse_qs(urlsplit(callback).query)["success"], ["false"])
        page = self.url_open(callback)
        self.assertIn("not completed", page.text)
        self.assertEqual(self.journal.bank_collect_link_state, "not_linked")

    def test_second_journal_of_the_same_bank_skips_the_funnel(self):
        self._drive_funnel(self._start())
        other_iban = self.journal.bank_account_id.acc_number  # same bank code, no such account there
        second = self._make_journal("Banque Funnel 2", other_iban[:4] + "14508" + other_iban[9:])
        action = second.with_user(self.accountant).action_bank_collect_sync()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(action["url"].startswith("/bank_collect/choose?context="), action["url"])
        page = self.url_open(action["url"])
        self.assertIn("Choose the bank account", page.text)

    def test_tampered_or_foreign_context_is_refused(self):
        callback = self._drive_funnel(self._start())
        query = parse_qs(urlsplit(callback).query)
        context = query["context"][0]
        tampered = callback.replace(context, context[:-1] + ("1" if context.endswith("0") else "0"))
        self.assertIn("invalid or was altered", self.url_open(tampered).text)
        new_test_user(self.env, login="bc_other", password="bc_other_pw",
                      groups="base.group_user,account.group_account_manager")
        self.authenticate("bc_other", "bc_other_pw")
        self.assertIn("another user", self.url_open(callback).text)
        self.assertFalse(self.journal.bank_collect_account_ids)

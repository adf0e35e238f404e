from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import BankCollectCase


@tagged("post_install", "-at_install")
class TestConnectionLog(BankCollectCase):
    """BC-14: connection events and API calls are logged, without secrets; BC-16: connections
    and remote accounts screens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env, login="bc_log_accountant", groups="base.group_user,account.group_account_manager",
        )

    def _connected(self, name="Banque Log"):
        iban = self._new_iban()
        journal = self._make_journal(name, iban)
        item, accounts = self._add_item([{"name": "Compte courant", "type": "checking", "iban": iban}])
        self.emulator.add_transactions(accounts["Compte courant"]["id"], transactions=[self._tx(10.0, 2)])
        return journal, item

    def test_sync_outcomes_are_logged(self):
        journal, item = self._connected()
        self._sync(journal)
        log = self.env["bank.collect.log"].search([("event", "=", "sync"), ("journal_id", "=", journal.id)])
        self.assertEqual(log.result, "success")
        self.assertEqual(log.partner_id, self.owner)
        self.assertEqual(log.item_ref, str(item["id"]))
        self.assertIn("1 new transactions", log.detail)
        self.emulator.fail_next("GET", "/transactions", "500", times=10)
        self.assertFalse(journal._bank_collect_run()["ok"])
        failed = self.env["bank.collect.log"].search([("event", "=", "sync"), ("result", "=", "failure")])
        self.assertEqual(failed.journal_id, journal)
        self.assertIn("unavailable", failed.detail)

    def test_connect_session_is_logged(self):
        journal = self._make_journal("Banque Funnel Log", self._new_iban())
        action = journal.with_user(self.accountant).action_bank_collect_sync()
        self.assertEqual(action["type"], "ir.actions.act_url")
        log = self.env["bank.collect.log"].search([("event", "=", "connect_session")])
        self.assertEqual(log.user_id, self.accountant)
        self.assertEqual(log.journal_id, journal)
        self.assertEqual(log.result, "success")

    def test_api_calls_logged_without_secrets_for_administrators_only(self):
        journal, __ = self._connected()
        self._sync(journal)
        calls = self.env["bank.collect.api.log"].search([("provider_id", "=", self.provider.id)])
        self.assertTrue(calls.filtered(lambda c: c.path == "/v3/aggregation/transactions" and c.status == 200))
        self.assertTrue(all(c.method and c.duration >= 0 for c in calls))
        for call in calls:
            values = " ".join(str(v) for v in call.read(["method", "path", "error_code"])[0].values())
            self.assertNotIn(self.emulator.client_secret, values)
            self.assertNotIn("?", call.path, "no query string (dates, cursors) in the log")
        self.emulator.fail_next("GET", "/items", "503", times=10)
        journal._bank_collect_run()
        self.assertTrue(self.env["bank.collect.api.log"].search([("status", "=", 503)]),
                        "failed calls are kept although the collection rolled back")
        with self.assertRaises(AccessError):
            self.env["bank.collect.api.log"].with_user(self.accountant).search([])
        # The connection log is readable by accountants, the API log menu is for administrators.
        self.env["bank.collect.log"].with_user(self.accountant).search([])
        menu = self.env.ref("bank_collect_bridge.menu_bank_collect_api_log")
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids())

    def test_connections_screen_renew_and_delete(self):
        journal, item = self._connected()
        self._sync(journal)
        connection = self.env["bank.collect.item"].search([("remote_id", "=", str(item["id"]))])
        self.assertEqual(connection.partner_id, self.owner)
        self.assertEqual(connection.state, "ok")
        self.assertTrue(connection.last_refresh)
        self.assertEqual(journal.bank_collect_account_ids.connection_id, connection)
        account = journal.bank_collect_account_ids
        self.assertEqual(account.account_number, account.iban[14:25])
        self.assertEqual(account.connection_state, "ok")
        connection._bank_collect_fill_bank_names()
        self.assertEqual(connection.bank_name, "Demo Bank")

        action = connection.with_user(self.accountant).action_renew()
        self.assertEqual(action["type"], "ir.actions.act_url")
        session = next(iter(self.emulator.connect_sessions.values()))
        self.assertEqual(session["item_id"], item["id"])

        lines = self._lines(journal)
        # An Invoicing user reads connections and the log, but deleting one is configuration.
        reader = new_test_user(self.env, login="bc_log_reader", groups="base.group_user,account.group_account_invoice")
        self.assertTrue(connection.with_user(reader).read(["bank_name"]))
        with self.assertRaises(AccessError):
            connection.with_user(reader).action_delete()
        with self.assertRaises(AccessError):
            connection.with_user(reader).action_renew()
        self.assertIn(item["id"], self.emulator.items, "nothing deleted by someone not allowed to")
        connection.with_user(self.accountant).action_delete()
        self.assertFalse(connection.exists())
        self.assertNotIn(item["id"], self.emulator.items, "deleted at the aggregator")
        self.assertFalse(journal.bank_collect_account_ids)
        self.assertEqual(journal.bank_collect_link_state, "not_linked")
        self.assertEqual(self._lines(journal), lines, "imported lines are kept")
        log = self.env["bank.collect.log"].search([("event", "=", "connection_deleted")])
        self.assertEqual(log.item_ref, str(item["id"]))

    def test_renew_needs_a_journal(self):
        __, item = self._connected()
        self.env["account.journal"]._bank_collect_refresh_accounts(self.provider, self.owner)
        connection = self.env["bank.collect.item"].search([("remote_id", "=", str(item["id"]))])
        with self.assertRaisesRegex(UserError, "No journal is fed"):
            connection.action_renew()

    def test_remote_account_mapping_can_be_changed(self):
        journal, __ = self._connected()
        self._sync(journal)
        other = self._make_journal("Banque Autre Mapping")
        account = journal.bank_collect_account_ids
        account.with_user(self.accountant).journal_id = other
        self.assertEqual(other.bank_collect_account_ids, account)
        self.assertFalse(journal.bank_collect_account_ids)

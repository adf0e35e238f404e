import datetime

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import BankCollectCase


@tagged("post_install", "-at_install")
class TestProviderSettings(BankCollectCase):
    """Provider settings (BC-1) and aggregator users (BC-2)."""

    def test_one_active_provider_per_company(self):
        with self.assertRaises(ValidationError):
            self._make_provider(self.company)
        inactive = self._make_provider(self.company, active=False)
        self.provider.active = False
        inactive.active = True
        self.assertEqual(self.env["bank.collect.provider"]._get_active_for_company(self.company), inactive)

    def test_start_date_defaults_to_fiscal_year_and_locks_after_a_sync(self):
        fresh = self.env["bank.collect.provider"].new({})
        self.assertEqual(fresh.sync_start_date, self.company.compute_fiscalyear_dates(self.today)["date_from"])
        iban = self._new_iban()
        journal = self._make_journal("Banque verrou", iban)
        self._add_item([{"name": "C", "type": "checking", "iban": iban, "balance": 0}])
        self.provider.sync_start_date = self._days_ago(30)
        self._sync(journal)
        self.provider.invalidate_recordset(["sync_started"])
        self.assertTrue(self.provider.sync_started)
        with self.assertRaises(UserError):
            self.provider.sync_start_date = self._days_ago(60)

    def test_test_connection_and_users(self):
        result = self.provider.action_test_connection()
        self.assertEqual(result["params"]["type"], "success")
        self.provider.api_url = "http://127.0.0.1:9"  # nothing listens there
        result = self.provider.action_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("127.0.0.1:9", result["params"]["message"])
        self.provider.api_url = self.emulator.url
        iban = self._new_iban()
        journal = self._make_journal("Banque users", iban)
        self._add_item([{"name": "C", "type": "checking", "iban": iban, "balance": 0}])
        self._sync(journal)
        self.assertEqual(self.provider.user_count, 1)
        self.assertTrue(self.owner.bank_collect_user_uuid)
        self.assertIn(self.owner.bank_collect_user_uuid, {u["uuid"] for u in self.emulator.snapshot()["users"]})

    def test_secrets_reserved_to_administrators(self):
        accountant = new_test_user(self.env, login="bc_acc", groups="account.group_account_manager")
        as_accountant = self.provider.with_user(accountant)
        for field in ("client_secret", "webhook_secret", "client_id"):
            with self.subTest(field=field), self.assertRaises(AccessError):
                as_accountant.read([field])

    def test_invalid_country_code(self):
        with self.assertRaises(ValidationError):
            self.provider.country_codes = "FR,France"

    def test_start_date_bounds_later_pulls(self):
        self.provider.sync_start_date = self.today - datetime.timedelta(days=10)
        iban = self._new_iban()
        journal = self._make_journal("Banque bornes", iban)
        __, accounts = self._add_item([{"name": "C", "type": "checking", "iban": iban, "balance": 0}])
        self._sync(journal)
        (old,) = self.emulator.add_transactions(accounts["C"]["id"], transactions=[self._tx(7.0, 40)])
        self._sync(journal)
        self.assertFalse(self._lines(journal), "a row dated before the start date is never imported")
        self.assertTrue(old)

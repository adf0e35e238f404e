import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import BankCollectCase


@tagged("post_install", "-at_install")
class TestNightlyCollection(BankCollectCase):
    """The nightly job collects each company after 03:00 company time, at the company's frequency,
    journal by journal; one failing journal never stops the others (BC-9)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Europe/Paris"
        cls.provider.frequency = "daily"
        cls.company_b = cls.env["res.company"].create({
            "name": "Dossier Hebdo", "country_id": cls.env.ref("base.fr").id,
            "currency_id": cls.env.ref("base.EUR").id,
        })
        cls.company_b.partner_id.tz = "Europe/Paris"
        cls.env["account.chart.template"].try_loading("generic_coa", cls.company_b, install_demo=False)
        cls.provider_b = cls._make_provider(cls.company_b, frequency="weekly")
        cls.env.user.company_ids |= cls.company_b

    def setUp(self):
        super().setUp()
        self.journals = {}
        self.accounts = {}
        for name, company in (("daily", self.company), ("daily_down", self.company), ("weekly", self.company_b)):
            iban = self._new_iban()
            self.journals[name] = self._make_journal(f"Banque {name}", iban, company=company)
            provider = self.provider if company == self.company else self.provider_b
            self.items = getattr(self, "items", {})
            item, accounts = self._add_item([{"name": name, "type": "checking", "iban": iban, "balance": 0}],
                                            provider=provider)
            self.items[name] = item
            self.accounts[name] = accounts[name]
            # Link through the regular Synchro (nothing to collect yet).
            self.journals[name].with_company(company).action_bank_collect_sync()

    def _add_rows(self, amount, day):
        for account in self.accounts.values():
            self.emulator.add_transactions(account["id"], transactions=[self._tx(amount, (self.today - day).days)])

    def _last_monday(self):
        """Monday of last week, 03:00 UTC (every date of these tests derives from the suite's clock)."""
        monday = self.today - datetime.timedelta(days=self.today.weekday() + 7)
        return datetime.datetime.combine(monday, datetime.time())

    def _amounts(self, name):
        return sorted(self._lines(self.journals[name]).mapped("amount"))

    def _run_cron(self):
        return self.env["account.journal"]._cron_bank_collect_nightly()

    def test_frequencies_and_time_window(self):
        self.emulator.set_item_status(self.items["daily_down"]["id"], 1003)
        monday = self._last_monday()
        with freeze_time(monday.replace(hour=0, minute=30)):  # 01:30 or 02:30 in Paris: too early
            self._add_rows(1.0, monday.date())
            self.assertEqual(self._run_cron(), 0)
        with freeze_time(monday.replace(hour=2, minute=10)):  # 03:10 or 04:10 in Paris
            self.assertEqual(self._run_cron(), 3)
            self.assertEqual(self._run_cron(), 0, "once a night")
        self.assertEqual(self._amounts("daily"), [1.0])
        self.assertEqual(self._amounts("weekly"), [1.0], "the failing journal did not stop the next company")
        self.assertEqual(self._issues(self.journals["daily_down"]).kind, "bank_down")
        self.emulator.set_item_status(self.items["daily_down"]["id"], 0)
        tuesday = monday + datetime.timedelta(days=1)
        with freeze_time(tuesday.replace(hour=2, minute=10)):
            self._add_rows(2.0, tuesday.date())
            self.assertEqual(self._run_cron(), 2, "daily journals only")
        self.assertEqual(self._amounts("daily"), [1.0, 2.0])
        self.assertEqual(self._amounts("daily_down"), [1.0, 2.0])
        self.assertEqual(self._amounts("weekly"), [1.0])
        with freeze_time((monday + datetime.timedelta(days=7)).replace(hour=2, minute=10)):
            self.assertEqual(self._run_cron(), 3)
        self.assertEqual(self._amounts("weekly"), [1.0, 2.0])
        self.assertFalse(self._issues(self.journals["daily_down"]))

    def test_inactive_provider_stops_collection(self):
        self.provider_b.active = False
        monday = self._last_monday()
        with freeze_time(monday.replace(hour=2, minute=10)):
            self._add_rows(1.0, monday.date())
            self.assertEqual(self._run_cron(), 2)
        self.assertFalse(self._lines(self.journals["weekly"]))

    def test_requested_sync_runs_outside_the_window(self):
        monday = self._last_monday()
        with freeze_time(monday.replace(hour=2, minute=10)):
            self.assertEqual(self._run_cron(), 3)
        self.journals["weekly"]._bank_collect_request_sync()  # e.g. after a connection
        with freeze_time(monday.replace(hour=12, minute=0)):
            self._add_rows(3.0, monday.date())
            self.assertEqual(self._run_cron(), 1)
        self.assertEqual(self._amounts("weekly"), [3.0])
        self.assertFalse(self.journals["weekly"].bank_collect_sync_requested)

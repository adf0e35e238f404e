from odoo.tests import tagged

from .common import BankCollectCase

CARD_NAME = "Carte X4242 (débit différé sur Compte courant)"


@tagged("post_install", "-at_install")
class TestCollectionEngine(BankCollectCase):
    """The collection engine (BC-4, BC-5): deferred-debit card totals whichever date carries the
    debit day, opening balance of a first collection, detached journals, large collections in
    background chunks."""

    def setUp(self):
        super().setUp()
        self.iban = self._new_iban()
        self.journal = self._make_journal("Banque Moteur", self.iban)
        self.item, accounts = self._add_item([
            {"name": "Compte courant", "type": "checking", "iban": self.iban, "balance": 1000.0},
            {"name": CARD_NAME, "type": "card", "balance": 0.0},
        ])
        self.checking = accounts["Compte courant"]
        self.card = accounts[CARD_NAME]

    def _card_month(self, booking_shift, total=-100.0):
        """Two card purchases debited together `days_ago(2)`; their booking date is the debit day
        (booking_shift None) or the purchase day plus `booking_shift`."""
        debit = self._days_ago(2)
        purchases = []
        for amount, days_ago, label in ((-30.0, 20, "CARTE X4242 RESTAURANT"), (-70.0, 15, "CARTE X4242 SNCF")):
            booking = debit if booking_shift is None else self._days_ago(days_ago - booking_shift)
            purchases.append(self._tx(amount, days_ago, label, booking_date=booking, value_date=debit, date=booking))
        self.emulator.add_transactions(self.card["id"], transactions=purchases)
        self.emulator.add_transactions(self.checking["id"], transactions=[
            self._tx(total, 2, "RELEVE CARTE X4242 DEBIT DIFFERE", operation_type="card"),
            self._tx(500.0, 3, "VIR SEPA RECU"),
        ])

    def test_card_total_when_booking_date_is_the_posting_day(self):
        self._card_month(booking_shift=1)
        self._sync(self.journal)
        self.assertEqual(sorted(self._lines(self.journal).mapped("amount")), [-70.0, -30.0, 500.0])
        self.assertTrue(self._staging(self.journal, card_summary=True))
        self.assertFalse(self._issues(self.journal), "the balance equals the bank's")

    def test_card_total_when_booking_date_is_the_debit_day(self):
        self._card_month(booking_shift=None)
        self._sync(self.journal)
        self.assertEqual(sorted(self._lines(self.journal).mapped("amount")), [-70.0, -30.0, 500.0])
        self.assertFalse(self._issues(self.journal))

    def test_unmatched_card_total_is_imported_with_an_issue(self):
        self._card_month(booking_shift=1, total=-123.45)
        self._sync(self.journal)
        self.assertIn(-123.45, self._lines(self.journal).mapped("amount"), "never silently dropped")
        issue = self._issues(self.journal).filtered(lambda i: i.kind == "card_summary")
        self.assertTrue(issue, "never silently doubled")
        self.assertIn("-123.45", issue.detail)

    def test_first_collection_starts_at_the_opening_balance(self):
        self.emulator.add_transactions(self.checking["id"], transactions=[
            self._tx(200.0, 5, "VIR RECU"), self._tx(-50.0, 4, "PRLV"),
        ])
        self._sync(self.journal)
        remote = self.journal.bank_collect_account_ids
        statement = self._lines(self.journal).statement_id.sorted("first_line_index")[:1]
        self.assertAlmostEqual(statement.balance_start, remote.balance - 150.0, places=2)
        self.assertFalse(self._issues(self.journal), "no balance issue on a correct first collection")
        self.emulator.add_transactions(self.checking["id"], transactions=[self._tx(10.0, 1, "VIR")])
        self._sync(self.journal)
        self.assertFalse(self._issues(self.journal), "later collections stay balanced")

    def test_synchro_on_a_detached_journal_says_so(self):
        self.emulator.add_transactions(self.checking["id"], transactions=[self._tx(10.0, 1)])
        self._sync(self.journal)
        self.journal.action_bank_collect_detach()
        result = self._sync(self.journal)
        self.assertEqual(result["type"], "warning")
        self.assertIn("Attach", result["message"])
        self.assertEqual(self.journal.bank_collect_link_state, "detached", "not re-attached silently")
        self.assertFalse(self.journal.bank_collect_account_ids)

    def test_large_collection_goes_on_in_background_chunks(self):
        rows = 1200
        self.emulator.add_transactions(self.checking["id"], count=rows, start_date=self._days_ago(60),
                                       end_date=self._days_ago(1), seed=3)
        result = self._sync(self.journal)
        self.assertEqual(result["title"], "Collection started", result)
        self.assertIn(self.journal.bank_collect_progress_state, ("fetch", "generate"))
        self.assertLess(len(self._lines(self.journal)), rows, "the click did not wait for the whole collection")
        # The background job, run as its cron and its own triggers would (no commit under test).
        for _run in range(20):
            if not self.env["account.journal"]._bank_collect_background_journals():
                break
            self.env["account.journal"]._cron_bank_collect_background()
        self.assertEqual(self.journal.bank_collect_progress_state, "done")
        self.assertEqual(len(self._lines(self.journal)), rows)
        staged = self._staging(self.journal)
        self.assertEqual(len(staged), rows)
        self.assertEqual(len(set(staged.mapped("remote_id"))), rows, "no row twice")
        self.assertFalse(self._issues(self.journal), "opening balance found: no balance issue")

import datetime

from odoo.tests import Form, tagged

from .common import BankCollectCase


@tagged("post_install", "-at_install")
class TestJournalOptions(BankCollectCase):
    """Journal options (BC-3), deferred-debit cards, generation on demand (BC-6), pending
    transactions (BC-7) and forced collection (BC-8)."""

    def setUp(self):
        super().setUp()
        self.iban = self._new_iban()
        self.journal = self._make_journal("Banque Options", self.iban)
        self.item, accounts = self._add_item([
            {"name": "Compte courant professionnel", "type": "checking", "iban": self.iban, "balance": 0.0},
            {"name": "Carte X4242 (débit différé sur Compte courant professionnel)", "type": "card",
             "balance": 0.0},
        ])
        self.checking = accounts["Compte courant professionnel"]
        self.card = accounts["Carte X4242 (débit différé sur Compte courant professionnel)"]

    def _card_month(self):
        """Two card purchases debited together on the checking account as one monthly total."""
        debit = self._days_ago(2)
        self.emulator.add_transactions(self.card["id"], transactions=[
            self._tx(-30.0, 20, "CARTE X4242 RESTAURANT", booking_date=debit, value_date=debit, date=debit),
            self._tx(-70.0, 15, "CARTE X4242 SNCF", booking_date=debit, value_date=debit, date=debit),
        ])
        self.emulator.add_transactions(self.checking["id"], transactions=[
            self._tx(-100.0, 2, "RELEVE CARTE X4242 DEBIT DIFFERE", operation_type="card"),
            self._tx(500.0, 3, "VIR SEPA RECU"),
        ])

    def test_card_lines_replace_the_monthly_total(self):
        self._card_month()
        self._sync(self.journal)
        lines = self._lines(self.journal)
        self.assertEqual(
            sorted(lines.mapped("amount")), [-70.0, -30.0, 500.0], "the monthly total is not counted twice"
        )
        self.assertEqual(
            lines.filtered(lambda line: "RESTAURANT" in line.payment_ref).date, self._days_ago(20), "dated by purchase"
        )
        self.assertFalse(self._issues(self.journal), "journal balance equals checking + card balances")

    def test_card_in_its_own_journal(self):
        card_journal = self._make_journal("Carte X4242", bank_collect_forced_account_id=str(self.card["id"]))
        self._card_month()
        self._sync(card_journal)
        self._sync(self.journal)
        self.assertEqual(sorted(self._lines(card_journal).mapped("amount")), [-70.0, -30.0])
        self.assertEqual(
            sorted(self._lines(self.journal).mapped("amount")), [-100.0, 500.0],
            "the monthly total stays on the account when the card has its own journal",
        )

    def test_card_lines_dated_by_debit(self):
        self.journal.bank_collect_card_dating = "debit"
        self._card_month()
        self._sync(self.journal)
        card_lines = self._lines(self.journal).filtered(lambda line: "CARTE X4242 R" in line.payment_ref)
        self.assertEqual(card_lines.date, self._days_ago(2))

    def test_without_card_type_only_the_monthly_total(self):
        self.journal.bank_collect_account_types = "checking"
        self._card_month()
        self._sync(self.journal)
        self.assertEqual(sorted(self._lines(self.journal).mapped("amount")), [-100.0, 500.0])

    def test_cleaned_label(self):
        self.journal.bank_collect_use_clean_label = True
        self.emulator.add_transactions(self.checking["id"], transactions=[
            self._tx(-54.99, 3, "PRLV SEPA ORANGE SA ECH 1234", clean_description="Orange"),
        ])
        self._sync(self.journal)
        self.assertEqual(self._lines(self.journal).payment_ref, "Orange")

    def test_statement_grouping(self):
        days = [self.today.replace(day=1) - datetime.timedelta(days=3), self.today.replace(day=1)]
        if days[1] > self.today - datetime.timedelta(days=1):
            days = [d - datetime.timedelta(days=31) for d in days]
        rows = [self._tx(10.0, (self.today - day).days) for day in days] + [self._tx(5.0, (self.today - days[1]).days)]
        for grouping, expected in (("month", 2), ("day", 2), ("sync", 1)):
            with self.subTest(grouping=grouping):
                iban = self._new_iban()
                journal = self._make_journal(f"Banque {grouping}", iban, bank_collect_statement_grouping=grouping)
                __, accounts = self._add_item([{"name": "Compte", "type": "checking", "iban": iban, "balance": 0}])
                self.emulator.add_transactions(accounts["Compte"]["id"], transactions=rows)
                self._sync(journal)
                statements = self._lines(journal).statement_id
                self.assertEqual(len(statements), expected)
                self.assertTrue(all(st.is_complete for st in statements))

    def test_month_statement_is_completed_by_later_syncs(self):
        self.emulator.add_transactions(self.checking["id"], transactions=[self._tx(10.0, 0)])
        self._sync(self.journal)
        self.emulator.add_transactions(self.checking["id"], transactions=[self._tx(20.0, 0)])
        self._sync(self.journal)
        statement = self._lines(self.journal).statement_id
        self.assertEqual(len(statement), 1)
        self.assertEqual(statement.balance_end_real, 30.0)

    def test_earlier_lines_into_current_statement(self):
        self.journal.write({"bank_collect_earlier_into_current": True, "bank_collect_statement_grouping": "day"})
        self.emulator.add_transactions(self.checking["id"], transactions=[self._tx(10.0, 1)])
        self._sync(self.journal)
        current = self._lines(self.journal).statement_id
        # The bank delivers a late movement dated before the current statement.
        self.emulator.add_transactions(self.checking["id"], transactions=[self._tx(7.0, 6)])
        self._sync(self.journal)
        self.assertEqual(self._lines(self.journal).statement_id, current)
        self.assertEqual(current.balance_end_real, 17.0)

    def test_auto_generate_off_then_generate_button(self):
        self.provider.auto_generate = False
        self.emulator.add_transactions(self.checking["id"], transactions=[self._tx(10.0, 2), self._tx(-4.0, 1)])
        self._sync(self.journal)
        self.assertFalse(self._lines(self.journal))
        self.assertEqual(self.journal.bank_collect_pending_count, 2)
        self._sync(self.journal)
        self.assertEqual(len(self._staging(self.journal)), 2, "collected once")
        self.journal.action_bank_collect_generate()
        self.assertEqual(sorted(self._lines(self.journal).mapped("amount")), [-4.0, 10.0])
        self.assertEqual(self.journal.bank_collect_pending_count, 0)
        self.journal.action_bank_collect_generate()
        self.assertEqual(len(self._lines(self.journal)), 2, "generating again creates nothing")

    def _pending_delete(self, ignore):
        wizard = Form(self.env["bank.collect.pending.delete"].with_context(default_journal_id=self.journal.id))
        wizard.date_from = self._days_ago(10)
        wizard.date_to = self._days_ago(3)
        wizard.ignore_permanently = ignore
        wizard = wizard.save()
        self.assertEqual(wizard.transaction_count, 1)
        wizard.action_delete()

    def test_ignore_permanently(self):
        self.provider.auto_generate = False
        self.emulator.add_transactions(
            self.checking["id"], transactions=[self._tx(99.0, 5, "DOUBLON"), self._tx(1.0, 1)]
        )
        self._sync(self.journal)
        self._pending_delete(ignore=True)
        self.assertEqual(self._staging(self.journal, state="ignored").label, "DOUBLON")
        # Even a forced collection of the period never brings it back.
        self.env["bank.collect.force"].create({
            "journal_id": self.journal.id, "date_from": self._days_ago(30), "date_to": self.today,
        }).action_collect()
        self.journal.action_bank_collect_generate()
        self.assertEqual(self._lines(self.journal).mapped("amount"), [1.0])

    def test_delete_without_ignore_comes_back_with_forced_collection(self):
        self.provider.auto_generate = False
        self.emulator.add_transactions(self.checking["id"], transactions=[self._tx(99.0, 5, "A REPRENDRE")])
        self._sync(self.journal)
        self._pending_delete(ignore=False)
        self.assertFalse(self._staging(self.journal))
        self._sync(self.journal)
        self.assertFalse(self._staging(self.journal), "an incremental sync only asks for changes")
        self.env["bank.collect.force"].create({
            "journal_id": self.journal.id, "date_from": self._days_ago(30), "date_to": self.today,
        }).action_collect()
        self.assertEqual(self._staging(self.journal).label, "A REPRENDRE")

    def test_forced_collection_by_date_range(self):
        self._sync(self.journal)  # links the journal
        rows = self.emulator.add_transactions(self.checking["id"], transactions=[
            self._tx(1.0, 20), self._tx(2.0, 10), self._tx(3.0, 2),
        ])
        self.assertEqual(len(rows), 3)
        self.emulator.clear_requests()
        self.env["bank.collect.force"].create({
            "date_from": self._days_ago(15), "date_to": self._days_ago(5),
        }).action_collect()
        query = next(q for m, p, q in self.emulator.requests if p.endswith("/transactions"))
        self.assertEqual((query["min_date"], query["max_date"]), (str(self._days_ago(15)), str(self._days_ago(5))))
        self.assertEqual(self._lines(self.journal).mapped("amount"), [2.0])
        # The regular sync then brings the rest, without duplicating the forced one.
        self._sync(self.journal)
        self.assertEqual(sorted(self._lines(self.journal).mapped("amount")), [1.0, 2.0, 3.0])

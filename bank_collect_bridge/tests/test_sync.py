from odoo.tests import tagged

from .common import BankCollectCase


@tagged("post_install", "-at_install")
class TestSync(BankCollectCase):
    """Synchro of a linked journal: import, incremental pulls, updates and deletions (BC-5, BC-6)."""

    def setUp(self):
        super().setUp()
        self.iban = self._new_iban()
        self.journal = self._make_journal("Banque Demo", self.iban)
        self.item, accounts = self._add_item([
            {"name": "Compte courant", "type": "checking", "iban": self.iban, "balance": 0.0},
        ])
        self.account = accounts["Compte courant"]

    def test_first_sync_matches_iban_and_imports_lines(self):
        self.emulator.add_transactions(self.account["id"], transactions=[
            self._tx(1200.0, 10, "VIR SEPA RECU MARTIN SARL", clean_description="Virement Martin"),
            self._tx(-54.99, 5, "PRLV SEPA ORANGE SA"),
            self._tx(-18.5, 2, "FRAIS TENUE DE COMPTE"),
        ])
        result = self._sync(self.journal)
        self.assertEqual(result["type"], "success", result)
        self.assertEqual(self.journal.bank_collect_link_state, "attached")
        self.assertEqual(self.journal.bank_collect_account_ids.remote_id, str(self.account["id"]))
        lines = self._lines(self.journal)
        self.assertEqual(lines.mapped("amount"), [1200.0, -54.99, -18.5])
        self.assertEqual(lines[0].payment_ref, "VIR SEPA RECU MARTIN SARL")
        self.assertEqual(lines[0].date, self._days_ago(10))
        self.assertTrue(all(line.move_id.state == "posted" for line in lines))
        self.assertEqual(set(self._staging(self.journal).mapped("state")), {"imported"})
        self.assertEqual(self._staging(self.journal).statement_line_id, lines)
        self.assertTrue(self.journal.bank_collect_last_sync)
        self.assertFalse(self._issues(self.journal), self._issues(self.journal).mapped("detail"))

    def test_entries_numbered_as_odoo_numbers_them(self):
        # the lines are created with one look-up of the journal's last number per date: their entries
        # must get the numbers Odoo's own creation gives, after and before lines Odoo numbered
        Line = self.env["account.bank.statement.line"]
        Line.create({"journal_id": self.journal.id, "date": self._days_ago(9), "payment_ref": "SAISIE", "amount": 5.0})
        self.emulator.add_transactions(self.account["id"], transactions=[
            self._tx(10.0 + n, n % 3 + 1, f"OPERATION {n}") for n in range(6)
        ])
        self._sync(self.journal)
        last = Line.create({"journal_id": self.journal.id, "date": self.today, "payment_ref": "SAISIE", "amount": 7.0})
        moves = self._lines(self.journal).move_id
        self.assertEqual(len(moves), 8)
        for prefix, entries in moves.grouped("sequence_prefix").items():  # a new year restarts at 1
            self.assertEqual(sorted(entries.mapped("sequence_number")), list(range(1, len(entries) + 1)), prefix)
        self.assertEqual(last.move_id.sequence_number, max(
            moves.filtered(lambda m: m.sequence_prefix == last.move_id.sequence_prefix).mapped("sequence_number")
        ))
        self.assertNotIn("bank_collect_bridge.last_sequence", self.env.cr.precommit.data)

    def test_second_sync_imports_only_new_rows(self):
        self.emulator.add_transactions(self.account["id"], transactions=[self._tx(100.0, 3), self._tx(-20.0, 2)])
        self._sync(self.journal)
        self.assertEqual(len(self._lines(self.journal)), 2)
        self.emulator.clear_requests()
        self._sync(self.journal)
        self.assertEqual(len(self._lines(self.journal)), 2, "nothing new: nothing imported")
        since = [query for method, path, query in self.emulator.requests if path.endswith("/transactions")]
        self.assertTrue(since and all("since" in query for query in since), "the second pull asks only for changes")
        self.emulator.add_transactions(self.account["id"], transactions=[self._tx(42.0, 1, "REMISE CHEQUES")])
        self._sync(self.journal)
        lines = self._lines(self.journal)
        self.assertEqual(sorted(lines.mapped("amount")), [-20.0, 42.0, 100.0])
        self.assertEqual(len(self._staging(self.journal)), 3)

    def test_first_pull_bounded_by_start_date(self):
        self.emulator.add_transactions(self.account["id"], transactions=[
            self._tx(500.0, 200, "TOO OLD"), self._tx(60.0, 3, "RECENT"),
        ])
        self._sync(self.journal)
        self.assertEqual(self._lines(self.journal).mapped("payment_ref"), ["RECENT"])
        query = next(q for m, p, q in self.emulator.requests if p.endswith("/transactions"))
        self.assertEqual(query.get("min_date"), str(self.provider.sync_start_date))

    def test_updated_and_deleted_rows_follow_the_bank(self):
        first, second, third = self.emulator.add_transactions(self.account["id"], transactions=[
            self._tx(100.0, 4, "A"), self._tx(-30.0, 3, "B"), self._tx(-45.0, 2, "C"),
        ])
        self._sync(self.journal)
        self.emulator.update_transaction(first["id"], amount=110.0, provider_description="A corrected")
        self.emulator.delete_transaction(second["id"])
        result = self._sync(self.journal)
        self.assertEqual(result["type"], "success", result)
        lines = self._lines(self.journal)
        self.assertEqual(lines.mapped("payment_ref"), ["A corrected", "C"])
        self.assertEqual(lines.mapped("amount"), [110.0, -45.0])
        deleted = self._staging(self.journal, remote_id=str(second["id"]))
        self.assertEqual(deleted.state, "deleted")
        self.assertFalse(deleted.statement_line_id)
        # Collecting again changes nothing more.
        self._sync(self.journal)
        self.assertEqual(len(self._lines(self.journal)), 2)

    def test_reconciled_line_is_flagged_not_changed(self):
        (row,) = self.emulator.add_transactions(self.account["id"], transactions=[self._tx(250.0, 4, "CLIENT")])
        self._sync(self.journal)
        line = self._lines(self.journal)
        partner = self.env["res.partner"].create({"name": "Client"})
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": partner.id,
            "invoice_line_ids": [(0, 0, {"name": "Service", "quantity": 1, "price_unit": 250.0, "tax_ids": []})],
        })
        invoice.action_post()
        receivable = invoice.line_ids.filtered(lambda aml: aml.account_id.account_type == "asset_receivable")
        __, suspense, __ = line._seek_for_lines()
        line.move_id.button_draft()
        suspense.account_id = receivable.account_id
        suspense.partner_id = partner
        line.move_id.action_post()
        (suspense + receivable).reconcile()
        self.assertTrue(line.is_reconciled)
        self.emulator.update_transaction(row["id"], amount=260.0)
        self._sync(self.journal)
        self.assertEqual(line.amount, 250.0, "a reconciled line is never changed silently")
        staging = self._staging(self.journal)
        self.assertTrue(staging.to_review)
        issue = self._issues(self.journal).filtered(lambda i: i.kind == "review")
        self.assertEqual(len(issue), 1)
        self.assertIn("CLIENT", issue.detail)

    def test_future_rows_wait_until_booked(self):
        (row,) = self.emulator.add_transactions(self.account["id"], transactions=[
            self._tx(-1250.0, -3, "PRLV DGFIP TVA", future=True),
        ])
        self._sync(self.journal)
        self.assertFalse(self._lines(self.journal))
        self.assertTrue(self._staging(self.journal).future)
        self.emulator.update_transaction(row["id"], future=False, date=self._days_ago(0))
        self._sync(self.journal)
        self.assertEqual(self._lines(self.journal).mapped("amount"), [-1250.0])

    def test_balance_difference_is_recorded_then_resolved(self):
        self.emulator.add_transactions(self.account["id"], transactions=[self._tx(100.0, 3)])
        self._sync(self.journal)
        self.assertFalse(self._issues(self.journal), "balance equals the lines")
        other = self.emulator.add_item(self._user_uuid(), accounts=[
            {"name": "Autre", "type": "checking", "iban": self._new_iban(), "balance": 0.0}
        ])
        self.assertTrue(other)
        # The bank shows an older movement the journal never got: its balance differs.
        self.emulator.accounts[self.account["id"]]["opening_balance"] = 40.0
        self.emulator.add_transactions(self.account["id"], transactions=[self._tx(1.0, 1)])
        self._sync(self.journal)
        issue = self._issues(self.journal)
        self.assertEqual(issue.kind, "balance_difference")
        self.assertEqual(self.journal.bank_collect_balance_difference, 40.0)
        self.emulator.accounts[self.account["id"]]["opening_balance"] = 0.0
        self.emulator.add_transactions(self.account["id"], transactions=[self._tx(2.0, 1)])
        self._sync(self.journal)
        self.assertFalse(self._issues(self.journal))
        self.assertEqual(self._issues(self.journal, "resolved").kind, "balance_difference")

    def test_foreign_currency_row(self):
        usd = self.env.ref("base.USD")
        usd.active = True
        self.env["res.currency.rate"].create({"currency_id": usd.id, "name": self._days_ago(30), "rate": 2.0})
        self.emulator.add_transactions(self.account["id"], transactions=[
            self._tx(-30.0, 2, "AMAZON US", currency_code="USD"),
        ])
        self._sync(self.journal)
        line = self._lines(self.journal)
        self.assertEqual(line.foreign_currency_id, usd)
        self.assertEqual(line.amount_currency, -30.0)
        self.assertEqual(line.amount, -15.0, "converted at the company rate of the day")

    def test_dashboard_card_shows_the_last_collection(self):
        self.emulator.add_transactions(self.account["id"], transactions=[self._tx(100.0, 3)])
        self._sync(self.journal)
        data = self.journal._get_journal_dashboard_data_batched()[self.journal.id]
        self.assertEqual(data["bank_statements_source"], "bank_collect")
        self.assertTrue(data["bank_collect_last_sync"])
        self.assertFalse(data["bank_collect_last_error"])
        self.emulator.set_item_status(self.item["id"], 1003)
        self._sync(self.journal)
        data = self.journal._get_journal_dashboard_data_batched()[self.journal.id]
        self.assertIn("could not be reached", data["bank_collect_last_error"])

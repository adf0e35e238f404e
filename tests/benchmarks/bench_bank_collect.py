"""Bridge collection bars of QUALITY.md, measured against Odoo's own floor in the same run.

- first collection of 10,000 transactions over 3 accounts, started by «Synchro» (the button's
  action, ``action_bank_collect_sync``) and carried on by the background job until every journal
  reports done: HTTP to the emulator, staging with dedup, statement lines, statements; ratio <= 0.6
  against Odoo's plain batched ``account.bank.statement.line.create`` of the same 10,000 lines;
- a second Synchro with nothing new: <= 2 s;
- HTTP requests of one collection: <= ceil(N / 500) + 3 per account;
- peak memory of the collection, printed: Python allocations traced by tracemalloc during a second,
  untimed run of the same first collection (tracing slows Python down, so the timed run is not
  traced), and the process's peak resident size. It must not grow with the rows: one page of rows
  and one batch of lines at a time.

Where a worker commits after each chunk (``_bank_collect_commit``), the benchmark flushes and
empties the ORM cache as a commit does, without committing (the test transaction is rolled back).

    KEEP_DB=1 TEST_DB=bench_engine TEST_PORT=8090 TEST_ADDONS=bank_collect_bridge SKIP_LINT=1 \
        setup/test.sh tests/benchmarks/bench_bank_collect.py -o python_files='bench_*.py' -s

BENCH_BANK_COLLECT_TRANSACTIONS=30000 sets another number of transactions; with
``-k memory`` only the memory run is made (no floor), e.g. to show that memory does not grow
with the rows.
"""
import math
import os
import resource
import time
import tracemalloc
from unittest.mock import patch

from odoo.tests import TransactionCase, tagged

from odoo.addons.bank_collect_bridge.bridge.emulator import BridgeEmulator, french_iban

TRANSACTIONS = int(os.environ.get("BENCH_BANK_COLLECT_TRANSACTIONS", "10000"))
ACCOUNTS = 3
NOTHING_NEW_BAR_SECONDS = 2.0
RATIO_BAR = 0.6


@tagged("post_install", "-at_install")
class BenchBankCollect(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = BridgeEmulator().start()
        cls.addClassCleanup(cls.emulator.stop)
        company = cls.env.company
        cls.env["bank.collect.provider"].search([("company_id", "=", company.id)]).active = False
        today = cls.env.cr.now().date()
        provider = cls.env["bank.collect.provider"].create({
            "company_id": company.id, "environment": "emulator", "api_url": cls.emulator.url,
            "client_id": cls.emulator.client_id, "client_secret": cls.emulator.client_secret,
            "sync_start_date": today.replace(year=today.year - 1),
        })
        owner = cls.env["res.partner"].create({"name": "Bench owner", "email": "bench@example.com"})
        ibans = [french_iban(14508, 77, 90000000 + n) for n in range(ACCOUNTS)]
        item = cls.emulator.add_item(provider._bank_collect_ensure_user(owner), accounts=[
            {"name": f"Compte {n}", "type": "checking", "iban": iban, "balance": 0.0} for n, iban in enumerate(ibans)
        ])
        cls.journals = cls.env["account.journal"]
        per_account = math.ceil(TRANSACTIONS / ACCOUNTS)
        cls.counts = []
        for n, (iban, account) in enumerate(zip(ibans, item["accounts"], strict=True)):
            count = min(per_account, TRANSACTIONS - per_account * n)
            cls.counts.append(count)
            cls.emulator.add_transactions(account["id"], count=count, start_date=today.replace(year=today.year - 1),
                                          end_date=today, seed=n)
            journal = cls.env["account.journal"].create({
                "name": f"Bench collect {n}", "type": "bank", "code": f"BCB{n}",
                "bank_statements_source": "bank_collect", "bank_collect_partner_id": owner.id,
                "bank_account_id": cls.env["res.partner.bank"].create(
                    {"acc_number": iban, "partner_id": company.partner_id.id}).id,
            })
            journal._bank_collect_prepare_connection(provider)  # links the journal (IBAN match)
            cls.journals |= journal
        cls.floor_journal = cls.env["account.journal"].create({"name": "Bench floor", "type": "bank", "code": "BCBF"})
        cls.floor_rows = list(cls.emulator.transactions.values())

    def _synchro_until_done(self):
        """«Synchro» on every journal, then the background job until every journal reports done,
        as the cron and its own triggers would run it. Returns the Synchro notifications."""
        Journal = self.env["account.journal"]

        def commit(journals):  # what a worker's commit does to memory, without committing
            journals.env.flush_all()
            journals.env.invalidate_all()

        with patch.object(type(Journal), "_bank_collect_commit", commit):
            clicks = [journal.action_bank_collect_sync()["params"] for journal in self.journals]
            for _run in range(1000):
                if not Journal._bank_collect_background_journals():
                    break
                Journal._cron_bank_collect_background()
            self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(set(self.journals.mapped("bank_collect_progress_state")), {"done"})
        return clicks

    def _lines_count(self):
        return self.env["account.bank.statement.line"].search_count([("journal_id", "in", self.journals.ids)])

    def test_collection_10000_transactions(self):
        self.env.flush_all()
        # Odoo's floor: the same lines in one plain batched create.
        floor_vals = [{
            "journal_id": self.floor_journal.id, "date": tx["date"], "payment_ref": tx["provider_description"],
            "amount": tx["amount"],
        } for tx in self.floor_rows]
        started = time.perf_counter()
        self.env["account.bank.statement.line"].create(floor_vals)
        self.env.flush_all()
        floor_seconds = time.perf_counter() - started
        del floor_vals
        self.env.invalidate_all()

        self.emulator.clear_requests()
        started = time.perf_counter()
        clicks = self._synchro_until_done()
        collect_seconds = time.perf_counter() - started
        self.assertEqual([click["title"] for click in clicks], ["Collection started"] * ACCOUNTS, clicks)
        transaction_pages = self.emulator.count_requests("GET", r"/transactions$")
        total_requests = self.emulator.count_requests()
        self.assertEqual(self._lines_count(), TRANSACTIONS)
        self.assertFalse(self.env["bank.collect.issue"].search([("journal_id", "in", self.journals.ids)]))

        self.emulator.clear_requests()
        started = time.perf_counter()
        clicks = [journal.action_bank_collect_sync()["params"] for journal in self.journals]
        self.env.flush_all()
        nothing_new_seconds = time.perf_counter() - started
        self.assertEqual([click["title"] for click in clicks], ["Bank collection done"] * ACCOUNTS, clicks)
        self.assertEqual(self.journals.mapped("bank_collect_progress_new"), [0] * ACCOUNTS)
        self.assertEqual(self._lines_count(), TRANSACTIONS)
        second_requests = self.emulator.count_requests()

        ratio = collect_seconds / floor_seconds
        request_bars = [math.ceil(count / 500) + 3 for count in self.counts]
        print(
            f"\n[bench bank_collect] first collection of {TRANSACTIONS} transactions over {ACCOUNTS} accounts, "
            f"Synchro then background chunks: {collect_seconds:.1f} s ({TRANSACTIONS / collect_seconds:.0f} lines/s); "
            f"Odoo batched create of the same lines: {floor_seconds:.1f} s ({TRANSACTIONS / floor_seconds:.0f} "
            f"lines/s); ratio {ratio:.2f} (bar {RATIO_BAR})"
            f"\n[bench bank_collect] second Synchro, nothing new: {nothing_new_seconds:.2f} s "
            f"(bar {NOTHING_NEW_BAR_SECONDS} s), {second_requests} HTTP requests"
            f"\n[bench bank_collect] HTTP requests of the first collection: {total_requests} in all, "
            f"{transaction_pages} of them transaction pages; bar ceil(N/500)+3 per account: {request_bars}"
        )
        self.assertLessEqual(total_requests, sum(request_bars))
        self.assertLessEqual(nothing_new_seconds, NOTHING_NEW_BAR_SECONDS)
        self.assertLessEqual(ratio, RATIO_BAR)

    def test_collection_memory(self):
        self.env.flush_all()
        self.env.invalidate_all()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            self._synchro_until_done()
            peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.assertEqual(self._lines_count(), TRANSACTIONS)
        print(
            f"\n[bench bank_collect] memory of the first collection of {TRANSACTIONS} transactions: peak Python "
            f"allocations {peak / 2**20:.1f} MiB above the start (tracemalloc); process peak resident size "
            f"{rss_after / 1024:.0f} MiB ({(rss_after - rss_before) / 1024:.0f} MiB more than before it)"
        )

"""Bridge collection speed bars of QUALITY.md, measured against Odoo's own floor in the same run.

- collection of 10,000 transactions over 3 accounts (HTTP to the emulator, staging with dedup,
  statement lines, statements): ratio <= 1.0 against Odoo's plain batched
  `account.bank.statement.line.create` of the same 10,000 lines;
- a second collection with nothing new: <= 2 s;
- HTTP requests of one collection: <= ceil(N / 500) + 3 per account.

    KEEP_DB=1 TEST_DB=bct_core TEST_ADDONS=bank_collect_bridge \
        setup/test.sh tests/benchmarks/bench_bank_collect.py -o python_files='bench_*.py' -s
"""
import math
import os
import time

from odoo.tests import TransactionCase, tagged

from odoo.addons.bank_collect_bridge.bridge.emulator import BridgeEmulator, french_iban

TRANSACTIONS = int(os.environ.get("BENCH_BANK_COLLECT_TRANSACTIONS", "10000"))
ACCOUNTS = 3
NOTHING_NEW_BAR_SECONDS = 2.0
RATIO_BAR = 1.0


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

        self.emulator.clear_requests()
        started = time.perf_counter()
        results = [journal._bank_collect_run() for journal in self.journals]
        self.env.flush_all()
        collect_seconds = time.perf_counter() - started
        self.assertTrue(all(result["ok"] for result in results), results)
        transaction_pages = self.emulator.count_requests("GET", r"/transactions$")
        total_requests = self.emulator.count_requests()
        lines = self.env["account.bank.statement.line"].search_count([("journal_id", "in", self.journals.ids)])
        self.assertEqual(lines, TRANSACTIONS)

        self.emulator.clear_requests()
        started = time.perf_counter()
        results = [journal._bank_collect_run() for journal in self.journals]
        self.env.flush_all()
        nothing_new_seconds = time.perf_counter() - started
        self.assertTrue(all(result["ok"] and result["new"] == 0 for result in results), results)
        second_requests = self.emulator.count_requests()

        ratio = collect_seconds / floor_seconds
        request_bars = [math.ceil(count / 500) + 3 for count in self.counts]
        print(
            f"\n[bench bank_collect] collection of {TRANSACTIONS} transactions over {ACCOUNTS} accounts: "
            f"{collect_seconds:.1f} s ({TRANSACTIONS / collect_seconds:.0f} lines/s); Odoo batched create of the "
            f"same lines: {floor_seconds:.1f} s ({TRANSACTIONS / floor_seconds:.0f} lines/s); ratio {ratio:.2f} "
            f"(bar {RATIO_BAR})"
            f"\n[bench bank_collect] second collection, nothing new: {nothing_new_seconds:.2f} s "
            f"(bar {NOTHING_NEW_BAR_SECONDS} s), {second_requests} HTTP requests"
            f"\n[bench bank_collect] HTTP requests of the first collection: {total_requests} in all, "
            f"{transaction_pages} of them transaction pages; bar ceil(N/500)+3 per account: {request_bars}"
        )
        self.assertLessEqual(total_requests, sum(request_bars))
        self.assertLessEqual(nothing_new_seconds, NOTHING_NEW_BAR_SECONDS)
        self.assertLessEqual(ratio, RATIO_BAR)

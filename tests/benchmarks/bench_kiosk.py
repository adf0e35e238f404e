"""Kiosk exchange speed bars of QUALITY.md, against a real local sshd.

- customers export, 50,000 customers: <= 20 s (file built, uploaded over SFTP, kept as attachment);
- payments import, 10,000 lines: ratio <= 1.0 against Odoo's own batched create of the same 10,000
  draft payments, measured in the same run.

    KEEP_DB=1 TEST_DB=bct_kiosk TEST_ADDONS=pos_kiosk_connectic \
        setup/test.sh tests/benchmarks/bench_kiosk.py -o python_files='bench_*.py' -s
"""
import time
from datetime import datetime
from decimal import Decimal

from odoo.tests import TransactionCase, tagged

from odoo.addons.pos_kiosk_connectic.kiosk import files
from odoo.addons.pos_kiosk_connectic.kiosk.sshd import LocalSftpServer

CUSTOMERS = 50_000
PAYMENTS = 10_000
INVOICES = 200
EXPORT_BAR_SECONDS = 20.0


@tagged("post_install", "-at_install")
class BenchKiosk(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = LocalSftpServer().start()
        cls.addClassCleanup(cls.server.cleanup)
        company = cls.env.company
        journals = cls.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "in", ("cash", "bank"))]
        )
        cls.kiosk = cls.env["connectic.kiosk"].create({
            "company_id": company.id, "sftp_host": "127.0.0.1", "sftp_port": cls.server.port,
            "sftp_user": cls.server.user, "sftp_private_key": cls.server.client_private_key,
            "sftp_host_key": cls.server.host_key, "entity_code": "G001",
            "journal_cash_id": journals.filtered(lambda j: j.type == "cash")[:1].id,
            "journal_card_id": journals.filtered(lambda j: j.type == "bank")[:1].id,
        })
        # Setup data only (not measured): customers inserted in one statement, some of them owing money.
        cls.env.cr.execute("""
            INSERT INTO res_partner (name, complete_name, ref, street, zip, city, active, type, is_company,
                                     autopost_bills, create_date, write_date)
            SELECT 'BENCH Customer ' || n, 'BENCH Customer ' || n, 'BENCH' || lpad(n::text, 6, '0'),
                   n || ' rue des Carmes', '54000', 'Nancy', true, 'contact', false, 'ask', now(), now()
              FROM generate_series(1, %s) n
        """, (CUSTOMERS,))
        cls.env.cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE ref LIKE 'BENCH%%'")
        cls.env.invalidate_all()
        partners = cls.env["res.partner"].search([("ref", "=like", "BENCH%")], order="ref")
        cls.partners = partners
        invoices = cls.env["account.move"].create([{
            "move_type": "out_invoice", "partner_id": partner.id,
            "invoice_line_ids": [(0, 0, {"name": "Loyer", "quantity": 1, "price_unit": 100 + index, "tax_ids": []})],
        } for index, partner in enumerate(partners[:INVOICES])])
        invoices.action_post()

    def _payment_rows(self):
        moment = datetime(2026, 11, 20, 18, 0, 0)
        return [{
            "transaction_id": f"BENCH-{index:06d}", "kiosk_id": "NANCY-01", "paid_at": moment, "entity": "G001",
            "account_ref": partner.ref, "name": partner.name, "amount": Decimal(10 + index % 90),
            "currency": "EUR", "method": ("CASH", "CARD")[index % 2],
        } for index, partner in enumerate(self.partners[:PAYMENTS])]

    def test_export_50000_customers(self):
        started = time.perf_counter()
        self.kiosk.action_export_customers()
        elapsed = time.perf_counter() - started
        [name] = self.server.list("outbound")
        with open(self.server.path("outbound", name), "rb") as handle:
            lines = handle.read().count(b"\n")
        print(f"\n[bench] kiosk export: {lines - 1} customers in {elapsed:.2f} s (bar {EXPORT_BAR_SECONDS:.0f} s)")
        self.assertGreaterEqual(lines - 1, CUSTOMERS)
        self.assertLessEqual(elapsed, EXPORT_BAR_SECONDS)

    def test_import_10000_payments_against_batched_create(self):
        rows = self._payment_rows()
        data = files.write_payments(rows)
        with open(self.server.path("inbound", files.payments_file_name("NANCY-01", rows[0]["paid_at"])), "wb") as f:
            f.write(data)
        kiosk = self.kiosk
        memo = "Kiosk %(kiosk)s, transaction %(transaction)s"
        vals_list = [{
            "payment_type": "inbound", "partner_type": "customer", "partner_id": partner.id,
            "amount": float(row["amount"]), "currency_id": self.env.company.currency_id.id,
            "date": row["paid_at"].date(), "company_id": self.env.company.id,
            "journal_id": (kiosk.journal_cash_id if row["method"] == "CASH" else kiosk.journal_card_id).id,
            "memo": memo % {"kiosk": row["kiosk_id"], "transaction": row["transaction_id"]},
        } for row, partner in zip(rows, self.partners, strict=False)]
        self.env.flush_all()

        started = time.perf_counter()
        floor = self.env["account.payment"].create(vals_list)
        self.env.flush_all()
        floor_time = time.perf_counter() - started
        self.assertEqual(len(floor), PAYMENTS)
        self.env.invalidate_all()

        started = time.perf_counter()
        kiosk.action_import_payments()
        self.env.flush_all()
        import_time = time.perf_counter() - started
        imported = self.env["account.payment"].search_count([("connectic_kiosk_id", "=", kiosk.id)])
        self.assertEqual(imported, PAYMENTS)
        ratio = import_time / floor_time
        print(f"\n[bench] kiosk import: {PAYMENTS} lines in {import_time:.2f} s (download, checks, create, archive); "
              f"Odoo batched create of the same payments {floor_time:.2f} s; ratio {ratio:.2f} (bar 1.00)")
        self.assertLessEqual(ratio, 1.0)

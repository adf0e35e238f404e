"""Nightly import of payments files over real SFTP (PK-3, PK-4, PK-5, PK-6)."""
import base64
import os
import subprocess
import sys
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.pos_kiosk_connectic.kiosk import files, simulator
from odoo.addons.pos_kiosk_connectic.kiosk.sftp import KioskSftp
from odoo.addons.pos_kiosk_connectic.models.connectic_kiosk import IMPORT_LOCK_NAMESPACE

from .common import KioskCase

NAME = "payments_NANCY-01_20190810_220000.csv"


@tagged("post_install", "-at_install")
class TestKioskImport(KioskCase):

    def import_now(self):
        self.kiosk.action_import_payments()
        return self.env["connectic.kiosk.file"].search([("kiosk_id", "=", self.kiosk.id)], order="id")

    def test_export_then_import_round_trip(self):
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.mariton.id,
            "invoice_line_ids": [
                (0, 0, {"name": "Loyer 4e trimestre", "quantity": 1, "price_unit": 3817.83, "tax_ids": []}),
            ],
        })
        invoice.action_post()
        self.kiosk.action_export_customers()
        # The kiosk (a second SFTP client) reads the customers file and pays what is due.
        with KioskSftp("127.0.0.1", self.server.port, self.server.user, self.server.host_key,
                       private_key=self.server.client_private_key) as kiosk_client:
            path, rows = simulator.run(kiosk_client, kiosk_id="NANCY-01")
        self.assertEqual(
            [(r["account_ref"], r["amount"]) for r in rows], [("81MARITON", files.parse_amount("3817,83"))]
        )
        name = path.rsplit("/", 1)[1]

        kiosk_file = self.import_now()
        self.assertEqual(kiosk_file.state, "imported")
        payment = self.kiosk_payments()
        self.assertRecordValues(payment, [{
            "state": "draft", "payment_type": "inbound", "partner_id": self.mariton.id, "amount": 3817.83,
            "journal_id": self.cash_journal.id, "connectic_transaction_id": rows[0]["transaction_id"],
            "connectic_file_id": kiosk_file.id, "connectic_method": "cash", "connectic_user_id": False,
            "connectic_journal_to_check": False,
        }])
        self.assertIn("NANCY-01", payment.memo)
        self.assertIn(rows[0]["transaction_id"], payment.memo)
        self.assertEqual(self.server.list("inbound"), [])
        self.assertEqual(self.server.list("archive"), [name])
        self.assertEqual(kiosk_file.remote_path, f"archive/{name}")
        self.assertEqual(kiosk_file.attachment_id.raw, open(self.server.path("archive", name), "rb").read())
        # Odoo's own posting settles the customer's balance.
        payment.action_connectic_post()
        self.assertIn(payment.state, ("in_process", "paid"))

    def test_contract_example_imports_with_journals_by_method(self):
        self.drop(NAME, self.example_file())
        kiosk_file = self.import_now()
        self.assertRecordValues(kiosk_file, [{"state": "imported", "line_count": 2, "amount_total": 980.0}])
        payments = self.kiosk_payments().sorted("connectic_transaction_id")
        self.assertEqual(payments.mapped("journal_id"), self.cash_journal | self.bank_journal)
        self.assertEqual(payments.mapped("partner_id"), self.mariton | self.rolin)
        self.assertEqual(str(payments[0].date), "2019-08-10")

    def test_receipts_match_what_odoo_creates(self):
        """The importer spares Odoo's per-payment account lookup: the accounts must not differ."""
        self.drop(NAME, self.example_file())
        self.import_now()
        for imported in self.kiosk_payments():
            reference = self.env["account.payment"].create({
                "payment_type": "inbound", "partner_type": "customer", "partner_id": imported.partner_id.id,
                "amount": imported.amount, "journal_id": imported.journal_id.id,
            })
            fields = ["outstanding_account_id", "destination_account_id", "payment_method_line_id", "currency_id"]
            self.assertEqual(imported.read(fields)[0] | {"id": 0}, reference.read(fields)[0] | {"id": 0})
            self.assertTrue(imported.outstanding_account_id)

    def test_notification_sent_to_the_group(self):
        self.drop(NAME, self.example_file())
        kiosk_file = self.import_now()
        message = kiosk_file.message_ids.filtered(lambda m: self.notified.partner_id in m.partner_ids)
        self.assertEqual(len(message), 1)
        self.assertIn("2 receipts", message.body)
        self.assertIn("980.00", message.body)
        self.assertTrue(message.notification_ids.filtered(lambda n: n.res_partner_id == self.notified.partner_id))

    def assert_rejected(self, data, expected_lines):
        self.drop(NAME, data)
        kiosk_file = self.import_now()
        self.assertEqual(kiosk_file.state, "rejected")
        self.assertFalse(self.kiosk_payments(), "a file with a bad line imports nothing")
        self.assertEqual(self.server.list("inbound"), [])
        self.assertEqual(self.server.list("error"), [NAME, NAME + ".errors.txt"])
        with open(self.server.path("error", NAME + ".errors.txt"), encoding="utf-8") as handle:
            report = handle.read()
        for expected in expected_lines:
            self.assertIn(expected, report)
        self.assertEqual(report, kiosk_file.error_report)
        message = kiosk_file.message_ids.filtered(lambda m: self.notified.partner_id in m.partner_ids)
        self.assertIn("rejected", message.body)
        return report

    def test_invalid_files_rejected_whole_with_report(self):
        good = self.payment_row
        cases = {
            "missing trailer": (self.example_file().replace(b"END;2;980,00\n", b""),
                                ["Line 4: the END trailer line is missing"]),
            "wrong trailer": (self.example_file().replace(b"END;2;980,00", b"END;2;981,00"),
                              ["Line 4, column sum: the trailer total 981,00 differs"]),
            "unknown customer": (files.write_payments([good(), good("K1-2", account_ref="99NOBODY")]),
                                 ["Line 3, column account_ref: no customer of the company has the reference 99NOBODY"]),
            "wrong entity": (files.write_payments([good(entity="G002")]), ["Line 2, column entity"]),
            "wrong currency": (files.write_payments([good(currency="USD")]), ["Line 2, column currency"]),
            "bad amount": (self.example_file().replace(b"650,00;EUR", b"650.00;EUR"),
                           ["Line 3, column amount: invalid amount 650.00"]),
            "zero amount": (files.write_payments([good(), good("K1-2", amount="0")]),
                            ["Line 3, column amount: the amount 0,00 must be greater than zero"]),
            "unknown method": (files.write_payments([good(method="BITCOIN")]),
                               ["Line 2, column method: unknown payment method BITCOIN"]),
            "duplicate in file": (files.write_payments([good(), good()]),
                                  ["Line 3, column transaction_id: transaction K1-000123 already appears on line 2"]),
            "bad date": (files.write_payments([good(paid_at="2019-13-01T10:00:00")]), ["Line 2, column paid_at"]),
            "bad encoding": (self.example_file().replace(b"ROLIN Marie", "RÔLIN".encode("latin-1")),
                             ["Line 3: the file is not UTF-8 text"]),
            "empty file": (b"", ["File: the file is empty"]),
        }
        for label, (data, expected) in cases.items():
            with self.subTest(label), self.env.cr.savepoint(flush=False) as savepoint:
                self.assert_rejected(data, expected)
                savepoint.rollback()
            self.setUp()

    def test_transaction_already_imported_rejects_the_next_file(self):
        self.drop(NAME, self.example_file())
        self.import_now()
        second = files.write_payments([self.payment_row("K1-000999"), self.payment_row("K1-000124", "81ROLINMAR")])
        other_name = "payments_NANCY-01_20190811_220000.csv"
        self.drop(other_name, second)
        result = self.kiosk.action_import_payments()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn(f"{other_name}: Rejected", result["params"]["message"])
        kiosk_file = self.env["connectic.kiosk.file"].search([("name", "=", other_name)])
        self.assertEqual(kiosk_file.state, "rejected")
        self.assertIn("Line 3, column transaction_id: transaction K1-000124 was already imported",
                      kiosk_file.error_report)
        self.assertEqual(len(self.kiosk_payments()), 2)
        self.assertEqual(self.server.list("error"), [other_name, other_name + ".errors.txt"])

    def test_same_file_twice_imports_once(self):
        self.drop(NAME, self.example_file())
        self.import_now()
        self.drop(NAME, self.example_file())  # dropped again by the kiosk
        first, second = self.import_now()
        self.assertEqual(second.state, "duplicate")
        self.assertEqual(second.duplicate_of_id, first)
        self.assertEqual(len(self.kiosk_payments()), 2)
        self.assertEqual(self.server.list("archive"), ["payments_NANCY-01_20190810_220000.1.csv", NAME],
                         "nothing is overwritten nor deleted on the server")

    def test_file_already_imported_is_notified(self):
        """The README promises the group hears of a file found already imported, as of the others."""
        self.drop(NAME, self.example_file())
        self.import_now()
        self.drop(NAME, self.example_file())
        __, second = self.import_now()
        self.assertEqual(second.state, "duplicate")
        message = second.message_ids.filtered(lambda m: self.notified.partner_id in m.partner_ids)
        self.assertEqual(len(message), 1)
        self.assertIn("already imported", message.body)
        self.assertIn(NAME, message.body)
        self.assertTrue(message.notification_ids.filtered(lambda n: n.res_partner_id == self.notified.partner_id))

    def test_crash_between_commit_and_archive_move_does_not_import_twice(self):
        self.drop(NAME, self.example_file())
        self.kiosk.path_archive = "archive_gone"  # the move after the commit fails
        try:
            self.kiosk.action_import_payments()
        except UserError as error:  # no assertRaises: it would roll back what the import committed
            self.assertIn("archive_gone", str(error))
        else:
            self.fail("the failed move must be reported")
        self.assertEqual(len(self.kiosk_payments()), 2)
        self.assertEqual(self.server.list("inbound"), [NAME])
        self.kiosk.path_archive = "archive"
        files_seen = self.import_now()
        self.assertEqual(files_seen.mapped("state"), ["imported", "duplicate"])
        self.assertEqual(len(self.kiosk_payments()), 2)
        self.assertEqual(self.server.list("inbound"), [])
        self.assertEqual(self.server.list("archive"), [NAME])

    def test_file_taken_away_after_listing_is_skipped(self):
        # another process (the kiosk operator, a second Odoo) removes a file between our listing and
        # our read: the run imports what is still there and does not fail
        other = "payments_NANCY-01_20190810_230000.csv"
        self.drop(NAME, self.example_file())
        self.drop(other, files.write_payments([self.payment_row("K1-000200", amount="15.00")]))
        list_files = KioskSftp.list_files

        def list_then_take_away(client, folder):
            names = list_files(client, folder)
            os.remove(self.server.path("inbound", NAME))
            return names

        with patch.object(KioskSftp, "list_files", list_then_take_away):
            seen = self.import_now()
        self.assertEqual(seen.mapped("name"), [other])
        self.assertEqual(self.kiosk_payments().mapped("amount"), [15.0])
        self.assertEqual(self.server.list("archive"), [other])
        self.assertFalse(self.kiosk.last_error)

    def test_unmapped_method_waits_for_a_journal_before_posting(self):
        self.drop(NAME, files.write_payments([self.payment_row(method="CHEQUE")]))
        self.import_now()
        payment = self.kiosk_payments()
        self.assertTrue(payment.connectic_journal_to_check)
        with self.assertRaisesRegex(UserError, "Choose the journal"):
            payment.action_connectic_post()
        payment.journal_id = self.bank_journal
        self.assertFalse(payment.connectic_journal_to_check)
        payment.action_connectic_post()
        self.assertNotEqual(payment.state, "draft")

    def test_ignores_other_files(self):
        self.drop(".payments_NANCY-01_20190810_220000.csv.part", b"partial")
        self.drop("readme.txt", b"x")
        self.assertFalse(self.import_now())
        self.assertEqual(self.server.list("inbound"),
                         [".payments_NANCY-01_20190810_220000.csv.part", "readme.txt"])

    def test_manual_import_wizard_and_record_rule(self):
        clerk = new_test_user(self.env, login="pk_clerk", groups="account.group_account_invoice")
        supervisor = new_test_user(self.env, login="pk_supervisor",
                                   groups="account.group_account_invoice,pos_kiosk_connectic.group_kiosk_all_receipts")
        self.drop(NAME, self.example_file())
        self.import_now()  # nightly import: belongs to no user
        wizard = self.env["connectic.kiosk.import.wizard"].with_user(clerk).create({
            "file": base64.b64encode(files.write_payments([self.payment_row("K2-1")])),
            "filename": "payments_NANCY-01_20190812_100000.csv",
        })
        wizard.action_import()
        self.assertEqual(wizard.result_file_id.state, "imported")
        Payment = self.env["account.payment"]
        domain = [("connectic_kiosk_id", "=", self.kiosk.id)]
        self.assertEqual(Payment.with_user(clerk).search(domain).mapped("connectic_transaction_id"), ["K2-1"])
        self.assertEqual(len(Payment.with_user(supervisor).search(domain)), 3)
        nightly = self.kiosk_payments().filtered(lambda p: not p.connectic_user_id)[:1]
        with self.assertRaises(AccessError):
            nightly.with_user(clerk).read(["amount"])

    def test_manual_import_rejects_bad_file_with_report(self):
        wizard = self.env["connectic.kiosk.import.wizard"].create({
            "file": base64.b64encode(files.write_payments([self.payment_row(method="GOLD")])),
            "filename": "payments_X.csv",
        })
        wizard.action_import()
        self.assertEqual(wizard.result_state, "rejected")
        self.assertIn("Line 2, column method", wizard.result_report)
        self.assertFalse(self.kiosk_payments())
        self.assertEqual(self.server.list("error"), [], "a manual upload never touches the server")


@tagged("post_install", "-at_install")
class TestKioskImportConcurrency(KioskCase):

    def test_second_worker_waits_for_the_running_import(self):
        self.drop(NAME, self.example_file())
        with self.env.registry.cursor() as other_worker:
            other_worker.execute("SELECT pg_try_advisory_lock(%s, %s)", (IMPORT_LOCK_NAMESPACE, self.kiosk.id))
            self.assertTrue(other_worker.fetchone()[0])
            with self.assertRaisesRegex(UserError, "already running"):
                self.kiosk.action_import_payments()
            other_worker.execute("SELECT pg_advisory_unlock(%s, %s)", (IMPORT_LOCK_NAMESPACE, self.kiosk.id))
        self.assertEqual(self.server.list("inbound"), [NAME])
        self.kiosk.action_import_payments()
        self.assertEqual(len(self.kiosk_payments()), 2)

    def test_simulator_command_line(self):
        self.kiosk.action_export_customers()
        self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.rolin.id,
            "invoice_line_ids": [(0, 0, {"name": "Loyer", "quantity": 1, "price_unit": 650, "tax_ids": []})],
        }).action_post()
        self.kiosk.action_export_customers()
        host_key_file = self.server.host_key_path + ".pub"
        result = subprocess.run(
            [sys.executable, simulator.__file__, "--port", str(self.server.port), "--user", self.server.user,
             "--key", self.server.client_key_path, "--host-key", host_key_file, "--kiosk-id", "METZ-02"],
            capture_output=True, text=True, timeout=60, check=False,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        [name] = self.server.list("inbound")
        self.assertTrue(name.startswith("payments_METZ-02_"))
        kiosk_file = self.kiosk._import_remote_files()
        self.assertEqual(kiosk_file.state, "imported")
        self.assertRecordValues(self.kiosk_payments(), [{"partner_id": self.rolin.id, "amount": 650.0}])

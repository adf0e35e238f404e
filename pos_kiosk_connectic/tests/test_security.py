"""Attacks from the security review, each performed as the attacking role over HTTP/JSON-RPC, and the
robustness holes found with them: after each, the database (and the SFTP server) shows that nothing
changed or leaked."""
import base64
import importlib.util
import os
import re
import shutil
from contextlib import closing
from unittest.mock import patch

import paramiko

from odoo.sql_db import db_connect
from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged

from odoo.addons.pos_kiosk_connectic.kiosk import files
from odoo.addons.pos_kiosk_connectic.kiosk.sftp import KioskSftp
from odoo.addons.pos_kiosk_connectic.kiosk.sshd import KIOSK_FOLDERS, LocalSftpServer
from odoo.addons.pos_kiosk_connectic.models.connectic_kiosk import IMPORT_LOCK_NAMESPACE, ConnecticKiosk

from .common import KioskCase

NAME = "payments_NANCY-01_20190810_220000.csv"
OTHER_NAME = "payments_NANCY-01_20190811_220000.csv"
KIOSK_LOGGER = "odoo.addons.pos_kiosk_connectic.models.connectic_kiosk"
MIGRATION = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "migrations", "18.0.1.1.0", "pre-migrate.py")


@tagged("post_install", "-at_install")
class TestKioskSecurity(KioskCase, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.employee = new_test_user(cls.env, login="pk_employee", groups="base.group_user")
        cls.clerk = new_test_user(cls.env, login="pk_sec_clerk", groups="account.group_account_invoice")
        # A second company (French chart) with its own kiosk on its own SFTP server.
        cls.company_b = cls.env["res.company"].create({
            "name": "Agence de Metz", "country_id": cls.env.ref("base.fr").id,
            "currency_id": cls.env.ref("base.EUR").id,
        })
        cls.env["account.chart.template"].try_loading("fr", cls.company_b, install_demo=False)
        cls.server_b = LocalSftpServer().start()
        cls.addClassCleanup(cls.server_b.cleanup)
        cash_b = cls.env["account.journal"].search([("company_id", "=", cls.company_b.id), ("type", "=", "cash")],
                                                   limit=1)
        cls.kiosk_b = cls.env["connectic.kiosk"].create({
            "name": "Metz kiosk", "company_id": cls.company_b.id, "sftp_host": "127.0.0.1",
            "sftp_port": cls.server_b.port, "sftp_user": cls.server_b.user,
            "sftp_private_key": cls.server_b.client_private_key, "sftp_host_key": cls.server_b.host_key,
            "entity_code": "G002", "journal_cash_id": cash_b.id, "journal_card_id": cash_b.id,
        })
        company_b_only = {"company_id": cls.company_b.id, "company_ids": [(6, 0, cls.company_b.ids)]}
        cls.clerk_b = new_test_user(cls.env, login="pk_clerk_b", groups="account.group_account_invoice",
                                    **company_b_only)
        cls.admin_b = new_test_user(cls.env, login="pk_admin_b", groups="base.group_system", **company_b_only)
        cls.notified.company_ids |= cls.company_b

    def setUp(self):
        super().setUp()
        for folder in KIOSK_FOLDERS:
            shutil.rmtree(self.server_b.path(folder))
            os.makedirs(self.server_b.path(folder))

    # -- helpers -------------------------------------------------------------------------------
    def call(self, model, method, *args, **kwargs):
        """JSON-RPC call_kw as the authenticated user, as the web client and integrators do."""
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs,
        })

    def kiosk_files(self, kiosk=None):
        self.env.invalidate_all()
        return self.env["connectic.kiosk.file"].search([("kiosk_id", "=", (kiosk or self.kiosk).id)], order="id")

    def payments_of(self, kiosk):
        self.env.invalidate_all()
        return self.env["account.payment"].search([("connectic_kiosk_id", "=", kiosk.id)])

    def wizard_import(self, kiosk, data, name=NAME, companies=None):
        """The logged-in user uploads a payments file in the wizard, over JSON-RPC."""
        context = {"allowed_company_ids": (companies or kiosk.company_id).ids}
        wizard_id = self.call("connectic.kiosk.import.wizard", "create",
                              {"kiosk_id": kiosk.id, "file": base64.b64encode(data).decode(), "filename": name},
                              context=context)
        return self.call("connectic.kiosk.import.wizard", "action_import", [wizard_id], context=context)

    def lock_is_free(self, kiosk):
        """Whether another worker (its own database connection) could take the kiosk's import lock now."""
        with closing(db_connect(self.env.cr.dbname).cursor()) as other_worker:
            other_worker.execute("SELECT pg_try_advisory_lock(%s, %s)", (IMPORT_LOCK_NAMESPACE, kiosk.id))
            taken = other_worker.fetchone()[0]
            if taken:
                other_worker.execute("SELECT pg_advisory_unlock(%s, %s)", (IMPORT_LOCK_NAMESPACE, kiosk.id))
            return taken

    # -- 8. balances -----------------------------------------------------------------------------
    def test_attack_employee_reads_no_balance_barcode(self):
        self.post_invoice(self.mariton, 432.10)
        self.authenticate("pk_employee", "pk_employee")
        self.assertEqual(self.call("res.partner", "read", [self.mariton.id], ["name"])[0]["name"], "MARITON Paul")
        attempts = {
            "read": ("read", [self.mariton.id], ["connectic_barcode_text"]),
            "search_read": ("search_read", [("id", "=", self.mariton.id)], ["connectic_barcode_text"]),
            "web_read": ("web_read", [self.mariton.id], {"connectic_barcode_text": {}}),
            "onchange": ("onchange", [self.mariton.id], {}, [], {"connectic_barcode_text": {}}),
            "credit (same access)": ("read", [self.mariton.id], ["credit"]),
        }
        for label, (method, *args) in attempts.items():
            with self.subTest(label), self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self.call("res.partner", method, *args)
        # The notice printed through the report route shows the balance too.
        response = self.url_open(f"/report/html/pos_kiosk_connectic.report_payment_notice/{self.mariton.id}")
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn("432,10", response.text)
        self.assertNotIn("432.10", response.text)
        bindings = self.env["ir.actions.actions"].with_user(self.employee).get_bindings("res.partner")
        print_menu = bindings.get("report", [])
        self.assertNotIn(self.env.ref("pos_kiosk_connectic.action_report_payment_notice").id,
                         [action["id"] for action in print_menu], "not offered in the employee's Print menu")

    def test_invoicing_user_still_prints_the_barcode(self):
        invoice = self.post_invoice(self.mariton, 432.10)
        self.authenticate("pk_sec_clerk", "pk_sec_clerk")
        [partner] = self.call("res.partner", "read", [self.mariton.id], ["connectic_barcode_text", "credit"])
        self.assertEqual(partner["connectic_barcode_text"], "*G001*81MARITON*432,10*")
        [move] = self.call("account.move", "read", [invoice.id], ["connectic_barcode_text"])
        self.assertEqual(move["connectic_barcode_text"], "*G001*81MARITON*432,10*")
        for route in (f"/report/html/account.report_invoice/{invoice.id}",
                      f"/report/html/pos_kiosk_connectic.report_payment_notice/{self.mariton.id}"):
            with self.subTest(route):
                response = self.url_open(route)
                self.assertEqual(response.status_code, 200)
                self.assertIn("*G001*81MARITON*432,10*", response.text)
                self.assertIn("data:image/png;base64", response.text)

    def test_payment_notices_computed_in_constant_queries(self):
        """Balances and barcodes of every notice in grouped queries: the count does not grow with the notices."""
        partners = self.env["res.partner"].create([{"name": f"Client {n}", "ref": f"81CLIENT{n}"} for n in range(6)])
        for partner in partners:
            self.post_invoice(partner, 10)

        def queries_to_print(notices):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            html = self.env["ir.actions.report"]._render_qweb_html(
                "pos_kiosk_connectic.action_report_payment_notice", notices.ids)[0].decode()
            self.assertIn(f"*G001*{notices[-1].ref}*10,00*", html)
            return self.env.cr.sql_log_count - before

        queries_to_print(partners[:1])  # warm the caches of the layout
        self.assertEqual(queries_to_print(partners), queries_to_print(partners[:1]))

    # -- 10. transaction ids per kiosk ---------------------------------------------------------------
    def test_kiosk_of_other_company_imports_transaction_ids_kiosk_a_used(self):
        self.kiosk._import_file(NAME, self.example_file(), origin="sftp")  # kiosk A: K1-000123, K1-000124
        self.authenticate("pk_clerk_b", "pk_clerk_b")
        data_b = files.write_payments([self.payment_row(entity="G002")])  # kiosk B's own K1-000123
        self.wizard_import(self.kiosk_b, data_b)
        [file_b] = self.kiosk_files(self.kiosk_b)
        self.assertEqual(file_b.state, "imported", file_b.error_report)
        self.assertRecordValues(self.payments_of(self.kiosk_b), [{
            "connectic_transaction_id": "K1-000123", "company_id": self.company_b.id,
            "connectic_user_id": self.clerk_b.id,
        }])
        self.assertEqual(len(self.payments_of(self.kiosk)), 2)
        # A kiosk's own ids stay unique: kiosk A sending K1-000123 again is refused.
        again = self.kiosk._import_file(OTHER_NAME, self.example_file(), origin="sftp")
        self.assertEqual(again.state, "rejected")
        self.assertIn("transaction K1-000123 was already imported", again.error_report)

    def test_upgrade_sets_the_kiosk_of_existing_receipts(self):
        self.kiosk._import_file(NAME, self.example_file(), origin="sftp")
        by_file = self.payments_of(self.kiosk)
        loose = self.env["account.payment"].create({  # a receipt recorded without its file
            "payment_type": "inbound", "partner_type": "customer", "partner_id": self.rolin.id, "amount": 5,
            "journal_id": self.cash_journal.id, "connectic_transaction_id": "K0-1",
        })
        other_company = self.env["account.payment"].create({  # company B has one kiosk too, but not this one
            "payment_type": "inbound", "partner_type": "customer", "partner_id": self.rolin.id, "amount": 5,
            "journal_id": self.env["account.journal"].search(
                [("company_id", "=", self.company_b.id), ("type", "=", "cash")], limit=1).id,
        })
        self.env.flush_all()
        self.env.cr.execute("UPDATE account_payment SET connectic_kiosk_id = NULL WHERE id IN %s",
                            [tuple((by_file | loose | other_company).ids)])
        spec = importlib.util.spec_from_file_location("pos_kiosk_connectic_pre_migrate_18_0_1_1_0", MIGRATION)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual((by_file | loose).mapped("connectic_kiosk_id"), self.kiosk)
        self.assertFalse(other_company.connectic_kiosk_id, "not a kiosk receipt: left alone")

    # -- 11. robustness --------------------------------------------------------------------------
    def test_nightly_loop_goes_on_after_a_unique_violation_of_the_first_kiosk(self):
        self.kiosk._import_file(NAME, self.example_file(), origin="sftp")
        self.drop(OTHER_NAME, self.example_file().replace(b"K1-000124", b"K1-000125"))
        with open(self.server_b.path("inbound", NAME), "wb") as handle:
            handle.write(files.write_payments([self.payment_row(entity="G002")]))
        check_in_database = ConnecticKiosk._check_in_database

        def racing_worker(kiosk, payments):
            # Another worker commits K1-000123 of kiosk A between our check and our insert.
            errors, partners = check_in_database(kiosk, payments)
            return [e for e in errors if e.code != "already_imported"], partners

        self.assertLess(self.kiosk.company_id.id, self.company_b.id, "kiosk A runs first")
        with patch.object(ConnecticKiosk, "_check_in_database", racing_worker), \
                self.assertLogs(KIOSK_LOGGER, "ERROR"):
            self.env["connectic.kiosk"]._cron_import_payments()
        self.env.invalidate_all()
        self.assertIn("UniqueViolation", self.kiosk.last_error)
        self.assertEqual(len(self.kiosk_files()), 1, "nothing of the failed file was kept")
        self.assertEqual(len(self.payments_of(self.kiosk)), 2)
        self.assertEqual(self.server.list("inbound"), [OTHER_NAME])
        notice = self.env["mail.message"].search([("model", "=", "connectic.kiosk"), ("res_id", "=", self.kiosk.id)])
        self.assertIn(self.notified.partner_id, notice.partner_ids)
        self.assertIn("UniqueViolation", notice.body)
        # kiosk B ran all the same
        self.assertEqual(self.kiosk_files(self.kiosk_b).mapped("state"), ["imported"])
        self.assertEqual(self.server_b.list("archive"), [NAME])
        self.assertFalse(self.kiosk_b.last_error)

    def test_nightly_loop_goes_on_after_an_sftp_protocol_error_of_the_first_kiosk(self):
        self.drop(NAME, self.example_file())
        with open(self.server_b.path("inbound", NAME), "wb") as handle:
            handle.write(files.write_payments([self.payment_row(entity="G002")]))
        sftp_open = paramiko.SFTPClient.open
        inbound_a = self.server.path("inbound")

        def garbage_on_a(client, path, *args, **kwargs):
            if client.normalize(".") + "/inbound" == inbound_a and path.startswith("inbound/"):
                raise paramiko.SFTPError("Garbage packet received")
            return sftp_open(client, path, *args, **kwargs)

        with patch.object(paramiko.SFTPClient, "open", garbage_on_a):
            self.env["connectic.kiosk"]._cron_import_payments()
        self.env.invalidate_all()
        self.assertIn("Garbage packet received", self.kiosk.last_error)
        self.assertFalse(self.kiosk_files())
        self.assertEqual(self.server.list("inbound"), [NAME])
        self.assertEqual(self.kiosk_files(self.kiosk_b).mapped("state"), ["imported"])

    def test_aborted_import_leaves_the_lock_free_and_the_next_run_works(self):
        self.drop(NAME, self.example_file())

        def aborting_move(kiosk, client, kiosk_file, remote_path):
            # Stands for any database error after the import (a serialization failure on the file
            # record): the transaction is aborted while the import holds its lock.
            kiosk.env.cr.execute("SELECT 1 / 0")

        with patch.object(ConnecticKiosk, "_move_remote", aborting_move), self.assertLogs(KIOSK_LOGGER, "ERROR"):
            self.env["connectic.kiosk"]._cron_import_payments()
        self.env.invalidate_all()
        self.assertIn("DivisionByZero", self.kiosk.last_error)
        self.assertFalse(self.kiosk_files())
        self.assertTrue(self.lock_is_free(self.kiosk))
        self.env["connectic.kiosk"]._cron_import_payments()
        self.assertEqual(self.kiosk_files().mapped("state"), ["imported"])
        self.assertEqual(self.server.list("archive"), [NAME])
        self.assertFalse(self.kiosk.last_error)

    def test_manual_import_waits_for_the_running_import(self):
        self.authenticate("pk_sec_clerk", "pk_sec_clerk")
        with closing(db_connect(self.env.cr.dbname).cursor()) as nightly_worker:
            nightly_worker.execute("SELECT pg_try_advisory_lock(%s, %s)", (IMPORT_LOCK_NAMESPACE, self.kiosk.id))
            self.assertTrue(nightly_worker.fetchone()[0])
            with self.assertRaisesRegex(JsonRpcException, "UserError"):
                self.wizard_import(self.kiosk, self.example_file())
            self.assertFalse(self.kiosk_files())
            self.assertFalse(self.payments_of(self.kiosk))
            nightly_worker.execute("SELECT pg_advisory_unlock(%s, %s)", (IMPORT_LOCK_NAMESPACE, self.kiosk.id))
        self.wizard_import(self.kiosk, self.example_file())
        self.assertEqual(self.kiosk_files().mapped("state"), ["imported"])

    def test_attack_portal_user_puts_formulas_in_the_customers_file(self):
        portal = new_test_user(self.env, login="pk_portal", groups="base.group_portal")
        portal.partner_id.ref = "81PORTAIL"
        typed = {
            "name": '=HYPERLINK("https://evil.example/pay";"Payer ici")', "street": "+33 rue du Calcul",
            "city": "@SUM(A1:A9)", "zipcode": "-1+54000",
        }
        self.authenticate("pk_portal", "pk_portal")
        page = self.url_open("/my/account").text
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = self.url_open("/my/account", data={
            **typed, "csrf_token": csrf, "phone": "0383000000", "email": "portal@example.com",
            "country_id": str(self.env.ref("base.fr").id),
        })
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertEqual(portal.partner_id.name, typed["name"], "the portal form stores what was typed")

        self.kiosk.action_export_customers()  # the real export, uploaded to the SFTP server
        [name] = self.server.list("outbound")
        with open(self.server.path("outbound", name), "rb") as handle:
            data = handle.read()
        [row] = [r for r in files.read_customers(data) if r["account_ref"] == "81PORTAIL"]
        self.assertEqual(row["name"], "'" + typed["name"])
        self.assertEqual(row["street"], "'+33 rue du Calcul")
        self.assertEqual(row["city"], "'@SUM(A1:A9)")
        self.assertEqual(row["zip"], "'-1+54000")
        for line in data.decode().splitlines()[1:]:
            for cell in files.read_customers(b"h1;h2;h3;h4;h5;h6;h7;h8;h9\n" + line.encode())[0].values():
                self.assertFalse(cell.startswith(("=", "+", "@", "\t", "\r")), line)

    def test_oversized_payments_file_refused_unread(self):
        self.kiosk.payments_max_size_mb = 0.001  # 1,048 bytes
        big = files.write_payments([self.payment_row(f"K9-{n}", amount="1.00") for n in range(30)])
        self.assertGreater(len(big), 1048)
        self.drop(NAME, big)
        self.drop(OTHER_NAME, self.example_file())  # under the limit: imported as usual
        read = KioskSftp.read
        paths_read = []

        def recording_read(client, path):
            paths_read.append(path)
            return read(client, path)

        with patch.object(KioskSftp, "read", recording_read):
            self.env["connectic.kiosk"]._cron_import_payments()
        self.assertEqual(paths_read, [f"inbound/{OTHER_NAME}"], "the big file is never downloaded")
        refused, imported = self.kiosk_files()
        self.assertRecordValues(refused, [{"name": NAME, "state": "rejected", "size": len(big), "sha256": False,
                                           "attachment_id": False, "error_count": 1}])
        self.assertIn(f"File: the file has {len(big):,} bytes, more than the 1,048 bytes allowed",
                      refused.error_report)
        self.assertEqual(imported.state, "imported")
        self.assertEqual(len(self.payments_of(self.kiosk)), 2)
        self.assertEqual(self.server.list("error"), [NAME, NAME + ".errors.txt"])
        with open(self.server.path("error", NAME + ".errors.txt"), encoding="utf-8") as handle:
            self.assertEqual(handle.read(), refused.error_report)
        message = refused.message_ids.filtered(lambda m: self.notified.partner_id in m.partner_ids)
        self.assertIn("rejected", message.body)
        self.assertFalse(self.kiosk.last_error)

    def test_oversized_manual_upload_refused(self):
        self.kiosk.payments_max_size_mb = 0.001  # 1,048 bytes
        big = files.write_payments([self.payment_row(f"K9-{n}", amount="1.00") for n in range(30)])
        self.authenticate("pk_sec_clerk", "pk_sec_clerk")
        self.wizard_import(self.kiosk, big)
        [refused] = self.kiosk_files()
        self.assertEqual(refused.state, "rejected")
        self.assertIn("bytes allowed", refused.error_report)
        self.assertFalse(self.payments_of(self.kiosk))

    # -- sudo() audit ----------------------------------------------------------------------------
    def test_attack_invoicing_user_runs_the_kiosk_sftp_actions(self):
        self.drop(NAME, self.example_file())
        self.authenticate("pk_sec_clerk", "pk_sec_clerk")
        host_key = self.kiosk.sftp_host_key
        for method in ("action_import_payments", "action_export_customers", "action_test_connection",
                       "action_fetch_host_key"):
            with self.subTest(method), self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self.call("connectic.kiosk", method, [self.kiosk.id])
        self.assertFalse(self.kiosk_files())
        self.assertFalse(self.payments_of(self.kiosk))
        self.assertEqual(self.server.list("inbound"), [NAME])
        self.assertEqual(self.server.list("outbound"), [])
        self.assertEqual(self.kiosk.sftp_host_key, host_key)
        self.assertFalse(self.kiosk.last_import_date)

    def test_attack_administrator_of_other_company_runs_the_kiosk_import(self):
        self.drop(NAME, self.example_file())
        self.authenticate("pk_admin_b", "pk_admin_b")
        for companies in (self.company_b, self.company_b | self.company):
            with self.subTest(companies=companies.ids), self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self.call("connectic.kiosk", "action_import_payments", [self.kiosk.id],
                          context={"allowed_company_ids": companies.ids})
        self.assertFalse(self.kiosk_files())
        self.assertEqual(self.server.list("inbound"), [NAME])

    def test_attack_invoicing_user_imports_into_kiosk_of_other_company(self):
        self.authenticate("pk_clerk_b", "pk_clerk_b")
        for companies in (self.company_b, self.company_b | self.company):
            with self.subTest(companies=companies.ids), self.assertRaisesRegex(JsonRpcException, "AccessError"):
                self.wizard_import(self.kiosk, self.example_file(), companies=companies)
        self.assertFalse(self.kiosk_files())
        self.assertFalse(self.payments_of(self.kiosk))

    def test_attack_invoicing_user_chooses_the_outstanding_account_by_context(self):
        chosen = self.env["account.account"].search([
            ("company_ids", "in", self.company.id), ("account_type", "=", "expense"),
        ], limit=1)
        self.authenticate("pk_sec_clerk", "pk_sec_clerk")
        payment_id = self.call("account.payment", "create", {
            "payment_type": "inbound", "partner_type": "customer", "partner_id": self.rolin.id, "amount": 10,
            "journal_id": self.bank_journal.id,
        }, context={"connectic_outstanding_accounts": [[self.company.id, "inbound", chosen.id]]})
        self.env.invalidate_all()
        self.assertNotEqual(self.env["account.payment"].browse(payment_id).outstanding_account_id, chosen)

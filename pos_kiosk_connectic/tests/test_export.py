"""Customers file export (PK-2) and the kiosk barcode on invoices and notices (PK-7)."""
from odoo.tests import tagged

from .common import KioskCase


@tagged("post_install", "-at_install")
class TestKioskExport(KioskCase):

    def test_customers_file_uploaded_atomically_with_balances(self):
        self.post_invoice(self.mariton, 3000)
        self.post_invoice(self.mariton, 817.83)
        self.env["account.move"].create({  # a draft invoice is not due
            "move_type": "out_invoice", "partner_id": self.rolin.id,
            "invoice_line_ids": [(0, 0, {"name": "Loyer", "quantity": 1, "price_unit": 99, "tax_ids": []})],
        })
        self.kiosk.action_export_customers()
        names = self.server.list("outbound")
        self.assertEqual(len(names), 1)
        self.assertRegex(names[0], r"^customers_G001_\d{8}\.csv$")
        with open(self.server.path("outbound", names[0]), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        self.assertEqual(lines[0], "entity;account_ref;name;street;zip;city;balance;currency;barcode")
        self.assertIn("G001;81MARITON;MARITON Paul;3 place Stanislas;54000;Nancy;3817,83;EUR;*G001*81MARITON*3817,83*",
                      lines)
        self.assertIn("G001;81ROLINMAR;ROLIN Marie;;;Nancy;0,00;EUR;*G001*81ROLINMAR*0,00*", lines)
        attachment = self.env["ir.attachment"].search([("res_model", "=", "connectic.kiosk"),
                                                        ("res_id", "=", self.kiosk.id)])
        self.assertEqual(attachment.name, names[0])
        self.assertGreater(self.kiosk.last_export_count, 1)
        # A second export the same day replaces the file; no temporary file is left behind.
        self.kiosk.action_export_customers()
        self.assertEqual(self.server.list("outbound"), names)

    def test_balance_computed_in_one_query(self):
        self.post_invoice(self.mariton, 10)
        with self.assertQueryCount(__system__=4):
            self.kiosk._customer_rows()

    def test_barcode_on_invoice_and_notice(self):
        invoice = self.post_invoice(self.mariton, 3817.83)
        self.assertEqual(invoice.connectic_barcode_text, "*G001*81MARITON*3817,83*")
        html = self.env["ir.actions.report"]._render_qweb_html("account.report_invoice", invoice.ids)[0].decode()
        self.assertIn("*G001*81MARITON*3817,83*", html)
        self.assertIn("data:image/svg+xml;base64", html)
        notice = self.env["ir.actions.report"]._render_qweb_html(
            "pos_kiosk_connectic.action_report_payment_notice", self.mariton.ids)[0].decode()
        self.assertIn("*G001*81MARITON*3817,83*", notice)
        self.assertIn("data:image/svg+xml;base64", notice)
        self.assertEqual(self.rolin.connectic_barcode_text, "*G001*81ROLINMAR*0,00*")

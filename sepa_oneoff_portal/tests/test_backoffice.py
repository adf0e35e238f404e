import datetime
import re

import psycopg2
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import mute_logger

from odoo.addons.sepa_oneoff_portal.sepa import pain008

from .common import SepaOneoffCommon


@tagged("post_install", "-at_install")
class TestBackOffice(SepaOneoffCommon, TransactionCase):
    """Settings (SO-1), mandate side effects (SO-5, SO-6), collection draft (SO-7), file (SO-8),
    posting and returns (SO-9)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sepa_oneoff()

    # ---------------------------------------------------------------- SO-1
    def test_settings_checked(self):
        cases = [
            ({"sepa_creditor_identifier": "FR73ZZZ123456"}, "creditor identifier"),
            ({"sepa_oneoff_creditor_iban": "FR1420041010050500013M02607"}, "creditor IBAN"),
            ({"sepa_oneoff_creditor_bic": "COBADEFFXXX"}, "creditor BIC"),
            # a French BIC of another bank than La Banque Postale's IBAN
            ({"sepa_oneoff_creditor_bic": "BNPAFRPP"}, r"another bank than the creditor IBAN's \(PSSTFRPP\)"),
            ({"sepa_oneoff_creditor_bic": False}, "Creditor BIC"),
            ({"sepa_oneoff_lead_days": -1}, "lead time"),
        ]
        for values, message in cases:
            with self.subTest(values=values):
                with self.assertRaisesRegex(ValidationError, message), self.env.cr.savepoint():
                    self.company.write(values)
                self.env.invalidate_all()
        self.company.write({"sepa_oneoff_portal_enabled": False, "sepa_oneoff_creditor_bic": False})
        with self.assertRaisesRegex(ValidationError, "cannot be allowed"), self.env.cr.savepoint():
            self.company.sepa_oneoff_portal_enabled = True
        self.env.invalidate_all()
        self.assertFalse(self.company.sepa_oneoff_portal_enabled)
        self.company.sepa_creditor_identifier = "fr72 zzz 123456"
        self.assertEqual(self.company.sepa_creditor_identifier, "FR72ZZZ123456")
        self.assertEqual(self.company.sepa_pain_version, "pain.008.001.08")

    # ---------------------------------------------------------------- SO-5, SO-6
    def test_signed_mandate_side_effects(self):
        mandate = self._sepa_sign(amount=65.63)
        self.assertRegex(mandate.name, r"^[A-Z0-9-]{1,35}$")
        self.assertGreaterEqual(mandate.collection_date, fields.Date.today() + datetime.timedelta(days=3))
        payment = mandate.payment_id
        self.assertEqual((payment.state, payment.payment_type, payment.amount), ("draft", "inbound", 65.63))
        self.assertEqual(payment.journal_id, self.journal)
        self.assertEqual(payment.sepa_oneoff_mandate_id, mandate)
        activity = mandate.activity_ids
        self.assertEqual(activity.user_id, self.accountant)
        mail = self.env["mail.mail"].search([
            ("model", "=", mandate._name), ("res_id", "=", mandate.id), ("email_to", "=", "debtor@example.com"),
        ])
        self.assertEqual(len(mail), 1)
        # the signed mandate, kept on the record and sent (its content: test_mandate_pdf)
        self.assertEqual(mail.attachment_ids.mimetype, "application/pdf")
        self.assertEqual(mail.attachment_ids.name, f"{mandate.name}.pdf")
        self.assertEqual((mail.attachment_ids.res_model, mail.attachment_ids.res_id), (mandate._name, mandate.id))
        body = mail.body_html
        self.assertIn("**** 0189", body)
        self.assertNotIn("FR7630006000011234567890189", body)
        self.assertIn("65.63", body)
        self.assertIn("8 weeks", body)
        # the balance left to sign for
        self.assertAlmostEqual(self.customer._sepa_oneoff_balance_due(self.company), 120.0 - 65.63)

    def test_activity_goes_to_salesperson_without_setting(self):
        self.company.sepa_oneoff_user_id = False
        salesperson = self.accountant.copy({"login": "so_sales"})
        self.customer.user_id = salesperson
        self.assertEqual(self._sepa_sign(amount=10).activity_ids.user_id, salesperson)

    def test_check_pending_requests_creates_missing_receipts(self):
        mandate = self.env["sepa.oneoff.mandate"].create({
            "name": "RUM-LOST-1", "partner_id": self.customer.id, "iban": "FR7630006000011234567890189",
            "amount": 12.0, "signed_at": fields.Datetime.now(),
        })
        self.env["account.payment"].action_sepa_oneoff_check_pending()
        self.assertEqual(mandate.payment_id.amount, 12.0)
        self.env["account.payment"].action_sepa_oneoff_check_pending()
        self.assertEqual(self.env["account.payment"].search_count([("sepa_oneoff_mandate_id", "=", mandate.id)]), 1)

    # ---------------------------------------------------------------- SO-8
    def _export(self, payments):
        action = payments.with_user(self.accountant).action_sepa_oneoff_export()
        return self.env["sepa.oneoff.batch"].browse(action["res_id"])

    def test_export_both_versions_validated(self):
        for version in ("pain.008.001.08", "pain.008.001.02"):
            with self.subTest(version=version):
                self.company.sepa_pain_version = version
                payments = self._sepa_sign(amount=20.0).payment_id | self._sepa_sign(amount=5.5).payment_id
                batch = self._export(payments)
                xml_bytes = batch.xml_file and __import__("base64").b64decode(batch.xml_file)
                self.assertTrue(pain008.validate(xml_bytes, version))
                text = xml_bytes.decode()
                self.assertIn(f"urn:iso:std:iso:20022:tech:xsd:{version}", text)
                self.assertIn("<SeqTp>OOFF</SeqTp>", text)
                self.assertIn(f"<MsgId>{batch.name}</MsgId>", text)
                self.assertIn("<CtrlSum>25.50</CtrlSum>", text)
                self.assertIn("<Id>FR72ZZZ123456</Id>", text)
                collection = re.search(r"<ReqdColltnDt>([0-9-]+)</ReqdColltnDt>", text).group(1)
                self.assertGreater(fields.Date.from_string(collection), fields.Date.today())
                self.assertEqual(batch.payment_ids, payments)
                self.assertEqual(set(payments.sepa_oneoff_mandate_id.mapped("state")), {"exported"})
                self.assertTrue(all(payments.mapped("sepa_oneoff_exported")))

    def test_second_export_refused_and_lines_locked(self):
        payment = self._sepa_sign(amount=20.0).payment_id
        self._export(payment)
        with self.assertRaisesRegex(UserError, "already exported"):
            self._export(payment)
        with self.assertRaisesRegex(UserError, "can no longer be changed"):
            payment.amount = 25.0
        self.assertEqual(self.env["sepa.oneoff.batch"].search_count([("payment_ids", "in", payment.ids)]), 1)

    def test_export_refuses_other_receipts(self):
        manual = self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": self.customer.id,
            "amount": 10.0, "journal_id": self.journal.id,
        })
        with self.assertRaisesRegex(UserError, "Only one-off"):
            self._export(manual)

    # ---------------------------------------------------------------- SO-9
    def test_posting_reconciles_oldest_invoices_first_then_return(self):
        payment = self._sepa_sign(amount=90.0).payment_id
        self._export(payment)
        other_journal = self.env["account.journal"].create({"name": "Other bank", "type": "bank", "code": "OBK"})
        wizard = self.env["sepa.oneoff.post.wizard"].with_context(active_ids=payment.ids).create({})
        self.assertEqual(wizard.journal_id, self.journal)  # the company's collection journal by default
        wizard.journal_id = other_journal
        wizard.action_post()
        self.assertEqual(payment.journal_id, other_journal)
        self.assertIn(payment.state, ("in_process", "paid"))
        self.assertEqual(self.invoice_old.amount_residual, 0.0)
        self.assertIn(self.invoice_old.payment_state, ("paid", "in_payment"))
        self.assertEqual(self.invoice_new.payment_state, "partial")
        self.assertAlmostEqual(self.invoice_new.amount_residual, 30.0)
        self.assertEqual(payment.sepa_oneoff_mandate_id.state, "collected")
        # returned by the debtor's bank
        payment.action_sepa_oneoff_return()
        self.assertEqual(payment.state, "rejected")
        self.assertEqual(payment.sepa_oneoff_mandate_id.state, "returned")
        self.assertAlmostEqual(self.invoice_old.amount_residual, 70.0)
        self.assertAlmostEqual(self.invoice_new.amount_residual, 50.0)
        self.assertAlmostEqual(self.customer.credit, 120.0)

    def test_bulk_posting_numbers_and_followers_as_odoo_does(self):
        # the bulk posting looks up the journal's last number once and subscribes in one batch: the
        # entries must still get the numbers and followers Odoo's own posting gives, from a new
        # journal's first number on and after entries Odoo numbered
        journal = self.env["account.journal"].create({"name": "Bulk bank", "type": "bank", "code": "BLK"})
        third_customer = self.env["res.partner"].create({"name": "COPRO Jeanne"})
        # something due, or no mandate can be signed
        for partner in (self.other_customer, third_customer):
            self._sepa_invoice(partner, 40.0, "2026-01-20")

        def odoo_payment(partner):
            payment = self.env["account.payment"].create({
                "payment_type": "inbound", "partner_type": "customer", "partner_id": partner.id,
                "amount": 5.0, "journal_id": journal.id,
            })
            payment.action_post()
            return payment.move_id

        def bulk(*partners):
            receipts = self.env["account.payment"].union(*(
                self._sepa_sign(amount=10.0, partner=partner).payment_id for partner in partners
            ))
            receipts.action_sepa_oneoff_post(journal=journal)
            for receipt in receipts:
                self.assertIn(receipt.partner_id, receipt.move_id.message_partner_ids)
            return receipts.move_id.sorted("sequence_number")

        moves = bulk(self.customer, self.other_customer)
        moves |= odoo_payment(third_customer)
        moves |= bulk(third_customer, self.other_customer)
        moves |= odoo_payment(self.customer)

        self.assertEqual(moves.mapped("sequence_number"), [1, 2, 3, 4, 5, 6])
        self.assertEqual(len(set(moves.mapped("sequence_prefix"))), 1)
        self.assertEqual(moves[0].name, moves[3].name[:-1] + "1")  # Odoo's format, e.g. PBLK1/2026/00001
        # the memo of last numbers lives only during the bulk posting
        self.assertNotIn("sepa_oneoff_portal.last_sequence", self.env.cr.precommit.data)

    def test_posting_keeps_vat_on_payments(self):
        # services invoiced with VAT due on payment (TVA sur les encaissements): the receipt's
        # reconciliation makes the VAT exigible through a cash-basis entry, as Odoo's own does
        tax = self.env["account.tax"].search([
            ("company_id", "=", self.company.id), ("type_tax_use", "=", "sale"),
            ("tax_exigibility", "=", "on_payment"), ("amount_type", "=", "percent"), ("amount", "=", 20.0),
        ], limit=1)
        self.assertTrue(tax, "the French chart has 20% VAT on payments")
        self.company.tax_exigibility = True
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.other_customer.id, "invoice_date": "2026-01-05",
            "invoice_line_ids": [(0, 0, {"name": "Honoraires", "quantity": 1, "price_unit": 100.0,
                                         "tax_ids": [(6, 0, tax.ids)]})],
        })
        invoice.action_post()
        payment = self._sepa_sign(amount=120.0, partner=self.other_customer).payment_id
        payment.action_sepa_oneoff_post()
        self.assertEqual(invoice.amount_residual, 0.0)
        cash_basis = invoice.tax_cash_basis_created_move_ids
        self.assertEqual(len(cash_basis), 1)
        self.assertAlmostEqual(sum(cash_basis.line_ids.filtered("tax_line_id").mapped("credit")), 20.0)

    def test_return_refused_on_draft(self):
        payment = self._sepa_sign(amount=10.0).payment_id
        with self.assertRaisesRegex(UserError, "Only posted"):
            payment.action_sepa_oneoff_return()

    @freeze_time("2026-12-23 10:00:00")
    def test_collection_date_on_target_business_day(self):
        mandate = self._sepa_sign(amount=10.0)
        self.assertEqual(mandate.collection_date, datetime.date(2026, 12, 29))  # 24, 28, 29: 25, 26 are TARGET holidays

    def test_one_receipt_per_mandate_enforced_by_the_database(self):
        mandate = self._sepa_sign(amount=10.0)
        with self.assertRaises(psycopg2.errors.UniqueViolation), self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
            self.env["account.payment"].create({
                "payment_type": "inbound", "partner_type": "customer", "partner_id": self.customer.id,
                "amount": 10.0, "journal_id": self.journal.id, "sepa_oneoff_mandate_id": mandate.id,
            })
            self.env.flush_all()

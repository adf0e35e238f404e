import io
import unittest

from PyPDF2 import PdfReader

from odoo import fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import format_date

from .common import DEMO_IBAN, SepaOneoffCommon


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@tagged("post_install", "-at_install")
class TestMandatePdf(SepaOneoffCommon, TransactionCase):
    """The signed mandate sent to the debtor and kept as proof (SO-5): Odoo's QWeb report printed by
    wkhtmltopdf, with the minimum content of the rulebook, in the debtor's language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sepa_oneoff()
        if cls.env["ir.actions.report"].get_wkhtmltopdf_state() != "ok":
            raise unittest.SkipTest("wkhtmltopdf is not installed (setup/install.sh installs it)")

    def _pdf(self, mandate):
        # Odoo returns the report's HTML instead of a PDF in test mode unless asked for the real thing
        pdf = mandate.with_context(force_report_rendering=True)._sepa_oneoff_mandate_pdf()
        self.assertTrue(pdf.startswith(b"%PDF"))
        return " ".join(pdf_text(pdf).split())

    def _sign_with_address(self):
        return self._sepa_sign(amount=65.63, debtor_street="3 place Stanislas", debtor_zip="54000",
                               debtor_city="Nancy", debtor_country_id=self.env.ref("base.fr").id)

    def test_minimum_content(self):
        mandate = self._sign_with_address()
        text = self._pdf(mandate)
        for expected in ("SEPA Direct Debit Mandate", mandate.name, "One-off payment",
                         "Syndicat des copropriétaires Gilbert", "12 rue des Carmes", "FR72ZZZ123456",
                         mandate.debtor_name, "3 place Stanislas", "54000 Nancy", "AGRIFRPPXXX",
                         "Place and date of signature", "you authorise", "within 8 weeks"):
            self.assertIn(expected, text)
        # the debtor's own copy and the creditor's evidence carry the full IBAN
        self.assertIn(DEMO_IBAN, text.replace(" ", ""))
        self.assertNotIn("**** 0189", text)
        self.assertEqual(mandate.signed_place, "Nancy")

    def test_french_dates_amounts_and_paris_time(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["sepa_oneoff_portal"], ["fr_FR"], overwrite=True)
        self.customer.lang = "fr_FR"
        self.company.partner_id.tz = False  # the company's country gives Europe/Paris
        mandate = self._sign_with_address()
        text = self._pdf(mandate)
        self.assertIn("Mandat de prélèvement SEPA", text)
        self.assertIn("65,63 €", text)
        french = self.env(context={"lang": "fr_FR"})
        self.assertIn(format_date(french, mandate.collection_date), text)
        self.assertRegex(format_date(french, mandate.collection_date), r"^\d{2}/\d{2}/\d{4}$")
        local = fields.Datetime.context_timestamp(mandate.with_context(tz="Europe/Paris"), mandate.signed_at)
        self.assertIn(local.strftime("%d/%m/%Y %H:%M"), text)
        self.assertIn("Europe/Paris", text)

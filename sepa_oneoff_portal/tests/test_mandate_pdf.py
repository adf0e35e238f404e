import io

from PyPDF2 import PdfReader

from odoo.tests import TransactionCase, tagged

from odoo.addons.sepa_oneoff_portal.report.mandate_pdf import render_mandate_pdf

from .common import DEMO_IBAN, SepaOneoffCommon


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@tagged("post_install", "-at_install")
class TestMandatePdf(SepaOneoffCommon, TransactionCase):
    """The signed mandate sent to the debtor and kept as proof (SO-5): Odoo's QWeb report printed by
    wkhtmltopdf, or the same content drawn with reportlab where wkhtmltopdf is missing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sepa_oneoff()

    def _assert_mandate_content(self, mandate, text):
        flat = " ".join(text.split())
        for expected in (mandate.name, "FR72ZZZ123456", "**** 0189", "65.63 EUR", mandate.debtor_name,
                         "Syndicat des copropriétaires Gilbert", str(mandate.collection_date)):
            self.assertIn(expected, flat)
        self.assertNotIn(DEMO_IBAN, flat.replace(" ", ""))

    def test_qweb_report_printed_by_wkhtmltopdf(self):
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() != "ok":
            self.skipTest("wkhtmltopdf is not installed (setup/install.sh installs it)")
        mandate = self._sepa_sign(amount=65.63)
        # Odoo returns the report's HTML instead of a PDF in test mode unless asked for the real thing
        pdf = mandate.with_context(force_report_rendering=True)._sepa_oneoff_mandate_pdf()
        self.assertTrue(pdf.startswith(b"%PDF"))
        self._assert_mandate_content(mandate, pdf_text(pdf))

    def test_reportlab_fallback(self):
        mandate = self._sepa_sign(amount=65.63)
        pdf = render_mandate_pdf("SEPA Direct Debit Mandate", mandate._sepa_oneoff_summary_rows(),
                                 mandate.mandate_text.split("\n\n"))
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = pdf_text(pdf)
        self._assert_mandate_content(mandate, text)
        self.assertIn("SEPA Direct Debit Mandate", text)

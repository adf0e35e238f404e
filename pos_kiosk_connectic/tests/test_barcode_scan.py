"""The kiosk barcode (PK-7) as a scanner sees it: the real PDF printed by wkhtmltopdf, rasterised at
200 dpi (a kiosk scanner's resolution) and decoded with zbar. Needs the Debian packages
poppler-utils (pdftoppm) and zbar-tools (zbarimg), installed by setup."""
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

from odoo.tests import HttpCase, tagged

from odoo.addons.pos_kiosk_connectic.kiosk.barcode import QUIET_MODULES, code128_modules

from .common import KioskCase

DPI = 200


@tagged("post_install", "-at_install")
class TestBarcodeScan(KioskCase, HttpCase):
    """HttpCase: wkhtmltopdf loads the report's stylesheets from the running server, as in production,
    so the page is laid out (and shrunk to the paper) as a customer's would be."""

    def setUp(self):
        super().setUp()
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() != "ok":
            self.skipTest("wkhtmltopdf is not installed (setup/install.sh installs it)")
        missing = [tool for tool in ("pdftoppm", "zbarimg") if not shutil.which(tool)]
        # not a skip: the barcode's readability is a requirement, its check must not vanish silently
        self.assertFalse(missing, f"{missing} missing: install the Debian packages poppler-utils and zbar-tools")

    def _pdf(self, report, records):
        # Odoo returns HTML instead of a PDF in test mode unless asked for the real thing
        return self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(
            report, records.ids)[0]

    def _scan(self, pdf):
        """(decoded texts, 200 dpi grey image) of the PDF's first page."""
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "doc.pdf").write_bytes(pdf)
            subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", "-f", "1", "-l", "1",
                            "-singlefile", "doc.pdf", "page"], cwd=folder, check=True, timeout=60)
            page = Path(folder, "page.png").read_bytes()
            result = subprocess.run(["zbarimg", "--raw", "-q", "-Sdisable", "-Scode128.enable", "page.png"],
                                    cwd=folder, capture_output=True, text=True, timeout=60, check=False)
        return result.stdout.splitlines(), Image.open(io.BytesIO(page)).convert("L")

    def _assert_module_and_quiet_zone(self, image, text):
        """The printed module is at least 0.25 mm and the quiet zones are white over 10 modules."""
        expected_bars, symbol_modules = code128_modules(text)
        pixels = image.load()
        width, height = image.size

        def runs(y):
            """Dark runs (start, end) of row y."""
            found, start = [], None
            for x in range(width):
                if pixels[x, y] < 128 and start is None:
                    start = x
                elif pixels[x, y] >= 128 and start is not None:
                    found.append((start, x))
                    start = None
            return found

        def symbol_in(bars):
            """The chain of dark runs with as many bars as the symbol, each separated from the next by
            less than 3 typical bars (a Code 128 space is at most 4 modules, its quiet zones 10)."""
            if not bars:
                return None
            typical = sorted(end - start for start, end in bars)[len(bars) // 2]
            groups = [[bars[0]]]
            for bar in bars[1:]:
                if bar[0] - groups[-1][-1][1] <= 3 * typical + 2:
                    groups[-1].append(bar)
                else:
                    groups.append([bar])
            return next((group for group in groups if len(group) == len(expected_bars)), None)

        # the first row where every bar of the symbol stands apart: the bars are resolved at 200 dpi
        found = next(((y, symbol) for y in range(height) if (symbol := symbol_in(runs(y)))), None)
        self.assertTrue(found, "no row of the page shows the symbol's bars one by one")
        row, symbol = found
        first, last = symbol[0][0], symbol[-1][1]
        module_px = (last - first) / symbol_modules
        module_mm = module_px * 25.4 / DPI
        self.assertGreaterEqual(module_mm, 0.25, f"module of {module_mm:.3f} mm")
        quiet_px = int(QUIET_MODULES * module_px)
        for x in list(range(first - quiet_px, first)) + list(range(last, last + quiet_px)):
            self.assertGreaterEqual(pixels[x, row], 128, "the quiet zone must stay white")

    def test_invoice_barcode_read_at_200_dpi(self):
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.mariton.id,
            "invoice_line_ids": [(0, 0, {"name": "Loyer", "quantity": 1, "price_unit": 3817.83, "tax_ids": []})],
        })
        invoice.action_post()
        expected = "*G001*81MARITON*3817,83*"
        self.assertEqual(invoice.connectic_barcode_text, expected)
        texts, image = self._scan(self._pdf("account.account_invoices", invoice))
        self.assertEqual(texts, [expected])
        self._assert_module_and_quiet_zone(image, expected)

    def test_payment_notice_barcode_read_at_200_dpi(self):
        expected = "*G001*81ROLINMAR*0,00*"
        texts, image = self._scan(self._pdf("pos_kiosk_connectic.action_report_payment_notice", self.rolin))
        self.assertEqual(texts, [expected])
        self._assert_module_and_quiet_zone(image, expected)

"""Every user-facing string of the addon has a French translation that keeps its placeholders (X-2)."""
import os
import re

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

ADDON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_0-9]*\}")


@tagged("post_install", "-at_install")
class TestFrenchTranslations(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.addon = os.path.basename(ADDON_DIR)
        catalogue = polib.pofile(os.path.join(ADDON_DIR, "i18n", "fr.po"))
        cls.french = {entry.msgid: entry.msgstr for entry in catalogue if not entry.obsolete}

    def test_every_term_translated(self):
        sources = {row[4] for row in TranslationModuleReader(self.env.cr, modules=[self.addon]) if row[4]}
        missing = sorted(source for source in sources if not self.french.get(source))
        self.assertFalse(missing, f"{self.addon}/i18n/fr.po lacks {len(missing)} translations "
                                  f"(run setup/i18n.sh {self.addon}, then translate): {missing[:10]}")

    def test_placeholders_kept(self):
        for msgid, msgstr in self.french.items():
            if msgstr:
                with self.subTest(msgid=msgid):
                    self.assertEqual(sorted(PLACEHOLDER.findall(msgid)), sorted(PLACEHOLDER.findall(msgstr)))

"""Every user-facing string of the three addons has a French translation (X-2)."""
import os
import re

import polib

from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import TranslationModuleReader

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDONS = ("bank_collect_bridge", "sepa_oneoff_portal", "pos_kiosk_connectic")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_0-9]*\}")


@tagged("post_install", "-at_install")
class TestFrenchTranslations(TransactionCase):

    def _french_catalogue(self, addon):
        path = os.path.join(REPO_ROOT, addon, "i18n", "fr.po")
        self.assertTrue(os.path.exists(path), f"{addon} has no i18n/fr.po")
        return {entry.msgid: entry for entry in polib.pofile(path) if not entry.obsolete}

    def test_every_term_translated(self):
        for addon in ADDONS:
            with self.subTest(addon=addon):
                catalogue = self._french_catalogue(addon)
                sources = {row[4] for row in TranslationModuleReader(self.env.cr, modules=[addon]) if row[4]}
                missing = sorted(s for s in sources if not (s in catalogue and catalogue[s].msgstr))
                if missing:
                    self.fail(
                        f"{addon}/i18n/fr.po lacks {len(missing)} translations "
                        f"(run setup/i18n.sh {addon}, then translate): {missing[:10]}"
                    )

    def test_placeholders_kept(self):
        for addon in ADDONS:
            for msgid, entry in self._french_catalogue(addon).items():
                if entry.msgstr:
                    with self.subTest(addon=addon, msgid=msgid):
                        self.assertEqual(
                            sorted(PLACEHOLDER.findall(msgid)), sorted(PLACEHOLDER.findall(entry.msgstr))
                        )

"""Refresh an addon's translation files from its source: i18n/<addon>.pot and i18n/fr.po.

    setup/i18n.sh ADDON [ADDON ...]

The .pot is exported by Odoo from the test database (modules installed); fr.po keeps every
existing translation and gains the new terms with an empty msgstr, listed at the end so they can
be translated. tests/test_i18n.py fails while any term has no French translation.
"""
import io
import os
import sys

sys.path.insert(0, os.environ["ODOO_SRC"])

import polib  # noqa: E402

import odoo  # noqa: E402
from odoo.tools.translate import trans_export  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Terms our addons share word for word with these Odoo addons take Odoo's own French wording.
ODOO_GLOSSARY_ADDONS = ("base", "web", "mail", "portal", "account", "payment", "base_iban")


def odoo_glossary():
    glossary = {}
    for addon in ODOO_GLOSSARY_ADDONS:
        po_path = os.path.join(odoo.modules.module.get_module_path(addon), "i18n", "fr.po")
        if os.path.exists(po_path):
            for entry in polib.pofile(po_path):
                if entry.msgstr and not entry.fuzzy:
                    glossary.setdefault(entry.msgid, entry.msgstr)
    return glossary


def refresh(cr, addon, glossary):
    buffer = io.BytesIO()
    trans_export(None, [addon], buffer, "po", cr)
    pot = polib.pofile(buffer.getvalue().decode())
    i18n_dir = os.path.join(REPO_ROOT, addon, "i18n")
    os.makedirs(i18n_dir, exist_ok=True)
    pot.save(os.path.join(i18n_dir, f"{addon}.pot"))

    po_path = os.path.join(i18n_dir, "fr.po")
    known = {}
    if os.path.exists(po_path):
        known = {(e.msgctxt, e.msgid): e.msgstr for e in polib.pofile(po_path) if e.msgstr}
    po = polib.POFile()
    po.metadata = {
        "Project-Id-Version": "Odoo Server 18.0",
        "Last-Translator": "",
        "Language-Team": "",
        "Language": "fr",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "",
        "Plural-Forms": "nplurals=2; plural=(n > 1);",
    }
    missing = 0
    for entry in pot:
        entry.msgstr = known.get((entry.msgctxt, entry.msgid)) or glossary.get(entry.msgid, "")
        missing += not entry.msgstr
        po.append(entry)
    po.save(po_path)
    print(f"[i18n] {addon}: {len(po)} terms, {missing} without French translation -> {po_path}")


def main():
    config, database, *addons = sys.argv[1:]
    odoo.tools.config.parse_config(["-c", config, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(database)
    glossary = odoo_glossary()
    with registry.cursor() as cr:
        for addon in addons:
            refresh(cr, addon, glossary)


if __name__ == "__main__":
    main()

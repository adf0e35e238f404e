{
    "name": "One-off SEPA Direct Debit on the Portal",
    "summary": "Customers pay their balance by signing a one-off SEPA direct debit mandate on the portal",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Bank Collect Addons",
    "depends": ["account", "portal", "mail"],
    "external_dependencies": {"python": ["schwifty", "sepaxml"]},
    "data": [
        "security/sepa_oneoff_security.xml",
        "security/ir.model.access.csv",
        "views/sepa_oneoff_mandate_views.xml",
        "views/sepa_oneoff_menus.xml",
    ],
    "installable": True,
    "application": False,
}

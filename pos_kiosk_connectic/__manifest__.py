{
    "name": "Connectic Payment Kiosk",
    "summary": "Nightly SFTP exchange with a payment kiosk: customer balances out, payments in",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Bank Collect Addons",
    "depends": ["account", "mail"],
    "external_dependencies": {"python": ["paramiko"]},
    "data": [
        "security/connectic_kiosk_security.xml",
        "security/ir.model.access.csv",
        "views/connectic_kiosk_views.xml",
        "views/connectic_kiosk_menus.xml",
    ],
    "installable": True,
    "application": False,
}

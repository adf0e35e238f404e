{
    "name": "Connectic Payment Kiosk",
    "summary": "Nightly SFTP exchange with a payment kiosk: customer balances out, payments in",
    "version": "18.0.1.1.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Bank Collect Addons",
    "maintainers": ["bank-collect-addons"],
    "website": "https://github.com/bank-collect-addons/odoo-bank-collect",
    "depends": ["account", "mail"],
    "external_dependencies": {"python": ["paramiko", "pytz", "markupsafe", "reportlab"]},
    "data": [
        "security/connectic_kiosk_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "views/connectic_kiosk_file_views.xml",
        "views/connectic_kiosk_views.xml",
        "wizards/connectic_kiosk_import_wizard_views.xml",
        "views/account_payment_views.xml",
        "views/connectic_kiosk_menus.xml",
        "report/connectic_reports.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "pos_kiosk_connectic/static/tests/tours/*.js",
        ],
    },
}

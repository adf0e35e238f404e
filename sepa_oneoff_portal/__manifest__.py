{
    "name": "One-off SEPA Direct Debit on the Portal",
    "summary": "Customers pay their balance by signing a one-off SEPA direct debit mandate on the portal",
    "version": "18.0.1.1.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Bank Collect Addons",
    "maintainers": ["bank-collect-addons"],
    "website": "https://github.com/bank-collect-addons/odoo-bank-collect",
    "depends": ["account", "portal", "mail"],
    "external_dependencies": {
        "python": ["schwifty", "sepaxml", "text_unidecode", "lxml", "stdnum", "psycopg2", "markupsafe", "pytz"],
    },
    "data": [
        "security/sepa_oneoff_security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence_data.xml",
        "data/ir_cron_data.xml",
        "data/mail_template_data.xml",
        "report/sepa_oneoff_mandate_report.xml",
        "wizards/sepa_oneoff_post_wizard_views.xml",
        "wizards/sepa_oneoff_mandate_cancel_views.xml",
        "views/res_company_views.xml",
        "views/sepa_oneoff_mandate_views.xml",
        "views/sepa_oneoff_batch_views.xml",
        "views/account_payment_views.xml",
        "views/portal_templates.xml",
        "views/sepa_oneoff_menus.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "sepa_oneoff_portal/static/src/js/sepa_oneoff_form.js",
        ],
        "web.assets_tests": [
            "sepa_oneoff_portal/static/tests/tours/*.js",
        ],
    },
}

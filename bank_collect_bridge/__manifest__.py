{
    "name": "Bank Collection (Bridge)",
    "summary": "Nightly bank transactions from the Bridge aggregator into bank journals",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Bank Collect Addons",
    "depends": ["account", "portal", "mail"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/bank_collect_security.xml",
        "security/ir.model.access.csv",
        "views/bank_collect_provider_views.xml",
        "views/bank_collect_menus.xml",
    ],
    "installable": True,
    "application": False,
}

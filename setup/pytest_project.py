"""pytest plugin of the project, loaded by setup/test.sh (-p pytest_project)."""
import logging


class _DropTestFrameworkImportWarning(logging.Filter):
    # pytest-odoo imports odoo.tests before enabling Odoo's test mode (enabling it globally would
    # run every addon's at_install tests on registry load); Odoo then logs a harmless error.
    def filter(self, record):
        return "Importing test framework" not in record.getMessage()


logging.getLogger("odoo.tests.common").addFilter(_DropTestFrameworkImportWarning())

"""pytest plugin of the project, loaded by setup/test.sh (-p pytest_project)."""
import logging


class _DropTestFrameworkImportWarning(logging.Filter):
    # pytest-odoo imports odoo.tests before enabling Odoo's test mode (enabling it globally would
    # run every addon's at_install tests on registry load); Odoo then logs a harmless error.
    def filter(self, record):
        return "Importing test framework" not in record.getMessage()


logging.getLogger("odoo.tests.common").addFilter(_DropTestFrameworkImportWarning())


def _serialize_ast_parse():
    # CPython < 3.11.8 (gh-106905): two threads building AST objects at once can raise
    # "SystemError: AST constructor recursion depth mismatch". HttpCase runs Odoo's HTTP server in
    # threads beside the test thread, and both parse (manifests, literal_eval...): one lock avoids it.
    import ast
    import sys
    import threading

    if sys.version_info >= (3, 11, 8) or getattr(ast.parse, "_serialized", False):
        return
    lock = threading.RLock()
    parse = ast.parse

    def serialized_parse(*args, **kwargs):
        with lock:
            return parse(*args, **kwargs)

    serialized_parse._serialized = True
    ast.parse = serialized_parse


_serialize_ast_parse()

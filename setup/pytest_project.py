"""pytest plugin of the project, loaded by setup/test.sh (-p pytest_project)."""
import logging
import os


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


def pytest_addoption(parser):
    parser.addoption(
        "--frozen-now", default=os.environ.get("TEST_FROZEN_NOW") or None, metavar="ISO_DATETIME",
        help="run the whole suite on this date and time (UTC, e.g. 2028-02-29T09:00): the clock starts there "
             "and ticks; processes the tests start follow it through TEST_CLOCK_OFFSET",
    )


def pytest_configure(config):
    frozen_now = config.getoption("--frozen-now")
    if not frozen_now:
        return
    # Every date a test or the code takes (datetime, time, Odoo's test cursors) comes from this one
    # clock, so the suite proves it passes on any day. tick=True keeps timeouts and sleeps working.
    import datetime

    import freezegun

    start = datetime.datetime.fromisoformat(frozen_now)
    offset = (start - datetime.datetime.utcnow()).total_seconds()
    os.environ["TEST_CLOCK_OFFSET"] = str(offset)
    freezer = freezegun.freeze_time(start, tick=True)
    freezer.start()
    config.add_cleanup(freezer.stop)
    logging.getLogger(__name__).warning("whole suite on a frozen clock starting at %s UTC", start)


def pytest_report_header(config):
    frozen_now = config.getoption("--frozen-now")
    return [f"frozen clock: {frozen_now} UTC (ticking)"] if frozen_now else []

import threading
from contextlib import contextmanager
from datetime import timedelta

from odoo import api, fields, models

RETENTION_DAYS = 30
# Calls made during a collection, kept aside until its savepoint is over (per thread: a
# collection runs in one request or cron thread).
_collection_calls = threading.local()


class BankCollectApiLog(models.Model):
    """Debug log of the calls to the aggregator's API, for administrators (BC-14): method, path
    without query string, HTTP status, duration and error code; never a header, token or secret."""

    _name = "bank.collect.api.log"
    _description = "Aggregator API call"
    _order = "id desc"
    _rec_name = "path"

    provider_id = fields.Many2one("bank.collect.provider", readonly=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="provider_id.company_id", store=True)
    date = fields.Datetime(string="Time", required=True, readonly=True, default=fields.Datetime.now, index=True)
    method = fields.Char(readonly=True)
    path = fields.Char(readonly=True)
    status = fields.Integer(string="HTTP status", readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 3))
    error_code = fields.Char(readonly=True)

    @api.model
    def _record(self, provider, method, path, status, duration, error_code):
        values = {
            "provider_id": provider.id,
            "date": fields.Datetime.now(),
            "method": method,
            "path": path,
            "status": status or 0,
            "duration": duration,
            "error_code": error_code or False,
        }
        pending = getattr(_collection_calls, "rows", None)
        if pending is not None:
            pending.append(values)
        else:
            self.sudo().create(values)

    @api.model
    @contextmanager
    def _during_collection(self):
        """A failed collection rolls back what it wrote, and its failed calls are the ones
        worth reading: the calls are written when it is over, in one batch."""
        outer = getattr(_collection_calls, "rows", None)
        _collection_calls.rows = rows = []
        try:
            yield
        finally:
            _collection_calls.rows = outer
        if rows:
            self.sudo().create(rows)

    @api.autovacuum
    def _gc_old_calls(self):
        self.env.cr.execute(
            "DELETE FROM bank_collect_api_log WHERE date < %s",
            [fields.Datetime.now() - timedelta(days=RETENTION_DAYS)],
        )

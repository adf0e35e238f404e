import datetime

from odoo import api, fields, models


class SepaOneoffFormAttempt(models.Model):
    """One submission of the portal form by a user, counted to rate-limit the form step (SO-10):
    each submission checks an IBAN and reserves a mandate reference."""

    _name = "sepa.oneoff.form.attempt"
    _description = "One-off direct debit form submission"
    _log_access = False

    user_id = fields.Many2one("res.users", required=True, index=True, ondelete="cascade")
    submitted_at = fields.Datetime(string="Submitted at", required=True, index=True, default=fields.Datetime.now)

    @api.model
    def _sepa_oneoff_register(self, user, company):
        """Count this submission of `user`; False when the hourly limit is already reached (the
        refused submission is not counted)."""
        since = fields.Datetime.now() - datetime.timedelta(hours=1)
        model = self.sudo()
        if model.search_count([("user_id", "=", user.id), ("submitted_at", ">=", since)]) \
                >= company.sepa_oneoff_form_rate_limit:
            return False
        model.create({"user_id": user.id})
        return True

    @api.autovacuum
    def _gc_sepa_oneoff_attempts(self):
        self.sudo().search([("submitted_at", "<", fields.Datetime.now() - datetime.timedelta(days=1))]).unlink()

from odoo import Command, fields, models


class SepaOneoffMandateCancel(models.TransientModel):
    """Cancel signed mandates not yet sent to the bank, saying why (SO-10)."""

    _name = "sepa.oneoff.mandate.cancel"
    _description = "Cancel one-off direct debit mandates"

    mandate_ids = fields.Many2many(
        "sepa.oneoff.mandate", string="Mandates", required=True, default=lambda self: self._default_mandates(),
    )
    reason = fields.Text(required=True)

    def _default_mandates(self):
        context = self.env.context
        ids = context.get("active_ids", []) if context.get("active_model") == "sepa.oneoff.mandate" else []
        return [Command.set(ids)]

    def action_confirm(self):
        self.ensure_one()
        self.mandate_ids.action_sepa_oneoff_cancel(self.reason)
        return {"type": "ir.actions.act_window_close"}

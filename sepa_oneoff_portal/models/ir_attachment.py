from odoo import api, models
from odoo.exceptions import UserError

MANDATE_MODEL = "sepa.oneoff.mandate"


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _sepa_oneoff_check_evidence_untouched(self):
        """The signed mandate's PDF on the mandate is the creditor's evidence of the debtor's consent
        (SO-10): once stored, no user replaces, moves or deletes it (the mandate itself is immutable).
        The superuser (the signature step, Odoo's mail internals) is not a caller JSON-RPC can become."""
        if not self.env.su and any(attachment.res_model == MANDATE_MODEL for attachment in self.sudo()):
            raise UserError(self.env._(
                "The signed mandate document is the proof of the debtor's consent: it cannot be changed or deleted."
            ))

    def write(self, vals):
        self._sepa_oneoff_check_evidence_untouched()
        if vals.get("res_model") == MANDATE_MODEL and not self.env.su:
            raise UserError(self.env._("Only the signature stores the signed mandate document."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sepa_oneoff_evidence(self):
        self._sepa_oneoff_check_evidence_untouched()

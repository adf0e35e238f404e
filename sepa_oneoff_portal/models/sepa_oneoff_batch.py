from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

# the file as sent and the receipts it debits (the chatter stays open)
_FILE_FIELDS = frozenset({
    "name", "company_id", "pain_version", "collection_date", "payment_ids", "payment_count", "amount_total",
    "xml_file", "xml_filename",
})


class SepaOneoffBatch(models.Model):
    """One generated pain.008 file of one-off direct debits (SO-8), kept for download."""

    _name = "sepa.oneoff.batch"
    _description = "One-off SEPA direct debit file"
    _inherit = ["mail.thread"]
    _order = "id desc"
    # users only read files (the attachment of the XML follows the file's write right); they may
    # still comment on them
    _mail_post_access = "read"

    name = fields.Char(string="Message id", required=True, readonly=True, copy=False)
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    pain_version = fields.Selection(
        selection=lambda self: self.env["res.company"]._fields["sepa_pain_version"].selection,
        required=True, readonly=True,
    )
    collection_date = fields.Date(required=True, readonly=True)
    payment_ids = fields.One2many("account.payment", "sepa_oneoff_batch_id", string="Receipts", readonly=True)
    payment_count = fields.Integer(string="Debits", readonly=True)
    amount_total = fields.Monetary(string="Total", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    xml_file = fields.Binary(string="pain.008 file", attachment=True, readonly=True)
    xml_filename = fields.Char(readonly=True)

    _sql_constraints = [
        ("name_company_unique", "unique(company_id, name)", "A SEPA message id must be unique per company."),
    ]

    # A file is what was sent to the bank: made only by the receipts' export, then never changed
    # nor deleted (its receipts would be free to be exported a second time).
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("A direct debit file is made only by generating it from its receipts."))
        return super().create(vals_list)

    def write(self, vals):
        if _FILE_FIELDS.intersection(vals) and self:
            raise UserError(self.env._("A direct debit file sent to the bank cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        if self:
            raise UserError(self.env._("A direct debit file sent to the bank cannot be deleted."))

from odoo import fields, models


class SepaOneoffBatch(models.Model):
    """One generated pain.008 file of one-off direct debits (SO-8), kept for download."""

    _name = "sepa.oneoff.batch"
    _description = "One-off SEPA direct debit file"
    _inherit = ["mail.thread"]
    _order = "id desc"

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

from odoo import fields, models


class SepaOneoffMandate(models.Model):
    """A one-off (OOFF) SEPA direct debit mandate signed by a customer on the portal (SO-5)."""

    _name = "sepa.oneoff.mandate"
    _description = "One-off SEPA direct debit mandate"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(string="Mandate reference (RUM)", required=True, readonly=True, copy=False)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, readonly=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    iban = fields.Char(string="IBAN", required=True, readonly=True)
    bic = fields.Char(string="BIC", readonly=True)
    amount = fields.Monetary(required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        [("signed", "Signed"), ("exported", "Exported"), ("collected", "Collected"),
         ("returned", "Returned"), ("cancelled", "Cancelled")],
        default="signed",
        required=True,
        tracking=True,
    )
    payment_id = fields.Many2one("account.payment", string="Receipt", readonly=True, copy=False)

    _sql_constraints = [
        ("name_company_unique", "unique(company_id, name)", "A mandate reference must be unique per company."),
    ]


from markupsafe import Markup

from odoo import api, fields, models

from ..sepa import bank
from ..sepa.target_calendar import add_target_days


class SepaOneoffMandate(models.Model):
    """A one-off (OOFF) SEPA direct debit mandate signed by a customer on the portal (SO-5)."""

    _name = "sepa.oneoff.mandate"
    _description = "One-off SEPA direct debit mandate"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(string="Mandate reference (RUM)", required=True, readonly=True, copy=False)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, readonly=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True, index=True)
    civility = fields.Selection([("mr", "Mr."), ("mrs", "Mrs.")], readonly=True)
    lastname = fields.Char(string="Last name", readonly=True)
    firstname = fields.Char(string="First name", readonly=True)
    company_name = fields.Char(string="Company name", readonly=True)
    email = fields.Char(string="E-mail", readonly=True)
    debtor_name = fields.Char(compute="_compute_debtor_name", store=True, string="Debtor")
    iban = fields.Char(string="IBAN", required=True, readonly=True, groups="account.group_account_invoice")
    iban_masked = fields.Char(string="IBAN (masked)", compute="_compute_iban_masked")
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
    payment_id = fields.Many2one("account.payment", string="Receipt", readonly=True, copy=False, index="btree_not_null")
    collection_date = fields.Date(readonly=True, help="Due date announced to the debtor in the pre-notification.")
    # proof of signature (kept as shown to the debtor)
    signed_at = fields.Datetime(readonly=True)
    signed_ip = fields.Char(string="Signed from IP", readonly=True)
    signed_user_agent = fields.Char(string="Signed with browser", readonly=True)
    signed_user_id = fields.Many2one("res.users", string="Signed by portal user", readonly=True, index="btree_not_null")
    creditor_name = fields.Char(readonly=True)
    creditor_address = fields.Char(readonly=True)
    creditor_identifier = fields.Char(string="Creditor identifier (ICS)", readonly=True)
    mandate_text = fields.Text(string="Text signed", readonly=True)
    request_token = fields.Char(readonly=True, copy=False, help="Form token: a double submit gives one mandate.")

    _sql_constraints = [
        ("name_company_unique", "unique(company_id, name)", "A mandate reference must be unique per company."),
        ("request_token_unique", "unique(request_token)", "This request was already signed."),
        ("amount_positive", "CHECK(amount > 0)", "The amount of a mandate must be positive."),
    ]

    @api.depends("lastname", "firstname", "company_name", "partner_id")
    def _compute_debtor_name(self):
        for mandate in self:
            person = " ".join(filter(None, (mandate.lastname, mandate.firstname)))
            mandate.debtor_name = mandate.company_name or person or mandate.partner_id.name

    @api.depends("name")
    def _compute_iban_masked(self):
        for mandate, iban in zip(self, self.sudo().mapped("iban"), strict=True):
            mandate.iban_masked = bank.mask_iban(iban)

    @api.model
    def _sepa_oneoff_new_reference(self):
        """A new RUM: uppercase letters, digits and '-' only, at most 35 characters."""
        return self.env["ir.sequence"].sudo().next_by_code("sepa.oneoff.mandate")

    @api.model
    def _sepa_oneoff_collection_date(self, company, start=None):
        start = start or fields.Date.context_today(self)
        return add_target_days(start, company.sepa_oneoff_lead_days)

    def _sepa_oneoff_authorisation_text(self, creditor_name=None):
        creditor_name = creditor_name or self.creditor_name
        return self.env._(
            "By signing this mandate form, you authorise %(creditor)s to send instructions to your bank to "
            "debit your account and your bank to debit your account in accordance with the instructions "
            "from %(creditor)s.", creditor=creditor_name,
        )

    @api.model
    def _sepa_oneoff_refund_text(self):
        return self.env._(
            "As part of your rights, you are entitled to a refund from your bank under the terms and "
            "conditions of your agreement with your bank. A refund must be claimed within 8 weeks starting "
            "from the date on which your account was debited."
        )

    @api.model
    def _sepa_oneoff_sign(self, values):
        """Create the signed mandate (superuser: portal users cannot write mandates), then its draft
        receipt, the debtor's e-mail and the activity of the requests' user."""
        company = self.env["res.company"].browse(values["company_id"])
        creditor_name = company._sepa_oneoff_creditor_name()
        address = company._sepa_oneoff_creditor_address()
        mandate = self.sudo().create({
            **values,
            "creditor_name": creditor_name,
            "creditor_address": " ".join(filter(None, (address["street"], address["postcode"], address["town"]))),
            "creditor_identifier": company.sepa_creditor_identifier,
            "collection_date": self._sepa_oneoff_collection_date(company),
            "signed_at": fields.Datetime.now(),
            "mandate_text": "\n\n".join((
                self._sepa_oneoff_authorisation_text(creditor_name), self._sepa_oneoff_refund_text(),
            )),
        })
        mandate._sepa_oneoff_create_receipts()
        mandate._sepa_oneoff_notify()
        return mandate

    def _sepa_oneoff_receipt_values(self):
        self.ensure_one()
        journal = self.company_id._sepa_oneoff_collection_journal()
        return {
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": self.partner_id.commercial_partner_id.id,
            "amount": self.amount,
            "currency_id": self.currency_id.id,
            "date": self.collection_date or fields.Date.context_today(self),
            "journal_id": journal.id,
            "company_id": self.company_id.id,
            "memo": self.env._("One-off direct debit %(rum)s", rum=self.name),
            "sepa_oneoff_mandate_id": self.id,
        }

    def _sepa_oneoff_create_receipts(self):
        """Draft receipts in the collection draft for the signed mandates that have none yet."""
        if not self:
            return self.env["account.payment"]
        # several cron workers, or a cron and a click, may run this at once: lock the mandates
        # (skipping those another transaction holds) and read their receipt again under the lock
        self.env.cr.execute(
            "SELECT id FROM sepa_oneoff_mandate WHERE id IN %s AND payment_id IS NULL FOR UPDATE SKIP LOCKED",
            [tuple(self.ids)],
        )
        locked = self.browse([row[0] for row in self.env.cr.fetchall()])
        locked.invalidate_recordset(["payment_id"])
        todo = locked.sudo().filtered(lambda m: m.state == "signed" and not m.payment_id)
        if not todo:
            return self.env["account.payment"]
        payments = self.env["account.payment"].sudo().create([m._sepa_oneoff_receipt_values() for m in todo])
        for mandate, payment in zip(todo, payments, strict=True):
            mandate.payment_id = payment
        return payments

    @api.model
    def _cron_sepa_oneoff_create_missing_receipts(self):
        """Nightly catch-up (SO-7): a mandate signed while the receipt creation failed gets it now."""
        mandates = self.sudo().search([("state", "=", "signed"), ("payment_id", "=", False)])
        return mandates._sepa_oneoff_create_receipts()

    def _sepa_oneoff_notify(self):
        template = self.env.ref("sepa_oneoff_portal.mail_template_sepa_oneoff_signed")
        for mandate in self.sudo():
            user = mandate.company_id.sepa_oneoff_user_id or mandate.partner_id.commercial_partner_id.user_id
            if user:
                mandate.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=user.id,
                    summary=self.env._("One-off direct debit signed: %(rum)s", rum=mandate.name),
                    note=Markup("<p>%s</p>") % self.env._(
                        "%(debtor)s signed a one-off direct debit of %(amount)s %(currency)s, due on %(date)s.",
                        debtor=mandate.debtor_name, amount=mandate.amount,
                        currency=mandate.currency_id.name, date=mandate.collection_date,
                    ),
                )
            # the signed mandate is kept on the record as proof and sent to the debtor
            attachment = self.env["ir.attachment"].sudo().create({
                "name": f"{mandate.name}.pdf",
                "raw": mandate._sepa_oneoff_mandate_pdf(),
                "mimetype": "application/pdf",
                "res_model": mandate._name,
                "res_id": mandate.id,
            })
            if mandate.email:
                template.send_mail(
                    mandate.id, email_layout_xmlid="mail.mail_notification_light",
                    email_values={"attachment_ids": [(4, attachment.id)]},
                )

    def _sepa_oneoff_mandate_pdf(self):
        """The signed mandate as PDF: Odoo's QWeb report when wkhtmltopdf is available, otherwise
        the same content drawn with reportlab."""
        self.ensure_one()
        report = self.env["ir.actions.report"]
        if report.get_wkhtmltopdf_state() == "ok":
            return report._render_qweb_pdf("sepa_oneoff_portal.action_report_sepa_oneoff_mandate", self.ids)[0]
        from ..report.mandate_pdf import render_mandate_pdf
        return render_mandate_pdf(self.env._("SEPA Direct Debit Mandate"), self._sepa_oneoff_summary_rows(),
                                  (self.mandate_text or "").split("\n\n"))

    def _sepa_oneoff_summary_rows(self):
        self.ensure_one()
        return [
            (self.env._("Creditor"), f"{self.creditor_name} {self.creditor_address or ''}".strip()),
            (self.env._("Creditor identifier (ICS)"), self.creditor_identifier or ""),
            (self.env._("Debtor"), self.debtor_name or ""),
            (self.env._("IBAN"), self.iban_masked),
            (self.env._("BIC"), self.bic or ""),
            (self.env._("Mandate reference (RUM)"), self.name),
            (self.env._("Payment type"), self.env._("One-off payment")),
            (self.env._("Amount"), f"{self.amount:.2f} {self.currency_id.name}"),
            (self.env._("Collection date"), str(self.collection_date or "")),
            (self.env._("Signed at"), f"{self.signed_at} UTC"),
        ]

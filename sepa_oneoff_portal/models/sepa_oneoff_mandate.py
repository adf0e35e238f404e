import datetime

import pytz
from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare

from ..sepa import bank
from ..sepa.target_calendar import add_target_days

# What the debtor signed: fixed for good once the mandate exists (SO-5, SO-10), whoever asks.
SIGNED_FIELDS = frozenset({
    "name", "company_id", "partner_id", "civility", "lastname", "firstname", "company_name", "email",
    "debtor_name", "debtor_street", "debtor_zip", "debtor_city", "debtor_country_id", "iban", "bic", "amount",
    "collection_date", "signed_at", "signed_place", "signed_ip", "signed_user_agent", "signed_user_id",
    "creditor_name", "creditor_address", "creditor_identifier", "mandate_text", "request_token",
})
# Follow the debit (export, posting, return, cancel): only this module's own steps change them.
WORKFLOW_FIELDS = frozenset({"state", "payment_id"})


def check_backoffice_access(records, operation, other_company_message):
    """Public actions that go on as superuser check first that the caller is a billing user allowed
    on these very records (mandates or receipts), in the companies of the request."""
    if records.env.su:
        return
    if not records.env.user.has_group("account.group_account_invoice"):
        raise AccessError(records.env._("Only invoicing users can manage one-off direct debits."))
    records.check_access(operation)
    if records.company_id - records.env.companies:
        raise AccessError(other_company_message)


class SepaOneoffRefused(ValidationError):
    """A new mandate refused by the rules of SO-3/SO-10; ``field`` is the form field the message
    belongs next to on the portal."""

    def __init__(self, message, field="form"):
        super().__init__(message)
        self.field = field


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
    # the debtor's address as signed: on the mandate, and structured in pain.008.001.08 (required by the
    # rulebook when the debtor's bank is outside the EEA)
    debtor_street = fields.Char(string="Debtor street", readonly=True)
    debtor_zip = fields.Char(string="Debtor postcode", readonly=True)
    debtor_city = fields.Char(string="Debtor town", readonly=True)
    debtor_country_id = fields.Many2one("res.country", string="Debtor country", readonly=True)
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
    signed_place = fields.Char(string="Place of signature", readonly=True)
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

    # ------------------------------------------------------------------ integrity (SO-5, SO-10)
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            # a back-office user creating a mandate over RPC: the portal's rules apply, and the
            # evidence names who really entered it (the signature path itself creates as superuser,
            # after the same check)
            now = fields.Datetime.now()
            vals_list = [dict(vals, signed_at=now, signed_user_id=self.env.uid, signed_ip=False,
                              signed_user_agent=False, request_token=False) for vals in vals_list]
            for vals in vals_list:
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                partner = self.env["res.partner"].browse(vals.get("partner_id"))
                partner.check_access("read")
                self._sepa_oneoff_check_signable(partner, company, vals.get("amount") or 0.0, self.env.user)
        return super().create(vals_list)

    def write(self, vals):
        self.check_access("write")  # who may not write at all hears so first
        signed = SIGNED_FIELDS.intersection(vals)
        if signed and self:
            raise UserError(self.env._(
                "A signed mandate cannot be changed (%(fields)s): cancel it and have the customer sign a new one.",
                fields=", ".join(sorted(signed)),
            ))
        if WORKFLOW_FIELDS.intersection(vals) and not self.env.su:
            raise AccessError(self.env._(
                "The state of a mandate follows its direct debit (file, posting, return); "
                "to stop it, use Cancel, which keeps a trace."
            ))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_signed(self):
        if self:
            raise UserError(self.env._(
                "A signed mandate is the proof of the debtor's consent: it cannot be deleted, only cancelled."
            ))

    def action_sepa_oneoff_cancel(self, reason):
        """Cancel mandates not yet sent to the bank, with their draft receipts; the chatter keeps
        who cancelled, when and why."""
        self._sepa_oneoff_check_backoffice_access("write")
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why the mandate is cancelled."))
        not_signed = self.filtered(lambda m: m.state != "signed")
        if not_signed:
            raise UserError(self.env._(
                "Only mandates not yet in a direct debit file can be cancelled; a debit sent to the bank can "
                "only be returned: %(names)s.", names=", ".join(not_signed.mapped("name")),
            ))
        self.payment_id.filtered(lambda p: p.state == "draft").action_cancel()
        self.sudo().write({"state": "cancelled"})
        now = fields.Datetime.now()
        for mandate in self:
            # the chatter is read by the firm: its language and time zone, whatever the caller's context
            local = mandate._sepa_oneoff_company_env()
            mandate.message_post(body=local._(
                "Mandate cancelled by %(user)s on %(date)s. Reason: %(reason)s",
                user=self.env.user.name, date=mandate._sepa_oneoff_format_datetime(now, local), reason=reason,
            ))
        return True

    def _sepa_oneoff_check_backoffice_access(self, operation):
        check_backoffice_access(
            self, operation, self.env._("These mandates belong to a company you are not working in.")
        )

    # ------------------------------------------------------------------ documents in the reader's language
    def _sepa_oneoff_tz(self):
        """The company's time zone: its partner's, else its country's (Europe/Paris for France)."""
        self.ensure_one()
        company = self.company_id
        if company.partner_id.tz:
            return company.partner_id.tz
        zones = pytz.country_timezones.get(company.country_id.code or "", [])
        return zones[0] if zones else "UTC"

    def _sepa_oneoff_company_env(self, partner=None):
        """An environment in the language of `partner` (else the company's), for texts written from a
        cron or an RPC call that carries no language."""
        self.ensure_one()
        lang = (partner and partner.lang) or self.company_id.partner_id.lang or self.env.lang or "en_US"
        return self.with_context(lang=lang, tz=self._sepa_oneoff_tz()).env

    def _sepa_oneoff_format_datetime(self, value, env=None):
        """A UTC datetime as the company's local date and time, in `env`'s language (07/12/2026 14:05)."""
        env = env or self.env
        return tools.format_datetime(env, value, tz=self._sepa_oneoff_tz(), dt_format="short")

    def _sepa_oneoff_debtor_address_lines(self):
        self.ensure_one()
        town = " ".join(filter(None, (self.debtor_zip, self.debtor_city)))
        return [line for line in (self.debtor_street, town, self.debtor_country_id.name) if line]

    def _sepa_oneoff_pain_address(self):
        """The debtor's address for the pain.008 file, or None when none was signed."""
        self.ensure_one()
        if not self.debtor_country_id:
            return None
        return {"street": self.debtor_street or "", "postcode": self.debtor_zip or "",
                "town": self.debtor_city or "", "country": self.debtor_country_id.code}

    # ------------------------------------------------------------------ signature rules (SO-3, SO-10)
    @api.model
    def _sepa_oneoff_lock_customer(self, commercial):
        """Serialize the signatures of one customer.

        Odoo's transactions are REPEATABLE READ: a plain row lock would make a concurrent signature
        wait, then check against its old snapshot, which misses the mandate just committed. Updating
        the row (to the same value) takes the lock and makes that transaction fail with a
        serialization error once the first one commits; Odoo replays the request on a fresh
        snapshot, where the balance includes the new mandate."""
        self.env.cr.execute("UPDATE res_partner SET write_date = write_date WHERE id = %s", [commercial.id])

    @api.model
    def _sepa_oneoff_rate_limit_reached(self, user, company):
        since = fields.Datetime.now() - datetime.timedelta(hours=1)
        count = self.sudo().search_count([("signed_user_id", "=", user.id), ("signed_at", ">=", since)])
        return count >= company.sepa_oneoff_rate_limit

    @api.model
    def _sepa_oneoff_check_signable(self, partner, company, amount, user=None):
        """Refuse a new mandate beyond the customer's balance due (receivable minus the mandates not
        yet collected) or beyond the signatures allowed per hour; run in the transaction that creates
        the mandate, under the customer's lock."""
        commercial = partner.commercial_partner_id
        if not commercial:
            raise SepaOneoffRefused(self.env._("A mandate needs a customer."))
        if commercial.sudo().company_id and commercial.sudo().company_id != company:
            raise SepaOneoffRefused(self.env._("This customer belongs to another company."))
        self._sepa_oneoff_lock_customer(commercial)
        due = commercial._sepa_oneoff_balance_due(company)
        if float_compare(amount, due, precision_rounding=company.currency_id.rounding) > 0:
            raise SepaOneoffRefused(self.env._(
                "The amount cannot exceed your balance due (%(due)s).",
                due=tools.format_amount(self.env, due, company.currency_id),
            ), field="amount")
        if user and self._sepa_oneoff_rate_limit_reached(user, company):
            raise SepaOneoffRefused(self.env._(
                "You have already signed %(count)s direct debit mandates in the last hour; try again later.",
                count=company.sepa_oneoff_rate_limit,
            ))

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
        receipt, the debtor's e-mail and the activity of the requests' user. Refused beyond the
        balance due or the hourly limit (SepaOneoffRefused)."""
        company = self.env["res.company"].browse(values["company_id"])
        self._sepa_oneoff_check_signable(
            self.env["res.partner"].browse(values["partner_id"]), company, values["amount"],
            self.env["res.users"].browse(values.get("signed_user_id")),
        )
        creditor_name = company._sepa_oneoff_creditor_name()
        address = company._sepa_oneoff_creditor_address()
        mandate = self.sudo().create({
            **values,
            "creditor_name": creditor_name,
            "creditor_address": " ".join(filter(None, (address["street"], address["postcode"], address["town"]))),
            "creditor_identifier": company.sepa_creditor_identifier,
            "collection_date": self._sepa_oneoff_collection_date(company),
            "signed_at": fields.Datetime.now(),
            # signed online: the place is the debtor's town as given, else the customer's
            "signed_place": values.get("signed_place") or values.get("debtor_city")
            or self.env["res.partner"].browse(values["partner_id"]).commercial_partner_id.city or False,
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
                # written in the language of the user who will read it (a portal request carries the
                # customer's language, the nightly cron none)
                local = mandate._sepa_oneoff_company_env(user.partner_id)
                mandate.activity_schedule(
                    "mail.mail_activity_data_todo",
                    user_id=user.id,
                    summary=local._("One-off direct debit signed: %(rum)s", rum=mandate.name),
                    note=Markup("<p>%s</p>") % local._(
                        "%(debtor)s signed a one-off direct debit of %(amount)s, due on %(date)s.",
                        debtor=mandate.debtor_name,
                        amount=tools.format_amount(local, mandate.amount, mandate.currency_id),
                        date=tools.format_date(local, mandate.collection_date),
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
        """The signed mandate as PDF: Odoo's QWeb report printed by wkhtmltopdf (installed by setup),
        in the debtor's language. The one rendering of the mandate, for the debtor and the evidence."""
        self.ensure_one()
        return self.env["ir.actions.report"]._render_qweb_pdf(
            "sepa_oneoff_portal.action_report_sepa_oneoff_mandate", self.ids)[0]

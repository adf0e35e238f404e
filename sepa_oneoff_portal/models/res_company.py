from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..sepa import bank
from ..sepa.pain008 import PAIN_VERSIONS


class ResCompany(models.Model):
    _inherit = "res.company"

    sepa_creditor_identifier = fields.Char(
        string="SEPA creditor identifier (ICS)",
        help="Identifier given by the bank to the creditor, e.g. FR72ZZZ123456.",
    )
    sepa_oneoff_creditor_iban = fields.Char(string="Creditor IBAN", help="Account credited by the direct debits.")
    sepa_oneoff_creditor_bic = fields.Char(string="Creditor BIC")
    sepa_oneoff_creditor_name = fields.Char(
        string="Creditor name on the mandate", help="Left empty, the company name is printed."
    )
    sepa_oneoff_creditor_street = fields.Char(string="Creditor street")
    sepa_oneoff_creditor_zip = fields.Char(string="Creditor postcode")
    sepa_oneoff_creditor_city = fields.Char(string="Creditor town")
    sepa_oneoff_creditor_country_id = fields.Many2one("res.country", string="Creditor country")
    sepa_oneoff_portal_enabled = fields.Boolean(
        string="Allow one-off direct debit on the portal",
        help="Customers with a balance due can pay it by signing a one-off SEPA direct debit mandate.",
    )
    sepa_oneoff_journal_id = fields.Many2one(
        "account.journal", string="Collection journal",
        domain="[('type', '=', 'bank'), ('company_id', 'in', [id, False])]",
        help="Bank journal of the one-off direct debit receipts.",
    )
    sepa_oneoff_user_id = fields.Many2one(
        "res.users", string="Requests handled by",
        help="Receives an activity for each signed mandate; left empty, the customer's salesperson does.",
    )
    sepa_oneoff_lead_days = fields.Integer(
        string="Collection lead time (TARGET business days)", default=3,
        help="Business days between the signature and the collection date; must cover your bank's cut-off.",
    )
    sepa_pain_version = fields.Selection(
        [(version, version) for version in PAIN_VERSIONS], string="pain.008 version",
        default="pain.008.001.08", required=True,
        help="pain.008.001.08 carries structured addresses (required from 15 Nov 2026); "
             "pain.008.001.02 is still accepted by many banks.",
    )
    sepa_oneoff_rate_limit = fields.Integer(
        string="Mandates per customer per hour", default=5,
        help="Portal submissions beyond this number in one hour are refused.",
    )
    sepa_oneoff_form_rate_limit = fields.Integer(
        string="Form submissions per customer per hour", default=30,
        help="Submissions of the portal form (before the signature) beyond this number in one hour are refused.",
    )

    def _sepa_oneoff_normalize(self, vals):
        """Store bank data in compact upper-case form."""
        for field in ("sepa_creditor_identifier", "sepa_oneoff_creditor_iban", "sepa_oneoff_creditor_bic"):
            if vals.get(field):
                vals[field] = bank.compact(vals[field])
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._sepa_oneoff_normalize(dict(vals)) for vals in vals_list])

    def write(self, vals):
        return super().write(self._sepa_oneoff_normalize(dict(vals)))

    @api.constrains("sepa_creditor_identifier", "sepa_oneoff_creditor_iban", "sepa_oneoff_creditor_bic",
                    "sepa_oneoff_portal_enabled", "sepa_oneoff_lead_days", "sepa_oneoff_rate_limit",
                    "sepa_oneoff_form_rate_limit")
    def _check_sepa_oneoff_settings(self):
        for company in self:
            if company.sepa_creditor_identifier:
                try:
                    bank.check_creditor_identifier(company.sepa_creditor_identifier)
                except bank.BankDataError:
                    raise ValidationError(self.env._(
                        "Company %(company)s: the SEPA creditor identifier %(ics)s is not valid "
                        "(expected country code, 2 check digits, business code and national identifier, "
                        "e.g. FR72ZZZ123456).", company=company.name, ics=company.sepa_creditor_identifier,
                    )) from None
            if company.sepa_oneoff_creditor_iban:
                try:
                    bank.check_iban(company.sepa_oneoff_creditor_iban)
                except bank.BankDataError:
                    raise ValidationError(self.env._(
                        "Company %(company)s: the creditor IBAN %(iban)s is not a valid IBAN of the SEPA scheme.",
                        company=company.name, iban=company.sepa_oneoff_creditor_iban,
                    )) from None
            if company.sepa_oneoff_creditor_bic:
                try:
                    bank.check_bic(company.sepa_oneoff_creditor_bic, company.sepa_oneoff_creditor_iban)
                except bank.BankDataError as error:
                    if error.code == "bic_other_bank":
                        raise ValidationError(self.env._(
                            "Company %(company)s: the creditor BIC %(bic)s belongs to another bank than the "
                            "creditor IBAN's (%(expected)s).", company=company.name,
                            bic=company.sepa_oneoff_creditor_bic,
                            expected=bank.bic_from_iban(company.sepa_oneoff_creditor_iban) or "?",
                        )) from None
                    raise ValidationError(self.env._(
                        "Company %(company)s: the creditor BIC %(bic)s is not valid or does not belong to "
                        "the country of the creditor IBAN.", company=company.name, bic=company.sepa_oneoff_creditor_bic,
                    )) from None
            if company.sepa_oneoff_portal_enabled:
                missing = [
                    label for label, value in (
                        (self.env._("SEPA creditor identifier (ICS)"), company.sepa_creditor_identifier),
                        (self.env._("Creditor IBAN"), company.sepa_oneoff_creditor_iban),
                        (self.env._("Creditor BIC"), company.sepa_oneoff_creditor_bic),
                    ) if not value
                ]
                if missing:
                    raise ValidationError(self.env._(
                        "Company %(company)s: one-off direct debit on the portal cannot be allowed while "
                        "these settings are missing: %(missing)s.", company=company.name, missing=", ".join(missing),
                    ))
            if company.sepa_oneoff_lead_days < 0 or company.sepa_oneoff_lead_days > 10:
                raise ValidationError(self.env._("The collection lead time must be between 0 and 10 business days."))
            if company.sepa_oneoff_rate_limit < 1:
                raise ValidationError(self.env._("The number of mandates per customer per hour must be at least 1."))
            if company.sepa_oneoff_form_rate_limit < 1:
                raise ValidationError(
                    self.env._("The number of form submissions per customer per hour must be at least 1.")
                )

    def _sepa_oneoff_creditor_name(self):
        self.ensure_one()
        return self.sepa_oneoff_creditor_name or self.name

    def _sepa_oneoff_creditor_address(self):
        """Address printed on the mandate and sent in the file: the creditor fields, else the company's."""
        self.ensure_one()
        if self.sepa_oneoff_creditor_street or self.sepa_oneoff_creditor_city:
            street, postcode = self.sepa_oneoff_creditor_street, self.sepa_oneoff_creditor_zip
            town, country = self.sepa_oneoff_creditor_city, self.sepa_oneoff_creditor_country_id
        else:
            street, postcode, town, country = self.street, self.zip, self.city, self.country_id
        return {"street": street or "", "postcode": postcode or "", "town": town or "",
                "country": country.code or ""}

    def _sepa_oneoff_collection_journal(self):
        self.ensure_one()
        return self.sepa_oneoff_journal_id or self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.id)], limit=1
        )

import re
import uuid
from decimal import Decimal

import psycopg2

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.tools import format_amount

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..models.sepa_oneoff_mandate import SepaOneoffRefused
from ..sepa import bank

FORM_FIELDS = ("civility", "lastname", "firstname", "company_name", "email", "amount", "iban", "bic",
               "street", "zip", "city", "country_code")
# the debtor's address, required for an account outside the EEA (street, town, country, and the
# postcode where the country has postcodes); pain.008.001.08 limits
ADDRESS_FIELDS = ("street", "zip", "city", "country_code")
REQUIRED_FIELDS = ("lastname", "firstname", "email", "amount", "iban")
PENDING_KEY = "sepa_oneoff_pending"
MAX_LENGTH = {"lastname": 70, "firstname": 70, "company_name": 70, "email": 120, "street": 70, "zip": 16, "city": 35}
# A plain amount as typed by hand: ASCII digits, optionally grouped by three with spaces (ordinary,
# no-break or narrow no-break, as French keyboards and copies give them), one decimal comma or
# point. Decimal() alone would also take 1e3, 1_000, +1000, other scripts' digits, NaN...
# The sign and the number of decimals are captured to say precisely what is wrong.
AMOUNT_PATTERN = re.compile(r"(-?)([0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+|[0-9]+)(?:[.,]([0-9]+))?")


class SepaOneoffPortal(CustomerPortal):
    """Portal pages of the one-off SEPA direct debit: entry (SO-2), form (SO-3), recap and
    signature (SO-4), confirmation (SO-5)."""

    # ------------------------------------------------------------------ helpers
    def _sepa_oneoff_context(self):
        """(company, partner, balance due) of the logged-in customer; balance 0 when not allowed."""
        user = request.env.user
        company = user.company_id
        partner = user.partner_id
        if not company.sepa_oneoff_portal_enabled or user._is_public():
            return company, partner, 0.0
        return company, partner, partner._sepa_oneoff_balance_due(company)

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        company, _partner, due = self._sepa_oneoff_context()
        values.update({"sepa_oneoff_due": due, "sepa_oneoff_currency": company.currency_id})
        return values

    def _sepa_oneoff_parse_amount(self, text):
        """The Decimal of a plain amount (AMOUNT_PATTERN), None for anything else."""
        match = AMOUNT_PATTERN.fullmatch((text or "").strip())
        if not match:
            return None
        sign, units, decimals = match.groups()
        return Decimal(f"{sign}{re.sub(r'[^0-9]', '', units)}.{decimals or '0'}")

    def _sepa_oneoff_validate(self, post, company, due):
        """Checked values and {field: message} errors; every message says what is wrong."""
        values = {name: (post.get(name) or "").strip() for name in FORM_FIELDS}
        errors = {}
        for name in REQUIRED_FIELDS:
            if not values[name]:
                errors[name] = request.env._("This field is required.")
        for name, limit in MAX_LENGTH.items():
            if len(values[name]) > limit:
                errors[name] = request.env._("At most %(limit)s characters.", limit=limit)
        if values["civility"] not in ("", "mr", "mrs"):
            errors["civility"] = request.env._("Choose a civility from the list.")
        if values["email"] and "email" not in errors and not _looks_like_email(values["email"]):
            errors["email"] = request.env._("This e-mail address is not valid.")
        if values["amount"]:
            self._sepa_oneoff_validate_amount(values, due, errors)
        self._sepa_oneoff_validate_bank(values, errors)
        self._sepa_oneoff_validate_address(values, errors)
        return values, errors

    def _sepa_oneoff_validate_address(self, values, errors):
        """Record in ``errors`` what is missing or wrong in the debtor's address."""
        values["country_code"] = values["country_code"].upper()
        country = request.env["res.country"].sudo().search([("code", "=", values["country_code"])], limit=1) \
            if values["country_code"] else None
        if values["country_code"] and not country:
            errors["country_code"] = request.env._("Choose a country from the list.")
        required = bool(values["iban"]) and "iban" not in errors and bank.address_required(values["iban"])
        # a structured address needs its country; outside the EEA the rulebook needs the whole address
        needed = ["street", "city", "country_code"] if required else (
            ["country_code"] if values["street"] or values["city"] else [])
        if required and (not country or country.zip_required):
            needed.append("zip")
        for name in needed:
            if not values[name] and name not in errors:
                errors[name] = (
                    request.env._("Your bank is outside the European Economic Area: your address is required.")
                    if required else request.env._("This field is required.")
                )

    def _sepa_oneoff_validate_amount(self, values, due, errors):
        """Record in ``errors`` what is wrong with the amount entered, if anything."""
        amount = self._sepa_oneoff_parse_amount(values["amount"])
        if amount is None:
            errors["amount"] = request.env._("Enter an amount in euros, e.g. 65.63.")
        elif amount <= 0:
            errors["amount"] = request.env._("The amount must be greater than zero.")
        elif amount.as_tuple().exponent < -2:  # as typed: 10.000 has three decimals too
            errors["amount"] = request.env._("The amount can have at most 2 decimals.")
        elif float(amount) > due + 0.001:
            errors["amount"] = request.env._(
                "The amount cannot exceed your balance due (%(due)s).",
                due=format_amount(request.env, due, request.env.user.company_id.currency_id),
            )

    def _sepa_oneoff_validate_bank(self, values, errors):
        """Check the IBAN and the BIC (found from the IBAN when left empty): ``values`` get their
        checked form, ``errors`` what is wrong."""
        iban = ""
        if values["iban"]:
            try:
                iban = bank.check_iban(values["iban"])
                values["iban"] = iban
            except bank.BankDataError as error:
                errors["iban"] = (
                    request.env._("This IBAN belongs to a country outside the SEPA direct debit scheme.")
                    if error.code == "iban_outside_sepa"
                    else request.env._("This IBAN is not valid: check its length and check digits.")
                )
        if iban and not values["bic"]:
            values["bic"] = bank.bic_from_iban(iban) or ""
            if not values["bic"]:
                errors["bic"] = request.env._("The BIC cannot be found from this IBAN: enter it.")
        elif values["bic"]:
            try:
                values["bic"] = bank.check_bic(values["bic"], iban or None)
            except bank.BankDataError as error:
                errors["bic"] = self._sepa_oneoff_bic_message(error, iban)
        elif "iban" not in errors:
            errors["bic"] = request.env._("This field is required.")

    def _sepa_oneoff_bic_message(self, error, iban):
        """The sentence shown next to the BIC for a BankDataError of bank.check_bic."""
        if error.code == "bic_mismatch":
            return request.env._("This BIC does not belong to the country of the IBAN.")
        if error.code == "bic_other_bank":
            expected = bank.bic_from_iban(iban)
            return request.env._(
                "This BIC belongs to another bank than the IBAN's (its bank's BIC is %(bic)s): "
                "check both, or leave the BIC empty to have it filled from the IBAN.", bic=expected,
            ) if expected else request.env._("This BIC belongs to another bank than the IBAN's.")
        return request.env._("This BIC is not valid (8 or 11 letters and digits, e.g. BNPAFRPPXXX).")

    def _sepa_oneoff_form_defaults(self, partner, due):
        commercial = partner.commercial_partner_id
        person = partner if not partner.is_company else None
        lastname, _sep, firstname = (person.name if person else "").partition(" ")
        return {
            "lastname": lastname, "firstname": firstname,
            "company_name": commercial.name if commercial.is_company else "",
            "email": partner.email or "", "amount": f"{due:.2f}", "iban": "", "bic": "", "civility": "",
            # the address the firm knows, to correct if needed
            "street": commercial.street or "", "zip": commercial.zip or "", "city": commercial.city or "",
            "country_code": commercial.country_id.code or "",
        }

    def _sepa_oneoff_render_form(self, values, errors, company, due, status=200):
        page = self._prepare_portal_layout_values()
        page.update({
            "page_name": "sepa_oneoff",
            "sepa_values": values,
            "sepa_errors": errors,
            "sepa_company": company,
            "sepa_due": due,
            "sepa_countries": request.env["res.country"].sudo().search([]),
        })
        return request.render("sepa_oneoff_portal.portal_sepa_oneoff_form", page, status=status)

    def _sepa_oneoff_render_recap(self, token, pending, company, errors=None):
        page = self._prepare_portal_layout_values()
        mandate_model = request.env["sepa.oneoff.mandate"]
        creditor_name = company._sepa_oneoff_creditor_name()
        address = company._sepa_oneoff_creditor_address()
        page.update({
            "page_name": "sepa_oneoff",
            "sepa_token": token,
            "sepa_pending": pending,
            "sepa_company": company,
            "sepa_creditor_name": creditor_name,
            "sepa_creditor_address": " ".join(filter(None, (address["street"], address["postcode"], address["town"]))),
            "sepa_authorisation_text": mandate_model._sepa_oneoff_authorisation_text(creditor_name),
            "sepa_refund_text": mandate_model._sepa_oneoff_refund_text(),
            "sepa_collection_date": mandate_model._sepa_oneoff_collection_date(company),
            "sepa_errors": errors or {},
            "sepa_country": request.env["res.country"].sudo().search(
                [("code", "=", pending.get("country_code") or "")], limit=1),
        })
        return request.render("sepa_oneoff_portal.portal_sepa_oneoff_recap", page, status=400 if errors else 200)

    # ------------------------------------------------------------------ routes
    @http.route("/my/sepa-oneoff", type="http", auth="user", methods=["GET", "POST"], website=True)
    def sepa_oneoff_form(self, **post):
        company, partner, due = self._sepa_oneoff_context()
        if not company.sepa_oneoff_portal_enabled or due <= 0:
            return request.redirect("/my")
        if request.httprequest.method == "GET":
            return self._sepa_oneoff_render_form(self._sepa_oneoff_form_defaults(partner, due), {}, company, due)
        # each submission checks an IBAN and reserves a RUM: limited per user, before any work
        if not request.env["sepa.oneoff.form.attempt"]._sepa_oneoff_register(request.env.user, company):
            values = {name: (post.get(name) or "").strip() for name in FORM_FIELDS}
            return self._sepa_oneoff_render_form(values, {"form": request.env._(
                "Too many submissions of this form in the last hour; try again later.",
            )}, company, due, status=429)
        values, errors = self._sepa_oneoff_validate(post, company, due)
        mandate_model = request.env["sepa.oneoff.mandate"]
        if not errors and mandate_model._sepa_oneoff_rate_limit_reached(request.env.user, company):
            errors["form"] = request.env._(
                "You have already signed %(count)s direct debit mandates in the last hour; try again later.",
                count=company.sepa_oneoff_rate_limit,
            )
        if errors:
            return self._sepa_oneoff_render_form(values, errors, company, due, status=400)
        token = uuid.uuid4().hex
        pending = dict(values, rum=mandate_model._sepa_oneoff_new_reference(),
                       amount=str(self._sepa_oneoff_parse_amount(values["amount"])))
        # the request waits in the session until signed; the RUM shown is the one signed
        stored = dict(request.session.get(PENDING_KEY) or {})
        stored = dict(list(stored.items())[-4:])
        stored[token] = pending
        request.session[PENDING_KEY] = stored
        return self._sepa_oneoff_render_recap(token, pending, company)

    @http.route("/my/sepa-oneoff/sign", type="http", auth="user", methods=["POST"], website=True)
    def sepa_oneoff_sign(self, token=None, accept=None, **post):
        company, partner, due = self._sepa_oneoff_context()
        mandate_model = request.env["sepa.oneoff.mandate"].sudo()
        if token:
            signed = mandate_model.search([("request_token", "=", token)], limit=1)
            if signed and signed.signed_user_id == request.env.user:
                # double submit: the first one made the mandate
                return request.redirect(f"/my/sepa-oneoff/{signed.id}")
        pending = (request.session.get(PENDING_KEY) or {}).get(token or "")
        if not pending or not company.sepa_oneoff_portal_enabled:
            return request.redirect("/my/sepa-oneoff")
        if not accept:
            return self._sepa_oneoff_render_recap(token, pending, company, errors={
                "accept": request.env._("Tick the box to sign the mandate."),
            })
        amount = float(pending["amount"])
        values = {
            "name": pending["rum"],
            "company_id": company.id,
            "partner_id": partner.commercial_partner_id.id,
            "civility": pending.get("civility") or False,
            "lastname": pending["lastname"],
            "firstname": pending["firstname"],
            "company_name": pending.get("company_name") or False,
            "email": pending["email"],
            "iban": pending["iban"],
            "bic": pending.get("bic") or False,
            "debtor_street": pending.get("street") or False,
            "debtor_zip": pending.get("zip") or False,
            "debtor_city": pending.get("city") or False,
            "debtor_country_id": request.env["res.country"].sudo().search(
                [("code", "=", pending.get("country_code") or "")], limit=1).id or False,
            "amount": amount,
            "signed_ip": request.httprequest.remote_addr,
            "signed_user_agent": (request.httprequest.user_agent.string or "")[:500],
            "signed_user_id": request.env.user.id,
            "request_token": token,
        }
        # the balance due and the hourly limit are checked by the model, under the customer's lock
        try:
            with request.env.cr.savepoint():
                mandate = mandate_model._sepa_oneoff_sign(values)
        except SepaOneoffRefused as refused:
            return self._sepa_oneoff_render_form(
                pending, {refused.field: refused.args[0]}, company, due, status=400,
            )
        except psycopg2.errors.UniqueViolation:
            # a concurrent submit of the same form won the race
            return request.redirect("/my")
        stored = dict(request.session.get(PENDING_KEY) or {})
        stored.pop(token, None)
        request.session[PENDING_KEY] = stored
        return request.redirect(f"/my/sepa-oneoff/{mandate.id}")

    @http.route("/my/sepa-oneoff/<int:mandate_id>", type="http", auth="user", methods=["GET"], website=True)
    def sepa_oneoff_done(self, mandate_id, **kw):
        try:
            mandate = self._document_check_access("sepa.oneoff.mandate", mandate_id)
        except (AccessError, MissingError):
            return request.not_found()
        page = self._prepare_portal_layout_values()
        page.update({"page_name": "sepa_oneoff", "mandate": mandate.sudo()})
        return request.render("sepa_oneoff_portal.portal_sepa_oneoff_done", page)

    @http.route("/my/sepa-oneoff/bic", type="json", auth="user", methods=["POST"])
    def sepa_oneoff_bic(self, iban=""):
        """The BIC derived from an IBAN, for the form to fill it while typing."""
        try:
            iban = bank.check_iban(iban)
        except bank.BankDataError:
            return {"bic": ""}
        return {"bic": bank.bic_from_iban(iban) or ""}


def _looks_like_email(value):
    local, at, domain = value.rpartition("@")
    return bool(at and local and "." in domain and " " not in value and not domain.startswith("."))

import base64
import re

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import DEMO_IBAN, SepaOneoffCommon

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN = re.compile(r'name="token" value="([0-9a-f]+)"')


@tagged("post_install", "-at_install")
class TestPortalHttp(SepaOneoffCommon, HttpCase):
    """The portal pages over real HTTP with a portal user's session: every bad input, the
    signature, double submit, rate limit and access to other customers' mandates (SO-2..SO-5, SO-10)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sepa_oneoff()

    def setUp(self):
        super().setUp()
        self.authenticate("so_client", "so_client_pw1")

    def _csrf(self, url="/my/sepa-oneoff"):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return CSRF.search(response.text).group(1)

    def _form(self, **values):
        data = {
            "civility": "mr", "lastname": "MARITON", "firstname": "Paul", "company_name": "",
            "email": "paul.mariton@example.com", "amount": "65.63", "iban": DEMO_IBAN, "bic": "",
        }
        data.update(values)
        data.setdefault("csrf_token", self._csrf())
        return self.url_open("/my/sepa-oneoff", data=data)

    def _field_error(self, response, field):
        match = re.search(rf'class="invalid-feedback" data-field="{field}">([^<]*)<', response.text)
        return match and match.group(1)

    def _mandates(self):
        return self.env["sepa.oneoff.mandate"].search([("partner_id", "=", self.customer.id)])

    def test_home_and_invoices_show_balance_and_button(self):
        for url in ("/my", "/my/invoices"):
            response = self.url_open(url)
            self.assertIn("o_sepa_oneoff_button", response.text, url)
            self.assertRegex(response.text, r"o_sepa_oneoff_due[^>]*><span[^>]*>120\.00<")
        form = self.url_open("/my/sepa-oneoff")
        self.assertIn('value="120.00"', form.text)  # amount defaults to the balance due
        self.assertIn(f'value="{self.customer.email}"', form.text)

    def test_no_button_when_disabled_or_nothing_due(self):
        self.company.sepa_oneoff_portal_enabled = False
        self.assertNotIn("o_sepa_oneoff_button", self.url_open("/my").text)
        self.assertTrue(self.url_open("/my/sepa-oneoff").url.endswith("/my"))
        self.company.sepa_oneoff_portal_enabled = True
        self._sepa_sign(amount=120.0)  # everything due is already signed for
        self.assertNotIn("o_sepa_oneoff_button", self.url_open("/my").text)

    def test_bad_inputs_shown_next_to_the_field_and_kept(self):
        cases = [
            ({"iban": "FR7630006000011234567890188"}, "iban", "not valid"),
            ({"iban": "NC8614889000000001234567800"}, "iban", "outside the SEPA"),
            ({"iban": "TR330006100519786457841326"}, "iban", "outside the SEPA"),
            ({"bic": "COBADEFFXXX"}, "bic", "does not belong"),
            ({"bic": "BNPAFRPP"}, "bic", "another bank than the IBAN"),  # a Crédit Agricole IBAN
            ({"bic": "XX"}, "bic", "not valid"),
            ({"amount": "0"}, "amount", "greater than zero"),
            ({"amount": "-5"}, "amount", "greater than zero"),
            ({"amount": "120.01"}, "amount", "cannot exceed your balance due"),
            ({"amount": "abc"}, "amount", "Enter an amount"),
            ({"amount": "10.001"}, "amount", "at most 2 decimals"),
            ({"lastname": ""}, "lastname", "required"),
            ({"firstname": ""}, "firstname", "required"),
            ({"email": ""}, "email", "required"),
            ({"email": "paul@"}, "email", "not valid"),
            ({"iban": ""}, "iban", "required"),
        ]
        for values, field, message in cases:
            with self.subTest(values=values):
                response = self._form(**values)
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, self._field_error(response, field) or "")
                # nothing typed is lost
                self.assertIn('value="MARITON"' if field != "lastname" else 'value="Paul"', response.text)
                if field != "amount":
                    self.assertIn('value="65.63"', response.text)
        self.assertFalse(self._mandates())

    def test_wrong_csrf_refused(self):
        response = self._form(csrf_token="forged")
        self.assertEqual(response.status_code, 400)
        self.assertNotIn("o_sepa_oneoff_recap", response.text)
        token = TOKEN.search(self._form().text).group(1)
        response = self.url_open("/my/sepa-oneoff/sign", data={"csrf_token": "forged", "token": token, "accept": "1"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._mandates())

    def test_address_required_outside_the_eea_and_signed_in_the_file(self):
        """A British account: street, postcode, town and country are required (EPC rulebook), signed with
        the mandate and sent as a structured address in pain.008.001.08."""
        uk_iban = "GB33BUKB20201555555555"
        refused = self._form(iban=uk_iban, street="", zip="", city="", country_code="")
        self.assertEqual(refused.status_code, 400)
        for field in ("street", "zip", "city", "country_code"):
            self.assertIn("European Economic Area", self._field_error(refused, field) or "", field)
        self.assertIn("BUKBGB22", refused.text)  # what was typed or derived is kept
        # a French account needs no address
        self.assertEqual(self._form(street="", zip="", city="", country_code="").status_code, 200)
        recap = self._form(iban=uk_iban, street="10 Downing Street", zip="SW1A 2AA", city="London",
                           country_code="GB")
        self.assertEqual(recap.status_code, 200)
        self.assertIn("10 Downing Street, SW1A 2AA London, United Kingdom", recap.text)
        token = TOKEN.search(recap.text).group(1)
        self.url_open("/my/sepa-oneoff/sign", data={"csrf_token": self._csrf(), "token": token, "accept": "1"})
        mandate = self._mandates()
        self.assertEqual(
            (mandate.debtor_street, mandate.debtor_zip, mandate.debtor_city, mandate.debtor_country_id.code),
            ("10 Downing Street", "SW1A 2AA", "London", "GB"),
        )
        self.assertEqual(mandate.signed_place, "London")
        with self.assertRaisesRegex(UserError, "debtor_city"):
            mandate.sudo().debtor_city = "Paris"  # signed: fixed for good
        self.company.sepa_pain_version = "pain.008.001.08"
        mandate.payment_id.with_user(self.accountant).action_sepa_oneoff_export()  # validated against the XSDs
        root = etree.fromstring(base64.b64decode(mandate.payment_id.sepa_oneoff_batch_id.xml_file))
        ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
        address = root.find(".//p:DrctDbtTxInf/p:Dbtr/p:PstlAdr", ns)
        self.assertEqual([(child.tag.split("}")[1], child.text) for child in address],
                         [("StrtNm", "10 Downing Street"), ("PstCd", "SW1A 2AA"), ("TwnNm", "London"), ("Ctry", "GB")])

    def test_sign_once_even_when_submitted_twice(self):
        recap = self._form(bic="")
        self.assertEqual(recap.status_code, 200)
        self.assertIn("AGRIFRPPXXX", recap.text)  # BIC derived from the IBAN
        self.assertIn("FR72ZZZ123456", recap.text)
        self.assertIn("8 weeks", recap.text)
        rum = re.search(r'o_sepa_oneoff_rum">([A-Z0-9-]+)<', recap.text).group(1)
        token = TOKEN.search(recap.text).group(1)
        # the box must be ticked
        refused = self.url_open("/my/sepa-oneoff/sign", data={"csrf_token": self._csrf(), "token": token})
        self.assertEqual(refused.status_code, 400)
        self.assertIn("Tick the box", refused.text)
        self.assertFalse(self._mandates())
        data = {"csrf_token": self._csrf(), "token": token, "accept": "1"}
        first = self.url_open("/my/sepa-oneoff/sign", data=data)
        second = self.url_open("/my/sepa-oneoff/sign", data=data)
        mandate = self._mandates()
        self.assertEqual(len(mandate), 1)
        self.assertEqual(mandate.name, rum)
        self.assertTrue(first.url.endswith(f"/my/sepa-oneoff/{mandate.id}"))
        self.assertEqual(second.url, first.url)
        self.assertIn(rum, first.text)
        self.assertIn("**** 0189", first.text)
        self.assertNotIn(DEMO_IBAN, first.text)  # masked once signed
        self.assertEqual(mandate.signed_user_id, self.portal_user)
        self.assertEqual(mandate.signed_ip, "127.0.0.1")
        self.assertTrue(mandate.payment_id)

    def test_rate_limited(self):
        self.company.sepa_oneoff_rate_limit = 1
        self._sepa_sign(amount=10.0, signed_user_id=self.portal_user.id)
        response = self._form(amount="5")
        self.assertEqual(response.status_code, 400)
        self.assertIn("in the last hour", response.text)
        self.assertEqual(len(self._mandates()), 1)

    def test_other_customers_mandate_not_shown(self):
        self._sepa_invoice(self.other_customer, 10.0, "2026-01-20")
        other = self._sepa_sign(amount=10.0, partner=self.other_customer)
        response = self.url_open(f"/my/sepa-oneoff/{other.id}")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn(other.name, response.text)
        own = self._sepa_sign(amount=10.0)
        self.assertIn(own.name, self.url_open(f"/my/sepa-oneoff/{own.id}").text)

    def test_bic_json_route(self):
        result = self.make_jsonrpc_request("/my/sepa-oneoff/bic", {"iban": DEMO_IBAN})
        self.assertEqual(result, {"bic": "AGRIFRPPXXX"})
        self.assertEqual(self.make_jsonrpc_request("/my/sepa-oneoff/bic", {"iban": "FR00"}), {"bic": ""})

import re

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

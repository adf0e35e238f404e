from odoo.tests import HttpCase, tagged

from .common import SepaOneoffCommon


@tagged("post_install", "-at_install")
class TestPortalTour(SepaOneoffCommon, HttpCase):
    """The whole portal journey in headless Chromium, from the button on /my to the confirmation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sepa_oneoff()

    def test_portal_journey(self):
        self.start_tour("/my", "sepa_oneoff_portal_tour", login="so_client")
        mandate = self.env["sepa.oneoff.mandate"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(mandate), 1)
        self.assertEqual(mandate.amount, 65.63)
        self.assertEqual(mandate.iban, "FR7630006000011234567890189")
        self.assertEqual(mandate.bic, "AGRIFRPPXXX")
        self.assertEqual(mandate.signed_user_id.login, "so_client")
        self.assertTrue(mandate.signed_ip and mandate.signed_user_agent and mandate.signed_at)
        self.assertRegex(mandate.name, r"^[A-Z0-9-]{1,35}$")
        payment = mandate.payment_id
        self.assertEqual(payment.state, "draft")
        self.assertEqual(payment.amount, 65.63)
        self.assertEqual(payment.sepa_oneoff_mandate_id, mandate)
        self.assertEqual(payment.partner_id, self.customer)

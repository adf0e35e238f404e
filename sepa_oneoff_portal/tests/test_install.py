from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    """The addon is installed, its menu and access rules are loaded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Tenant One"})
        cls.other_customer = cls.env["res.partner"].create({"name": "Tenant Two"})
        cls.portal_user = new_test_user(
            cls.env, login="so_portal", groups="base.group_portal", partner_id=cls.customer.id
        )
        cls.mandates = cls.env["sepa.oneoff.mandate"].create([
            {"name": "RUM-TEST-1", "partner_id": cls.customer.id,
             "iban": "FR7630006000011234567890189", "amount": 10.0},
            {"name": "RUM-TEST-2", "partner_id": cls.other_customer.id,
             "iban": "FR7630006000011234567890189", "amount": 20.0},
        ])

    def test_menu_loaded(self):
        menu = self.env.ref("sepa_oneoff_portal.menu_sepa_oneoff_mandate")
        self.assertEqual(menu.parent_id, self.env.ref("account.menu_finance_receivables"))

    def test_portal_user_sees_only_own_mandates(self):
        visible = self.env["sepa.oneoff.mandate"].with_user(self.portal_user).search([])
        self.assertEqual(visible, self.mandates[0])
        with self.assertRaises(AccessError):
            self.mandates[1].with_user(self.portal_user).read(["iban"])
        with self.assertRaises(AccessError):
            self.mandates[0].with_user(self.portal_user).write({"amount": 1.0})

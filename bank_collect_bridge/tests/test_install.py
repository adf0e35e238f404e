from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    """The addon is installed, its menus and access rules are loaded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env, login="bcb_accountant", groups="account.group_account_manager"
        )

    def test_module_installed(self):
        module = self.env["ir.module.module"].search([("name", "=", "bank_collect_bridge")])
        self.assertEqual(module.state, "installed")

    def test_provider_menu_reserved_to_administrators(self):
        menu = self.env.ref("bank_collect_bridge.menu_bank_collect_provider")
        self.assertEqual(menu.action, self.env.ref("bank_collect_bridge.bank_collect_provider_action"))
        visible_to_accountant = self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids()
        self.assertNotIn(menu.id, visible_to_accountant)
        self.assertIn(menu.id, self.env["ir.ui.menu"]._visible_menu_ids())

    def test_client_secret_hidden_from_accountants(self):
        provider = self.env["bank.collect.provider"].create(
            {"client_id": "cid", "client_secret": "very-secret"}
        )
        self.assertEqual(provider.client_secret, "very-secret")
        as_accountant = provider.with_user(self.accountant)
        self.assertEqual(as_accountant.frequency, "daily")
        with self.assertRaises(AccessError):
            _value = as_accountant.client_secret  # reading is the access check
        with self.assertRaises(AccessError):
            as_accountant.write({"frequency": "weekly"})

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    """The addon is installed, its groups, menu and access rules are loaded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env, login="pk_accountant", groups="account.group_account_manager"
        )

    def test_groups_exist(self):
        self.assertTrue(self.env.ref("pos_kiosk_connectic.group_kiosk_notification"))
        self.assertTrue(self.env.ref("pos_kiosk_connectic.group_kiosk_all_receipts"))

    def test_settings_reserved_to_administrators(self):
        kiosk = self.env["connectic.kiosk"].create({"sftp_user": "kiosk", "sftp_password": "pw"})
        as_accountant = kiosk.with_user(self.accountant)
        self.assertEqual(as_accountant.sftp_user, "kiosk")
        with self.assertRaises(AccessError):
            _value = as_accountant.sftp_password  # reading is the access check
        with self.assertRaises(AccessError):
            _value = as_accountant.sftp_private_key
        with self.assertRaises(AccessError):
            as_accountant.write({"entity_code": "G001"})
        menu = self.env.ref("pos_kiosk_connectic.menu_connectic_kiosk")
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids())

    def test_nightly_jobs_exist(self):
        for xmlid in ("pos_kiosk_connectic.ir_cron_kiosk_export", "pos_kiosk_connectic.ir_cron_kiosk_import"):
            cron = self.env.ref(xmlid)
            self.assertTrue(cron.active)
            self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))

    def test_screens_load_for_their_users(self):
        self.env["res.users"].browse(self.accountant.id).groups_id |= self.env.ref("account.group_account_invoice")
        as_accountant = self.env(user=self.accountant)
        screens = {
            "account.payment": ("pos_kiosk_connectic.account_payment_view_list_connectic", "list"),
            "connectic.kiosk.file": ("pos_kiosk_connectic.connectic_kiosk_file_view_form", "form"),
            "connectic.kiosk.import.wizard": ("pos_kiosk_connectic.connectic_kiosk_import_wizard_view_form", "form"),
        }
        for model, (xmlid, view_type) in screens.items():
            with self.subTest(model):
                views = as_accountant[model].get_views([(self.env.ref(xmlid).id, view_type)])
                self.assertIn(view_type, views["views"])
        form = self.env["connectic.kiosk"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("action_test_connection", form)
        self.assertIn("sftp_private_key", form)

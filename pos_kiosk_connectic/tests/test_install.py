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
            as_accountant.sftp_password  # noqa: B018 - reading is the access check
        with self.assertRaises(AccessError):
            as_accountant.sftp_private_key  # noqa: B018
        with self.assertRaises(AccessError):
            as_accountant.write({"entity_code": "G001"})
        menu = self.env.ref("pos_kiosk_connectic.menu_connectic_kiosk")
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(self.accountant)._visible_menu_ids())

    def test_nightly_jobs_exist(self):
        for xmlid in ("pos_kiosk_connectic.ir_cron_kiosk_export", "pos_kiosk_connectic.ir_cron_kiosk_import"):
            cron = self.env.ref(xmlid)
            self.assertTrue(cron.active)
            self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))

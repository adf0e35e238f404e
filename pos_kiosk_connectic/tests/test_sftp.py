"""SFTP settings against a real OpenSSH sshd: connection test, pinned host key, refused logins."""
import os
import pwd
import secrets
import subprocess
import unittest

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.pos_kiosk_connectic.kiosk.sftp import KioskSftp, SftpError
from odoo.addons.pos_kiosk_connectic.kiosk.sshd import LocalSftpServer

from .common import KioskCase

PASSWORD_USER = "pk_kiosk_sftp"


def ensure_password_user(password):
    """A dedicated OS account with a password (password login needs a real one); root only.

    Returns True when this call created the account, so that the caller removes it afterwards.
    """
    created = False
    try:
        pwd.getpwnam(PASSWORD_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PASSWORD_USER],
                       check=True, capture_output=True)
        created = True
    subprocess.run(["chpasswd"], input=f"{PASSWORD_USER}:{password}", text=True, check=True, capture_output=True)
    return created


@tagged("post_install", "-at_install")
class TestKioskSftp(KioskCase):

    def test_connection_succeeds(self):
        result = self.kiosk.action_test_connection()
        self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
        self.assertIn("host key matches", result["params"]["message"])

    def test_connection_reports_missing_folder(self):
        self.kiosk.path_error = "errors_missing"
        result = self.kiosk.action_test_connection()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("errors_missing", result["params"]["message"])

    def test_unknown_host_key_refused_then_fetched(self):
        self.kiosk.sftp_host_key = False
        result = self.kiosk.action_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("No host key is pinned", result["params"]["message"])
        with self.assertRaises(UserError):
            self.kiosk.action_import_payments()
        self.kiosk.action_fetch_host_key()
        self.assertEqual(self.kiosk.sftp_host_key, self.server.host_key)
        self.assertEqual(self.kiosk.action_test_connection()["params"]["type"], "success")
        with self.assertRaises(UserError, msg="a pinned key is never replaced by fetching"):
            self.kiosk.action_fetch_host_key()

    def test_changed_host_key_refused(self):
        with LocalSftpServer() as other:
            pinned = other.host_key
            self.kiosk.write({"sftp_port": other.port, "sftp_host_key": pinned,
                              "sftp_private_key": other.client_private_key})
            self.assertEqual(self.kiosk.action_test_connection()["params"]["type"], "success")
            other.rotate_host_key()
            self.drop_into(other, "payments_NANCY-01_20190810_220000.csv", self.example_file())
            result = self.kiosk.action_test_connection()
            self.assertEqual(result["params"]["type"], "danger")
            self.assertIn("instead of the pinned key", result["params"]["message"])
            with self.assertRaisesRegex(UserError, "instead of the pinned key"):
                self.kiosk.action_import_payments()
            self.assertFalse(self.kiosk_payments())
            self.assertEqual(other.list("inbound"), ["payments_NANCY-01_20190810_220000.csv"])
            self.assertEqual(self.kiosk.sftp_host_key, pinned, "the pinned key is never replaced silently")

    def drop_into(self, server, name, data):
        with open(server.path("inbound", name), "wb") as handle:
            handle.write(data)

    def test_server_down_records_error_and_changes_nothing(self):
        with LocalSftpServer() as other:
            self.kiosk.write({"sftp_port": other.port, "sftp_host_key": other.host_key})
        # the server is stopped now
        self.env["connectic.kiosk"]._cron_import_payments()
        self.env["connectic.kiosk"]._cron_export_customers()
        self.assertIn("Cannot reach the SFTP server", self.kiosk.last_error)
        self.assertFalse(self.kiosk_payments())
        self.assertFalse(self.env["connectic.kiosk.file"].search([("kiosk_id", "=", self.kiosk.id)]))
        self.assertFalse(self.kiosk.last_export_date)

    def test_refused_login_records_error_without_secret(self):
        self.kiosk.write({"sftp_private_key": False, "sftp_password": "Not-The-Password-42"})
        self.drop(*self._example())
        self.env["connectic.kiosk"]._cron_import_payments()
        self.assertIn("refused the login", self.kiosk.last_error)
        self.assertNotIn("Not-The-Password-42", self.kiosk.last_error)
        self.assertFalse(self.kiosk_payments())
        self.assertEqual(self.server.list("inbound"), ["payments_NANCY-01_20190810_220000.csv"])
        self.assertNotIn("Not-The-Password-42", self.server.read_log())

    def _example(self):
        return "payments_NANCY-01_20190810_220000.csv", self.example_file()

    def test_wrong_key_refused(self):
        with LocalSftpServer() as other:
            self.kiosk.sftp_private_key = other.client_private_key  # a key the server does not know
            result = self.kiosk.action_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("refused the login", result["params"]["message"])

    @unittest.skipUnless(os.geteuid() == 0, "password login needs a dedicated OS account (created only as root)")
    def test_password_login(self):
        password = secrets.token_urlsafe(16)
        if ensure_password_user(password):
            self.addCleanup(subprocess.run, ["userdel", PASSWORD_USER], check=False, capture_output=True)
        with LocalSftpServer(user=PASSWORD_USER, password_login=True) as server:
            with KioskSftp("127.0.0.1", server.port, PASSWORD_USER, server.host_key, password=password) as client:
                client.upload_atomic("inbound", "hello.csv", b"x")
                self.assertEqual(client.list_files("inbound"), ["hello.csv"])
            with self.assertRaises(SftpError) as caught:
                KioskSftp("127.0.0.1", server.port, PASSWORD_USER, server.host_key, password="wrong").connect()
            self.assertEqual(caught.exception.kind, "auth")
            self.assertNotIn("wrong", str(caught.exception))

    def test_inactive_kiosk_is_left_alone_by_the_nightly_jobs(self):
        self.drop(*self._example())
        self.kiosk.active = False
        self.env["connectic.kiosk"]._cron_import_payments()
        self.env["connectic.kiosk"]._cron_export_customers()
        self.assertFalse(self.kiosk_payments())
        self.assertEqual(self.server.list("inbound"), ["payments_NANCY-01_20190810_220000.csv"])
        self.assertEqual(self.server.list("outbound"), [])
        self.kiosk.active = True
        self.env["connectic.kiosk"]._cron_import_payments()
        self.env["connectic.kiosk"]._cron_export_customers()
        self.assertEqual(len(self.kiosk_payments()), 2)
        self.assertEqual(len(self.server.list("outbound")), 1)
        self.assertFalse(self.kiosk.last_error)

    def test_local_server_uses_only_its_own_configuration(self):
        with open(self.server.config_path, encoding="ascii") as handle:
            config = handle.read()
        self.assertTrue(self.server.config_path.startswith(self.server.base_dir))
        self.assertIn(f"Port {self.server.port}", config)
        self.assertIn("ListenAddress 127.0.0.1", config)
        self.assertIn(f"HostKey {self.server.host_key_path}", config)
        self.assertNotIn(" /etc/", config)
        self.assertEqual(os.stat(self.server.host_key_path).st_mode & 0o077, 0, "sshd refuses a readable host key")

    def test_unreadable_private_key_reported_without_its_text(self):
        self.kiosk.sftp_private_key = (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nS3cr3tGarbage\n-----END OPENSSH PRIVATE KEY-----"
        )
        result = self.kiosk.action_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("private_key: unreadable private key", result["params"]["message"])
        self.assertNotIn("S3cr3tGarbage", result["params"]["message"])

    def test_host_key_setting_checked(self):
        with self.assertRaisesRegex(ValidationError, "not a public key line"):
            self.kiosk.sftp_host_key = "not a key"

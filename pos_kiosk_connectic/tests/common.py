"""A real OpenSSH sshd per test class, a configured kiosk, customers and a payments file builder."""
import os
import shutil
from datetime import datetime
from decimal import Decimal

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.pos_kiosk_connectic.kiosk import files
from odoo.addons.pos_kiosk_connectic.kiosk.sshd import KIOSK_FOLDERS, LocalSftpServer


class KioskCase(TransactionCase):
    """The sshd is started once per class; its folders are emptied before each test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = LocalSftpServer().start()
        cls.addClassCleanup(cls.server.cleanup)
        cls.company = cls.env.company
        Journal = cls.env["account.journal"]
        cls.cash_journal = Journal.search([("company_id", "=", cls.company.id), ("type", "=", "cash")], limit=1)
        cls.bank_journal = Journal.search([("company_id", "=", cls.company.id), ("type", "=", "bank")], limit=1)
        cls.kiosk = cls.env["connectic.kiosk"].create({
            "name": "Agency kiosk",
            "company_id": cls.company.id,
            "sftp_host": "127.0.0.1",
            "sftp_port": cls.server.port,
            "sftp_user": cls.server.user,
            "sftp_private_key": cls.server.client_private_key,
            "sftp_host_key": cls.server.host_key,
            "entity_code": "G001",
            "journal_cash_id": cls.cash_journal.id,
            "journal_card_id": cls.bank_journal.id,
        })
        Partner = cls.env["res.partner"]
        cls.mariton = Partner.create({"name": "MARITON Paul", "ref": "81MARITON", "street": "3 place Stanislas",
                                      "zip": "54000", "city": "Nancy"})
        cls.rolin = Partner.create({"name": "ROLIN Marie", "ref": "81ROLINMAR", "city": "Nancy"})
        cls.notified = new_test_user(
            cls.env, login="pk_notified", groups="account.group_account_invoice,"
            "pos_kiosk_connectic.group_kiosk_notification",
        )

    def setUp(self):
        super().setUp()
        for folder in KIOSK_FOLDERS:
            shutil.rmtree(self.server.path(folder))
            os.makedirs(self.server.path(folder))

    # -- helpers -------------------------------------------------------------------------------
    def payment_row(self, transaction_id="K1-000123", account_ref="81MARITON", amount="330.00", method="CASH",
                    **values):
        return {
            "transaction_id": transaction_id, "kiosk_id": "NANCY-01",
            "paid_at": datetime(2019, 8, 10, 10, 2, 11), "entity": "G001", "account_ref": account_ref,
            "name": "MARITON Paul", "amount": Decimal(amount), "currency": "EUR", "method": method, **values,
        }

    def example_file(self):
        """The contract's example: two payments, 980,00 in all."""
        return files.write_payments([
            self.payment_row(),
            self.payment_row("K1-000124", "81ROLINMAR", "650.00", "CARD", name="ROLIN Marie",
                             paid_at=datetime(2019, 8, 10, 10, 15, 40)),
        ])

    def drop(self, name, data):
        """The kiosk drops a file in the inbound folder."""
        with open(self.server.path("inbound", name), "wb") as handle:
            handle.write(data)
        return name

    def kiosk_payments(self):
        return self.env["account.payment"].search([("connectic_kiosk_id", "=", self.kiosk.id)])

    def post_invoice(self, partner, amount):
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": partner.id,
            "invoice_line_ids": [(0, 0, {"name": "Loyer", "quantity": 1, "price_unit": amount, "tax_ids": []})],
        })
        invoice.action_post()
        return invoice

"""The everyday bank collection in the browser, as the firm's accountants are set up in
Community: an Invoicing user, and an Invoicing administrator (the demo's «comptable»), neither
a Settings administrator nor holding Community's hidden «Show Full Accounting Features»."""
from odoo.tests import HttpCase, new_test_user, tagged

from .common import BankCollectEmulatorMixin


@tagged("post_install", "-at_install")
class TestAccountantTour(BankCollectEmulatorMixin, HttpCase):

    def setUp(self):
        super().setUp()
        iban = self._new_iban()
        self.journal = self._make_journal("Banque Tour", iban, show_on_dashboard=True)
        __, accounts = self._add_item([{"name": "Compte courant", "type": "checking", "iban": iban}])
        self.remote_account_id = accounts["Compte courant"]["id"]
        # Transactions stay pending until generated, so that the pending list shows them.
        self.provider.auto_generate = False
        self.emulator.add_transactions(self.remote_account_id, transactions=[
            self._tx(120.0, 20, label="VIREMENT TOUR ANCIEN"),
        ])
        self._sync(self.journal)
        # Collected since: what the Synchro in the tour brings.
        self.emulator.add_transactions(self.remote_account_id, transactions=[
            self._tx(850.0, 2, label="LOYER TOUR DECEMBRE"), self._tx(-12.5, 1, label="FRAIS TOUR"),
        ])
        self.journal._bank_collect_record_issue("review", "VIREMENT TOUR ANCIEN changed after reconciliation")

    def _run_tour_as(self, groups, login):
        user = new_test_user(self.env, login=login, password=login, groups=groups, name=login)
        self.assertFalse(user.has_group("account.group_account_user"))
        self.assertFalse(user.has_group("base.group_system"))
        self.start_tour("/odoo", "bank_collect_accountant_tour", login=login)
        pending = self._staging(self.journal, state="pending")
        self.assertEqual(len(pending), 3, "the tour's Synchro collected the two new transactions")
        log = self.env["bank.collect.log"].search([("event", "=", "sync"), ("user_id", "=", user.id)])
        self.assertTrue(log, "the Synchro was this user's")

    def test_tour_invoicing_user(self):
        self._run_tour_as("base.group_user,account.group_account_invoice", "bc_tour_billing")

    def test_tour_invoicing_administrator(self):
        self._run_tour_as("base.group_user,account.group_account_manager,base.group_partner_manager",
                          "bc_tour_comptable")

from psycopg2 import IntegrityError

from odoo import api
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import BankCollectCase


@tagged("post_install", "-at_install")
class TestConcurrency(BankCollectCase):
    """Two collections of one journal never run at once; the database refuses duplicates (X-4)."""

    def setUp(self):
        super().setUp()
        # A journal that exists outside this test's transaction, so a second cursor sees it.
        self.journal = self.env["account.journal"].search(
            [("company_id", "=", self.company.id), ("type", "=", "bank")], order="id", limit=1
        )
        iban = self._new_iban()
        self.journal.write({
            "bank_statements_source": "bank_collect", "bank_collect_partner_id": self.owner.id,
            "bank_account_id": self.env["res.partner.bank"].create(
                {"acc_number": iban, "partner_id": self.company.partner_id.id}).id,
        })
        __, accounts = self._add_item([{"name": "Compte", "type": "checking", "iban": iban, "balance": 0}])
        self.emulator.add_transactions(accounts["Compte"]["id"], transactions=[self._tx(10.0, 2), self._tx(5.0, 1)])

    def test_second_collection_is_told_one_is_running(self):
        self.emulator.clear_requests()
        self.journal._bank_collect_lock()  # the first collection holds the journal
        with self.registry.cursor() as other_cr:
            other = self.journal.with_env(api.Environment(other_cr, self.env.uid, {}))
            result = other._bank_collect_run()
            self.assertFalse(result["ok"])
            self.assertEqual(result["kind"], "running")
            self.assertIn("already running", result["message"])
            other_cr.rollback()
        self.assertFalse(self.emulator.count_requests(), "the second collection asked nothing")
        self._sync(self.journal)
        self._sync(self.journal)
        self.assertEqual(sorted(self._lines(self.journal).mapped("amount")), [5.0, 10.0])
        self.assertFalse(self._issues(self.journal), "a refused concurrent run is not an error")

    def test_database_refuses_a_duplicate_remote_transaction(self):
        self._sync(self.journal)
        staged = self._staging(self.journal)[0]
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            staged.copy({"statement_line_id": False})
            self.env.flush_all()

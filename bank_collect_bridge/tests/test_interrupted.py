import os
import signal
import subprocess
import sys
import time

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.bank_collect_bridge.bridge.emulator import BridgeEmulator, french_iban

# The nightly job, run by a separate Odoo process as a cron worker would.
CRON_SCRIPT = """
import datetime
import os
import sys
if os.environ.get("TEST_CLOCK_OFFSET"):  # the suite runs on a frozen clock: follow it
    import freezegun
    offset = datetime.timedelta(seconds=float(os.environ["TEST_CLOCK_OFFSET"]))
    freezegun.freeze_time(datetime.datetime.utcnow() + offset, tick=True).start()
import odoo
from odoo import SUPERUSER_ID, api
odoo.tools.config.parse_config(["-c", sys.argv[1], "--log-level=warn"])
with odoo.modules.registry.Registry(sys.argv[2]).cursor() as cr:
    Journal = api.Environment(cr, SUPERUSER_ID, {})["account.journal"]
    Journal._cron_bank_collect_nightly()
    # What is left goes on in the background job, which its trigger would start.
    while Journal._bank_collect_background_journals():
        Journal._cron_bank_collect_background()
"""
BIG = 800
IBANS = [french_iban(14508, 88, 95000000 + n) for n in range(3)]


@tagged("post_install", "-at_install")
class TestInterruptedCollection(TransactionCase):
    """A cron worker killed between two chunks of the nightly collection loses nothing already
    committed, and the next run resumes the job without a duplicate (BC-9, QUALITY robustness).

    The data lives outside the test transaction (committed, then removed), since the collection
    runs in another process."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = BridgeEmulator().start()
        cls.addClassCleanup(cls.emulator.stop)

    def _committed_env(self):
        return api.Environment(self.registry.cursor(), SUPERUSER_ID, {})

    def setUp(self):
        super().setUp()
        self._remove_committed_data()  # leftovers of an aborted run
        env = self._committed_env()
        self.addCleanup(self._remove_committed_data)
        with env.cr:
            company = env.ref("base.main_company")
            providers = env["bank.collect.provider"].search([("company_id", "=", company.id), ("active", "=", True)])
            self.paused_provider_ids = providers.ids
            providers.active = False
            today = fields.Date.context_today(env["res.users"])
            provider = env["bank.collect.provider"].create({
                "name": "Interrupted test", "company_id": company.id, "environment": "emulator",
                "api_url": self.emulator.url, "client_id": self.emulator.client_id,
                "client_secret": self.emulator.client_secret, "sync_start_date": today.replace(day=1, month=1),
            })
            owner = env["res.partner"].create({"name": "Interrupted owner", "email": "interrupted@example.com"})
            ibans = IBANS
            item = self.emulator.add_item(provider._bank_collect_ensure_user(owner), accounts=[
                {"name": f"Compte {n}", "type": "checking", "iban": iban, "balance": 0.0}
                for n, iban in enumerate(ibans)
            ])
            journals = env["account.journal"]
            for n, (iban, account) in enumerate(zip(ibans, item["accounts"], strict=True)):
                self.emulator.add_transactions(account["id"], count=BIG if n == 2 else 5, seed=n,
                                               start_date=today.replace(day=1, month=1), end_date=today)
                journal = env["account.journal"].create({
                    "name": f"Interrupted {n}", "type": "bank", "code": f"BCI{n}", "company_id": company.id,
                    "bank_statements_source": "bank_collect", "bank_collect_partner_id": owner.id,
                    "bank_account_id": env["res.partner.bank"].create(
                        {"acc_number": iban, "partner_id": company.partner_id.id}).id,
                })
                journal._bank_collect_prepare_connection(provider)
                journals |= journal
            journals._bank_collect_request_sync()  # due now, whatever the hour
            self.provider_id, self.owner_id, self.journal_ids = provider.id, owner.id, journals.ids

    def _remove_committed_data(self):
        env = self._committed_env()
        with env.cr as cr:
            cr.execute("SELECT id FROM account_journal WHERE code IN ('BCI0', 'BCI1', 'BCI2')")
            journal_ids = tuple(r[0] for r in cr.fetchall()) or (0,)
            cr.execute("SELECT default_account_id FROM account_journal WHERE id IN %s", [journal_ids])
            account_ids = tuple(r[0] for r in cr.fetchall() if r[0]) or (0,)
            cr.execute("DELETE FROM bank_collect_transaction WHERE journal_id IN %s", [journal_ids])
            cr.execute("DELETE FROM bank_collect_issue WHERE journal_id IN %s", [journal_ids])
            cr.execute("DELETE FROM account_bank_statement_line WHERE journal_id IN %s", [journal_ids])
            cr.execute("DELETE FROM account_bank_statement WHERE journal_id IN %s", [journal_ids])
            cr.execute("DELETE FROM account_move WHERE journal_id IN %s", [journal_ids])
            cr.execute("""DELETE FROM bank_collect_account WHERE provider_id IN
                          (SELECT id FROM bank_collect_provider WHERE name = 'Interrupted test')""")
            env["account.journal"].browse(list(journal_ids)).exists().unlink()
            env["account.account"].browse(list(account_ids)).exists().unlink()
            cr.execute("DELETE FROM res_partner_bank WHERE sanitized_acc_number IN %s", [tuple(IBANS)])
            env["bank.collect.provider"].with_context(active_test=False).search(
                [("name", "=", "Interrupted test")]).unlink()
            env["bank.collect.provider"].browse(getattr(self, "paused_provider_ids", [])).write({"active": True})
            env["res.partner"].search([("name", "=", "Interrupted owner")]).unlink()

    def _state(self):
        """(lines, staged, distinct remote ids, journals done) per journal, read from committed data."""
        with self.registry.cursor() as cr:
            result = []
            for journal_id in self.journal_ids:
                cr.execute("SELECT COUNT(*) FROM account_bank_statement_line WHERE journal_id = %s", [journal_id])
                lines = cr.fetchone()[0]
                cr.execute(
                    "SELECT COUNT(*), COUNT(DISTINCT remote_id) FROM bank_collect_transaction WHERE journal_id = %s",
                    [journal_id],
                )
                staged, distinct = cr.fetchone()
                cr.execute("SELECT bank_collect_progress_state = 'done' FROM account_journal WHERE id = %s",
                           [journal_id])
                result.append((lines, staged, distinct, cr.fetchone()[0]))
            return result

    def _cron_process(self):
        odoo_root = os.path.dirname(os.path.dirname(odoo.__file__))
        return subprocess.Popen(
            [sys.executable, "-c", CRON_SCRIPT, odoo.tools.config.rcfile, self.env.cr.dbname],
            env={**os.environ, "PYTHONPATH": odoo_root}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )

    def test_killed_worker_then_clean_rerun(self):
        worker = self._cron_process()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            state = self._state()
            if state[0][3] and state[1][3]:
                break
            self.assertIsNone(worker.poll(), worker.stdout.read() if worker.poll() is not None else "")
            time.sleep(0.2)
        else:
            self.fail("the first two journals were never committed")
        worker.send_signal(signal.SIGKILL)  # the worker dies while the big journal is being collected
        worker.wait(30)
        killed = self._state()
        self.assertEqual(killed[0][:3], (5, 5, 5))
        self.assertEqual(killed[1][:3], (5, 5, 5))
        lines, staged, distinct = killed[2][:3]
        # Each chunk is atomic: whatever was committed is whole, never a row twice.
        self.assertEqual(staged, distinct, "no row staged twice")
        self.assertIn(lines, (0, staged), "lines are created once the fetching is over")
        rerun = self._cron_process()
        output = rerun.communicate(timeout=600)[0]
        self.assertEqual(rerun.returncode, 0, output)
        done = self._state()
        self.assertEqual([s[:3] for s in done], [(5, 5, 5), (5, 5, 5), (BIG, BIG, BIG)])

import datetime
import time

from odoo.tests import HttpCase, tagged

from odoo.addons.bank_collect_bridge.bridge import webhook as bridge_webhook

from .common import BankCollectEmulatorMixin

WEBHOOK_PATH = "/bank_collect/webhook"


@tagged("post_install", "-at_install")
class TestWebhook(BankCollectEmulatorMixin, HttpCase):
    """BC-15 over real HTTP: the emulator signs and posts Bridge's events to Odoo."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider.write({"webhook_secret": "whsec-current", "webhook_secret_previous": "whsec-previous"})
        cls.cron = cls.env.ref("bank_collect_bridge.ir_cron_bank_collect_nightly")

    def setUp(self):
        super().setUp()
        iban = self._new_iban()
        self.journal = self._make_journal("Banque Webhook", iban)
        self.item, accounts = self._add_item([{"name": "Compte courant", "type": "checking", "iban": iban}])
        self.account = accounts["Compte courant"]
        self._sync(self.journal)
        self.journal.bank_collect_sync_requested = False
        self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]).unlink()
        self.url = self.base_url() + WEBHOOK_PATH

    def _content(self):
        return {
            "account_id": self.account["id"], "item_id": self.item["id"], "user_uuid": self._user_uuid(),
            "balance": 10.0, "nb_new_transactions": 1, "nb_updated_transactions": 0, "nb_deleted_transactions": 0,
        }

    def _triggers(self):
        return self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])

    def _queued(self):
        return self.env["bank.collect.webhook.event"].search([("provider_id", "=", self.provider.id)])

    def _apply_events(self):
        """What the collection job does first: apply the queued events."""
        self.env["bank.collect.webhook.event"]._bank_collect_process()

    def _logs(self, result):
        return self.env["bank.collect.log"].search([("event", "=", "webhook"), ("result", "=", result)])

    def test_valid_signature_schedules_the_collection(self):
        self.emulator.add_transactions(self.account["id"], transactions=[self._tx(12.5, 1)])
        staged = len(self._staging(self.journal))
        started = time.monotonic()
        status = self.emulator.send_webhook(self.url, "item.account.updated", self._content(), "whsec-current")
        elapsed = time.monotonic() - started
        self.assertEqual(status, 200)
        self.assertLess(elapsed, 2.0, "the answer does not wait for a collection")
        self.env.invalidate_all()
        self.assertFalse(self.journal.bank_collect_sync_requested, "the webhook writes no journal")
        self.assertEqual(self._queued().mapped("state"), ["pending"], "the event is queued")
        self.assertTrue(self._triggers(), "the collection job is triggered")
        self.assertEqual(len(self._staging(self.journal)), staged, "nothing is collected inside the request")
        log = self._logs("success")
        self.assertEqual(len(log), 1)
        self.assertEqual(log.journal_id, self.journal)
        self.assertEqual(log.item_ref, str(self.item["id"]))
        self.assertEqual(log.ip_address, "127.0.0.1")
        # The job then collects the journal.
        self.env["account.journal"]._cron_bank_collect_nightly()
        self.assertEqual(len(self._staging(self.journal)), staged + 1)

    def test_previous_secret_is_accepted_during_a_rotation(self):
        status = self.emulator.send_webhook(
            self.url, "item.account.updated", self._content(), ["whsec-previous", "whsec-other"]
        )
        self.assertEqual(status, 200)
        self.env.invalidate_all()
        self._apply_events()
        self.assertTrue(self.journal.bank_collect_sync_requested)

    def test_bad_signature_changes_nothing(self):
        status = self.emulator.send_webhook(self.url, "item.account.updated", self._content(), "not-the-secret")
        self.assertEqual(status, 401)
        self.env.invalidate_all()
        self.assertFalse(self.journal.bank_collect_sync_requested)
        self.assertFalse(self._triggers())
        log = self._logs("refused")
        self.assertEqual(len(log), 1)
        self.assertIn("signature invalid", log.detail)
        self.assertNotIn("whsec", log.detail)

    def test_refused_calls_logged_once_a_minute_per_address(self):
        for _attempt in range(3):
            status = self.emulator.send_webhook(self.url, "item.account.updated", self._content(), "forged")
            self.assertEqual(status, 401)
        self.env.invalidate_all()
        log = self._logs("refused")
        self.assertEqual(len(log), 1, "a flood of forged calls makes one entry")
        self.assertEqual(log.ip_address, "127.0.0.1")
        # a minute later the next refused call is logged again
        log.date = log.date - datetime.timedelta(seconds=61)
        self.env.flush_all()
        self.assertEqual(self.emulator.send_webhook(self.url, "item.account.updated", self._content(), "forged"), 401)
        self.env.invalidate_all()
        self.assertEqual(len(self._logs("refused")), 2)
        self.assertFalse(self.journal.bank_collect_sync_requested)

    def test_missing_signature_changes_nothing(self):
        body = b'{"content": {"item_id": %d}, "timestamp": 1, "type": "item.refreshed"}' % self.item["id"]
        response = self.url_open(WEBHOOK_PATH, data=body, headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 401)
        self.env.invalidate_all()
        self.assertFalse(self.journal.bank_collect_sync_requested)
        self.assertIn("signature missing", self._logs("refused").detail)

    def test_signed_but_unreadable_body_is_refused(self):
        body = b"not json"
        response = self.url_open(WEBHOOK_PATH, data=body, headers={
            "Content-Type": "application/json", "BridgeApi-Signature": bridge_webhook.sign(body, "whsec-current"),
        })
        self.assertEqual(response.status_code, 400)
        self.env.invalidate_all()
        self.assertFalse(self.journal.bank_collect_sync_requested)
        self.assertEqual(len(self._logs("failure")), 1)

    def test_item_refreshed_records_the_connection_status(self):
        connection = self.journal.bank_collect_account_ids.connection_id
        self.assertEqual(connection.state, "ok")
        content = {
            "item_id": self.item["id"], "user_uuid": self._user_uuid(), "status_code": 1010,
            "status_code_info": "otp_required", "refresh_trigger": "scheduler",
            "authentication_expires_at": "2030-01-31T10:00:00.000Z",
        }
        self.assertEqual(self.emulator.send_webhook(self.url, "item.refreshed", content, "whsec-current"), 200)
        self.env.invalidate_all()
        self.assertEqual(connection.state, "ok", "recorded by the collection job, not by the request")
        self._apply_events()
        self.assertEqual(connection.state, "user_action")
        self.assertEqual(connection.status_info, "otp_required")
        self.assertEqual(str(connection.authentication_expires_at), "2030-01-31 10:00:00")
        self.assertTrue(self.journal.bank_collect_sync_requested)

    def test_emulator_refresh_events_reach_odoo(self):
        """The emulator's own webhooks (Bridge's scheduled refresh) are accepted end to end."""
        self.emulator.configure_webhooks(self.url, "whsec-current")
        self.addCleanup(self.emulator.configure_webhooks, None)
        self.emulator.refresh_item(self.item["id"])
        self.emulator.flush_webhooks()
        statuses = [status for event, status in self.emulator.webhook_deliveries]
        self.assertTrue(statuses)
        self.assertEqual(set(statuses), {200})
        self.env.invalidate_all()
        self._apply_events()
        self.assertTrue(self.journal.bank_collect_sync_requested)

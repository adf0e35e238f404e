"""Attacks of the security review, each performed over HTTP / JSON-RPC from the attacker's seat,
then checked in the database: signup tokens readable by others (BC-11/12), cross-company
wizards and actions, replayed webhooks, a webhook blocked by a running collection, and a flood of
portal connections."""
import datetime
import importlib.util
import json
import re
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from freezegun import freeze_time

from odoo import SUPERUSER_ID, api, fields
from odoo.sql_db import db_connect
from odoo.tests import HttpCase, get_db_name, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from odoo.addons.bank_collect_bridge.bridge import webhook as bridge_webhook

from .common import BankCollectEmulatorMixin

WEBHOOK_PATH = "/bank_collect/webhook"
SECRET = "whsec-security"
REFUSED = ("odoo.exceptions.AccessError", "odoo.exceptions.UserError")


def _user(env, login, groups, **values):
    return new_test_user(env, login=login, password=f"{login}-pw", groups=groups, **values)


class SecurityMixin(BankCollectEmulatorMixin):

    def _login(self, user):
        self.authenticate(user.login, f"{user.login}-pw")

    def _call(self, model, method, *args, **kwargs):
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs,
        })

    def _refused(self, model, method, *args, **kwargs):
        with self.assertRaises(JsonRpcException) as caught:
            self._call(model, method, *args, **kwargs)
        self.assertIn(str(caught.exception), REFUSED)

    def _sees_nothing(self, model, domain):
        """Refused outright (no access to the model) or shown nothing (another company's)."""
        try:
            found = self._call(model, "search_read", domain, ["id"])
        except JsonRpcException as error:
            self.assertIn(str(error), REFUSED)
        else:
            self.assertEqual(found, [], f"{model} of another company is shown")

    def _tokens_readable(self):
        """Signup tokens the logged-in user finds in messages and mails."""
        found = [m["body"] for m in self._call("mail.message", "search_read", [("body", "ilike", "token=")], ["body"])]
        try:
            found += [m["body_html"] for m in self._call(
                "mail.mail", "search_read", [("body_html", "ilike", "token=")], ["body_html"])]
        except JsonRpcException as error:
            self.assertEqual(str(error), "odoo.exceptions.AccessError")
        return found

    def _link_of(self, mail):
        return re.search(r'href="([^"]*/web/(?:signup|login|reset_password)\?[^"]+)"', mail["body"]).group(1) \
            .replace("&amp;", "&")

    def _signup_form_opens(self, link):
        """Whether the link opens the contact's own password form (the token is valid)."""
        parts = urlsplit(link)
        page = self.url_open(f"{parts.path}?{parts.query}")
        return (page.status_code == 200 and 'name="confirm_password"' in page.text
                and 'readonly="readonly"' in page.text and "Invalid signup token" not in page.text)


@tagged("post_install", "-at_install")
class TestSecurityTokens(SecurityMixin, HttpCase):
    """Attack 1: the contact's signup token in e-mails readable by others."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        groups = "base.group_user,account.group_account_manager,base.group_partner_manager"
        cls.accountant = _user(cls.env, "bc_sec_accountant", groups, email="claire@example.com")
        cls.other_accountant = _user(cls.env, "bc_sec_accountant2", groups, email="paul@example.com")
        cls.billing = _user(cls.env, "bc_sec_billing", "base.group_user,account.group_account_invoice")

    def _attackers_find_no_token(self):
        for attacker in (self.accountant, self.other_accountant, self.billing):
            self._login(attacker)
            self.assertEqual(self._tokens_readable(), [], f"{attacker.login} reads a signup token")

    def test_attack_invitation_token_not_readable_by_accountants(self):
        journal = self._make_journal("Banque Secrete", self._new_iban())
        self._login(self.accountant)
        result = self._call("account.journal", "action_bank_collect_attach", [journal.id])
        self.assertEqual(result["params"]["title"], "Mail sent")
        self._attackers_find_no_token()
        # The contact (a portal user now) gets the only link with a token, and it works.
        self.assertTrue(self.owner.user_ids._is_portal())
        mails = self._sent_to(self.owner.email, "connect your bank account")
        self.assertEqual(len(mails), 1)
        self.assertEqual(mails[0]["email_to"], [self.owner.email_formatted])
        self.assertFalse(mails[0].get("email_cc"), "no copy of the token")
        self.assertFalse([m for m in self.sent_mails if "token=" in m["body"] and m is not mails[0]])
        link = self._link_of(mails[0])
        self.assertIn(f"/my/bank-accounts?journal={journal.id}", unquote(link))
        self.assertTrue(self._signup_form_opens(link), "the contact's link works")
        # The collaborator's copy, on the journal, has the page without token.
        note = self.env["mail.message"].search([
            ("model", "=", "account.journal"), ("res_id", "=", journal.id), ("body", "ilike", "sent to"),
        ])
        self.assertIn(self.accountant.partner_id, note.partner_ids)
        self.assertNotIn("token=", note.body)

    def test_attack_reauth_token_not_readable_by_accountants(self):
        iban = self._new_iban()
        journal = self._make_journal("Banque Reauth", iban)
        item, __ = self._add_item([{"name": "Compte", "type": "checking", "iban": iban}])
        self._sync(journal)
        self.emulator.set_item_status(item["id"], 402)
        journal._bank_collect_run()
        self._login(self.accountant)
        self._call("account.journal", "action_bank_collect_send_reauth", [journal.id])
        self._attackers_find_no_token()
        mails = self._sent_to(self.owner.email, "log in to your bank again")
        self.assertEqual(mails[-1]["email_to"], [self.owner.email_formatted])
        self.assertTrue(self._signup_form_opens(self._link_of(mails[-1])))

    def test_attack_portal_welcome_token_not_readable_by_accountant(self):
        contact = self.env["res.partner"].create({"name": "Jean Secret", "email": "jean.secret@example.com"})
        self._login(self.accountant)
        self._call("res.partner", "action_bank_collect_grant_portal", [contact.id])
        self.assertTrue(contact.user_ids._is_portal())
        self._attackers_find_no_token()
        self.assertFalse(self.env["mail.message"].search([("model", "=", "portal.wizard.user")]),
                         "Odoo's welcome e-mail is kept nowhere")
        welcome = self._sent_to("jean.secret@example.com")
        self.assertEqual(len(welcome), 1)
        self.assertTrue(self._signup_form_opens(self._link_of(welcome[0])))

    def test_attack_tokens_stored_before_the_upgrade_are_revoked(self):
        """What earlier versions stored: the invitation on the journal, with the signup link."""
        journal = self._make_journal("Banque Ancienne", self._new_iban())
        self.env["res.partner"].browse(self.owner.ids)._bank_collect_portal_wizard_users() \
            .with_context(bank_collect_skip_welcome=True).action_grant_access()
        self.owner.signup_prepare()
        with freeze_time(datetime.datetime.now() - datetime.timedelta(minutes=5)):
            old_link = self.owner._get_signup_url_for_action(
                url=f"/my/bank-accounts?journal={journal.id}")[self.owner.id]
        journal.message_post(body=f'<a href="{old_link}">Connect my bank account</a>', message_type="email_outgoing")
        self.env["mail.mail"].create({"body_html": f'<a href="{old_link}">x</a>', "email_to": self.owner.email})
        self._login(self.billing)
        self.assertTrue(self._tokens_readable(), "the attack worked before the upgrade")
        self.assertTrue(self._signup_form_opens(old_link))

        spec = importlib.util.spec_from_file_location(
            "bank_collect_post_migrate",
            Path(__file__).parent.parent / "migrations" / "18.0.1.1.0" / "post-migrate.py",
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.0.0")

        self._attackers_find_no_token()
        self.assertFalse(self._signup_form_opens(old_link), "the token already sent is refused")
        self.assertIn(f"/my/bank-accounts?journal={journal.id}", self.env["mail.message"].search([
            ("model", "=", "account.journal"), ("res_id", "=", journal.id), ("body", "ilike", "Connect my bank"),
        ]).body, "the stored link leads to the same page, without token")
        # A new invitation works, and does not bring the old token back.
        self._login(self.accountant)
        self._call("account.journal", "action_bank_collect_attach", [journal.id])
        new_link = self._link_of(self._sent_to(self.owner.email, "connect your bank account")[-1])
        self.assertTrue(self._signup_form_opens(new_link))
        self.assertFalse(self._signup_form_opens(old_link))
        # Nobody was logged out: the accountant's session still works.
        self.assertTrue(self._call("res.users", "search_read", [("id", "=", self.accountant.id)], ["login"]))


@tagged("post_install", "-at_install")
class TestSecurityCompanies(SecurityMixin, HttpCase):
    """Attack 2: an accountant of company B only, or a billing user, acting through wizards and
    actions that read or write with sudo()."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Societe B"})
        cls.attacker = _user(
            cls.env, "bc_sec_company_b", "base.group_user,account.group_account_manager",
            company_id=cls.company_b.id, company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.billing = _user(cls.env, "bc_sec_billing_a", "base.group_user,account.group_account_invoice")
        # Refused even the everyday collection: an employee without Invoicing rights, a portal
        # user, and an Invoicing user of company B only.
        cls.employee = _user(cls.env, "bc_sec_employee_a", "base.group_user")
        cls.portal = _user(cls.env, "bc_sec_portal_a", "base.group_portal")
        cls.billing_b = _user(
            cls.env, "bc_sec_billing_b", "base.group_user,account.group_account_invoice",
            company_id=cls.company_b.id, company_ids=[(6, 0, cls.company_b.ids)],
        )

    def setUp(self):
        super().setUp()
        iban = self._new_iban()
        self.journal = self._make_journal("Banque Societe A", iban)
        self.item, accounts = self._add_item([{"name": "Compte", "type": "checking", "iban": iban}])
        self.env["bank.collect.provider"].search([("id", "=", self.provider.id)]).auto_generate = False
        self.remote_account_id = accounts["Compte"]["id"]
        self.emulator.add_transactions(self.remote_account_id, transactions=[self._tx(10.0, 2), self._tx(-4.0, 1)])
        self._sync(self.journal)
        self.pending = self._staging(self.journal, state="pending")
        self.assertEqual(len(self.pending), 2)

    def _unchanged(self):
        self.env.invalidate_all()
        self.assertEqual(set(self.pending.mapped("state")), {"pending"})
        self.assertFalse(self._lines(self.journal))
        self.assertEqual(self.journal.bank_collect_link_state, "attached")

    def _dates(self):
        return {"date_from": str(self._days_ago(10)), "date_to": str(self.today)}

    def test_attack_pending_delete_of_another_company(self):
        self._login(self.attacker)
        try:
            wizard_id = self._call("bank.collect.pending.delete", "create",
                                   {"journal_id": self.journal.id, "ignore_permanently": True, **self._dates()})
        except JsonRpcException as error:
            self.assertIn(str(error), REFUSED)
        else:
            self._refused("bank.collect.pending.delete", "action_delete", [wizard_id])
        self._unchanged()

    def test_attack_forced_collection_of_another_company(self):
        self._login(self.attacker)
        wizard_id = self._call("bank.collect.force", "create", {"journal_id": self.journal.id, **self._dates()})
        self._refused("bank.collect.force", "action_collect", [wizard_id])
        self._unchanged()
        self.assertFalse(self.env["bank.collect.log"].search([
            ("event", "=", "sync"), ("user_id", "=", self.attacker.id)]))

    def test_attack_journal_actions_of_another_company(self):
        self._login(self.attacker)
        for method in ("action_bank_collect_sync", "action_bank_collect_generate", "action_bank_collect_attach",
                       "action_bank_collect_send_reauth", "action_bank_collect_detach"):
            self._refused("account.journal", method, [self.journal.id])
        connection = self.journal.bank_collect_account_ids.connection_id
        self._refused("bank.collect.item", "action_renew", [connection.id])
        self._refused("bank.collect.provider", "action_test_connection", [self.provider.id])
        self._unchanged()
        self.assertFalse(self.emulator.connect_sessions, "no connect session opened for the attacker")
        self.assertFalse(self._sent_to(self.owner.email))

    def test_attack_everyday_actions_without_invoicing_rights(self):
        connection = self.journal.bank_collect_account_ids.connection_id
        for intruder in (self.employee, self.portal, self.billing_b):
            self._login(intruder)
            for method in ("action_bank_collect_sync", "action_bank_collect_generate"):
                self._refused("account.journal", method, [self.journal.id])
            self._refused("bank.collect.transaction", "action_mark_reviewed", self.pending.ids)
            self._refused("bank.collect.transaction", "read", self.pending.ids, ["label"])
            for model in ("bank.collect.transaction", "bank.collect.issue", "bank.collect.log"):
                self._sees_nothing(model, [("journal_id", "=", self.journal.id)])
            self._refused("bank.collect.item", "action_renew", [connection.id])
            for wizard in ("bank.collect.force", "bank.collect.pending.delete"):
                try:
                    wizard_id = self._call(wizard, "create", {"journal_id": self.journal.id, **self._dates()})
                except JsonRpcException as error:
                    self.assertIn(str(error), REFUSED)
                else:
                    method = "action_collect" if wizard == "bank.collect.force" else "action_delete"
                    self._refused(wizard, method, [wizard_id])
        self._unchanged()
        self.assertFalse(self.emulator.connect_sessions)
        self.assertFalse(self.env["bank.collect.log"].search([
            ("event", "=", "sync"), ("user_id", "in", (self.employee | self.portal | self.billing_b).ids)]))

    def test_attack_billing_user_configures_the_collection(self):
        """An Invoicing user collects, but linking, detaching, inviting, renewing a connection
        and the aggregator's credentials stay with the administrators."""
        self._login(self.billing)
        for method in ("action_bank_collect_attach", "action_bank_collect_send_reauth", "action_bank_collect_detach"):
            self._refused("account.journal", method, [self.journal.id])
        connection = self.journal.bank_collect_account_ids.connection_id
        self._refused("bank.collect.item", "action_renew", [connection.id])
        self._refused("bank.collect.provider", "action_test_connection", [self.provider.id])
        self._refused("bank.collect.provider", "read", [self.provider.id], ["client_secret"])
        self._unchanged()
        self.assertFalse(self._sent_to(self.owner.email))

    def test_billing_user_does_the_everyday_collection(self):
        """Invoicing users (account.group_account_invoice, what Community's user form offers)
        run the collection of their company's journals, over JSON-RPC as the web client does."""
        self._login(self.billing)
        pending = self._call("bank.collect.transaction", "search_read",
                             [("journal_id", "=", self.journal.id), ("state", "=", "pending")], ["label"])
        self.assertEqual(len(pending), 2)
        result = self._call("account.journal", "action_bank_collect_generate", [self.journal.id])
        self.assertEqual(result["params"]["type"], "success", result)
        self.assertEqual(len(self._lines(self.journal)), 2)
        result = self._call("account.journal", "action_bank_collect_sync", [self.journal.id])
        self.assertEqual(result["params"]["type"], "success", result)
        self.assertTrue(self.env["bank.collect.log"].search([
            ("event", "=", "sync"), ("user_id", "=", self.billing.id)]))
        # Forced collection and the pending-delete wizard.
        self.emulator.add_transactions(self.remote_account_id, transactions=[self._tx(3.0, 3)])
        wizard_id = self._call("bank.collect.force", "create", {"journal_id": self.journal.id, **self._dates()})
        result = self._call("bank.collect.force", "action_collect", [wizard_id])
        self.assertEqual(result["params"]["type"], "success", result)
        new = self._staging(self.journal, state="pending")
        self.assertEqual(len(new), 1)
        wizard_id = self._call("bank.collect.pending.delete", "create",
                               {"journal_id": self.journal.id, "ignore_permanently": True, **self._dates()})
        self._call("bank.collect.pending.delete", "action_delete", [wizard_id])
        self.assertEqual(new.state, "ignored")
        # The error report: an issue is read and resolved; a transaction to review is cleared.
        self.journal._bank_collect_record_issue("bank_down", "Banque indisponible")
        self.env["bank.collect.transaction"].browse(self.pending[0].id).sudo().to_review = True
        self.env.flush_all()
        issues = self._call("bank.collect.issue", "search_read", [("journal_id", "=", self.journal.id)], ["kind"])
        self.assertEqual([issue["kind"] for issue in issues], ["bank_down"])
        self._call("bank.collect.issue", "action_resolve", [issues[0]["id"]])
        self._call("bank.collect.transaction", "action_mark_reviewed", [self.pending[0].id])
        self.env.invalidate_all()
        self.assertEqual(self.env["bank.collect.issue"].browse(issues[0]["id"]).state, "resolved")
        self.assertFalse(self.pending[0].to_review)
        self.assertTrue(self._call("bank.collect.log", "search_read", [("journal_id", "=", self.journal.id)],
                                   ["event"]), "the connection log is readable")


class WebhookSecurityMixin(SecurityMixin):
    """A journal collected from a connection whose events are signed with the provider's secret."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider.webhook_secret = SECRET
        cls.cron = cls.env.ref("bank_collect_bridge.ir_cron_bank_collect_nightly")

    def setUp(self):
        super().setUp()
        iban = self._new_iban()
        self.journal = self._make_journal("Banque Evenements", iban)
        self.item, accounts = self._add_item([{"name": "Compte", "type": "checking", "iban": iban}])
        self.account = accounts["Compte"]
        self._sync(self.journal)
        self.connection = self.journal.bank_collect_account_ids.connection_id
        self.journal.bank_collect_sync_requested = False

    def _post(self, content, when, event_type="item.refreshed", secret=SECRET):
        body = json.dumps({"content": content, "timestamp": int(when.timestamp() * 1000), "type": event_type}).encode()
        return self.url_open(WEBHOOK_PATH, data=body, headers={
            "Content-Type": "application/json", "BridgeApi-Signature": bridge_webhook.sign(body, secret),
        })

    def _status_event(self, status, when):
        content = {"item_id": self.item["id"], "user_uuid": self._user_uuid(), "status_code": status}
        return self._post(content, when)

    def _queued(self, provider=None):
        return self.env["bank.collect.webhook.event"].search([("provider_id", "=", (provider or self.provider).id)])

    def _apply(self):
        self.env["bank.collect.webhook.event"]._bank_collect_process()
        self.env.invalidate_all()

    def _set_status(self, status):
        self.connection.write({"status": status, "status_date": fields.Datetime.now()})
        self.env.flush_all()



@tagged("post_install", "-at_install")
class TestSecurityWebhook(WebhookSecurityMixin, HttpCase):
    """Attack 3: replayed, stale, out-of-order or repeated events; a secret shared by companies."""

    def test_attack_webhook_stale_event_resets_the_connection(self):
        self._set_status(1010)
        answer = self._status_event(0, datetime.datetime(2010, 1, 1, tzinfo=datetime.UTC))
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(answer.text, "stale event ignored")
        self.assertFalse(self._queued())
        self._apply()
        self.assertEqual(self.connection.status, 1010)
        self.assertEqual(self.connection.state, "user_action")
        self.assertFalse(self.journal.bank_collect_sync_requested)
        self.assertTrue(self.env["bank.collect.log"].search([("event", "=", "webhook"), ("result", "=", "refused")]))

    def test_attack_webhook_out_of_order_event_changes_nothing(self):
        self._set_status(1010)
        # Signed, recent, but older than what the collection read from the aggregator.
        answer = self._status_event(0, datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1))
        self.assertEqual(answer.status_code, 200)
        self._apply()
        self.assertEqual(self.connection.status, 1010, "an older event does not override a newer status")

    def test_attack_webhook_repeated_delivery_applies_once(self):
        when = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1)
        self.assertEqual(self._status_event(1010, when).status_code, 200)
        self._apply()
        self.assertEqual(self.connection.status, 1010)
        # The owner reconnects; the same delivery comes again.
        self._set_status(0)
        self.connection.status_date = fields.Datetime.now() + datetime.timedelta(seconds=2)
        self.env.flush_all()
        self.assertEqual(self._status_event(1010, when).status_code, 200)
        self.assertEqual(len(self._queued()), 1, "the same delivery is recorded once")
        self._apply()
        self.assertEqual(self.connection.status, 0)

    def test_attack_webhook_shared_secret_reaches_every_company(self):
        company_b = self.env["res.company"].create({"name": "Societe B Webhook"})
        provider_b = self._make_provider(company_b, webhook_secret=SECRET)
        journal_b = self._make_journal("Banque B", company=company_b)
        item_b = self.env["bank.collect.item"].create({
            "provider_id": provider_b.id, "partner_id": self.owner.id, "remote_id": str(self.item["id"]),
        })
        self.env["bank.collect.account"].create({
            "provider_id": provider_b.id, "partner_id": self.owner.id, "remote_id": str(self.account["id"]),
            "item_id": str(self.item["id"]), "connection_id": item_b.id, "journal_id": journal_b.id,
        })
        journal_b.bank_collect_link_state = "attached"
        self.env.flush_all()
        answer = self._post({"account_id": self.account["id"], "item_id": self.item["id"]},
                            datetime.datetime.now(datetime.UTC), event_type="item.account.updated")
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(len(self._queued()), 1)
        self.assertEqual(len(self._queued(provider_b)), 1)
        self._apply()
        self.assertTrue(self.journal.bank_collect_sync_requested)
        self.assertTrue(journal_b.bank_collect_sync_requested)

@tagged("post_install", "-at_install")
class TestSecurityWebhookLock(WebhookSecurityMixin, HttpCase):
    """Attack 4. The journal is committed before the test transaction starts, so that another
    transaction (the collection) can lock it."""

    @classmethod
    def setUpClass(cls):
        with db_connect(get_db_name()).cursor() as other:
            env = api.Environment(other, SUPERUSER_ID, {})
            cls.locked_journal_id = env["account.journal"].create({
                "name": "Banque Verrouillee", "type": "bank", "code": f"L{int(time.time()) % 10000:04d}",
                "company_id": env.company.id, "bank_statements_source": "bank_collect",
                "bank_collect_link_state": "attached",
            }).id
        cls.addClassCleanup(_drop_journal, cls.locked_journal_id)
        super().setUpClass()

    def test_attack_webhook_under_collection_lock_answers_at_once(self):
        """A collection holds the journal's row lock (another transaction): the webhook neither
        waits for it nor fails, and the cron collects the journal afterwards."""
        iban = self._new_iban()
        journal_id = self.locked_journal_id
        journal = self.env["account.journal"].browse(journal_id)
        item, accounts = self._add_item([{"name": "Compte verrouille", "type": "checking", "iban": iban}])
        self.emulator.add_transactions(accounts["Compte verrouille"]["id"], transactions=[self._tx(7.0, 1)])
        self.env["bank.collect.account"].create({
            "provider_id": self.provider.id, "partner_id": self.owner.id,
            "remote_id": str(accounts["Compte verrouille"]["id"]), "item_id": str(item["id"]),
            "journal_id": journal_id, "account_type": "checking", "iban": iban,
        })
        self.env.flush_all()
        collection = db_connect(get_db_name()).cursor()
        try:
            collection.execute("SELECT id FROM account_journal WHERE id = %s FOR NO KEY UPDATE", [journal_id])
            started = time.monotonic()
            answer = self._post({"account_id": accounts["Compte verrouille"]["id"], "item_id": item["id"]},
                                datetime.datetime.now(datetime.UTC), event_type="item.account.updated")
            elapsed = time.monotonic() - started
        finally:
            collection.rollback()
            collection.close()
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertLess(elapsed, 3.0, "the webhook does not wait for the collection")
        self.assertFalse(self.env["bank.collect.log"].search([("event", "=", "webhook"), ("result", "=", "refused")]))
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]))
        self.env["account.journal"]._cron_bank_collect_nightly()
        self.assertTrue(self._staging(journal), "the cron collected the journal")



def _drop_journal(journal_id):
    with db_connect(get_db_name()).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        journal = env["account.journal"].browse(journal_id).exists()
        accounts = journal.default_account_id
        journal.unlink()
        accounts.exists().unlink()


@tagged("post_install", "-at_install")
class TestSecurityPortal(SecurityMixin, HttpCase):
    """Attack 5: a portal contact floods the aggregator with connect sessions."""

    def test_attack_portal_connect_flood_is_rate_limited(self):
        client = _user(self.env, "bc_sec_portal", "base.group_portal", email="flood@example.com")
        journal = self._make_journal("Banque Flood", self._new_iban(), bank_collect_partner_id=client.partner_id.id)
        self._login(client)
        pages = []
        for __ in range(5):
            page = self.url_open("/my/bank-accounts")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            pages.append(self.url_open(f"/my/bank-accounts/{journal.id}/connect", data={"csrf_token": csrf}))
        self.assertEqual(len(self.emulator.connect_sessions), 3, "three connect sessions a minute")
        self.assertIn("wait a minute", pages[-1].text)
        self.assertEqual(self.env["bank.collect.log"].search_count([
            ("event", "=", "connect_session"), ("user_id", "=", client.id)]), 3)

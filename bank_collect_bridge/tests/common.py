"""Shared set-up of the bank collection tests: a real Bridge emulator over HTTP, a provider
pointing at it, a contact owning the bank access and bank journals with IBANs."""
import datetime
import re
from unittest.mock import patch
from urllib.parse import urljoin

import requests

from odoo import fields
from odoo.tests import TransactionCase

from odoo.addons.bank_collect_bridge.bridge.emulator import BridgeEmulator, french_iban
from odoo.addons.base.models.ir_mail_server import IrMailServer

DEMO_BANK_CODE = 14508


class _FakeSmtp:
    def quit(self):
        return None


class SentMailMixin:
    """Outgoing e-mails captured as the mail server would receive them, in ``self.sent_mails``
    (every test: nothing reaches a real server, and an e-mail deleted once sent is still read)."""

    def setUp(self):
        super().setUp()
        self.sent_mails = []
        build_email = IrMailServer.build_email

        def capture(server, email_from, email_to, subject, body, **kwargs):
            self.sent_mails.append({"email_from": email_from, "email_to": email_to, "subject": subject,
                                    "body": body, **kwargs})
            return build_email(server, email_from, email_to, subject, body, **kwargs)

        for name, replacement in (
            ("build_email", capture),
            ("connect", lambda server, *args, **kwargs: _FakeSmtp()),
            ("send_email", lambda server, message, *args, **kwargs: message["Message-Id"]),
        ):
            patcher = patch.object(IrMailServer, name, replacement)
            patcher.start()
            self.addCleanup(patcher.stop)

    def _sent_to(self, email, subject_part=""):
        return [mail for mail in self.sent_mails
                if any(email in address for address in mail["email_to"]) and subject_part in mail["subject"]]


class BankCollectEmulatorMixin(SentMailMixin):
    """Starts one emulator per test class (port 0) and resets it before each test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.emulator = BridgeEmulator().start()
        cls.addClassCleanup(cls.emulator.stop)
        # A dropped connection fails fast: the client's retries stay short.
        cls.emulator.timeout_delay = 0.2
        cls.company = cls.env.company
        cls.env["bank.collect.provider"].search([("company_id", "=", cls.company.id)]).active = False
        cls.today = fields.Date.context_today(cls.env["res.users"])
        cls.provider = cls._make_provider(cls.company)
        cls.owner = cls.env["res.partner"].create({"name": "Lucile Bertin", "email": "lucile@example.com"})
        cls.iban_seq = 0
        cls.journal_seq = 0

    def setUp(self):
        super().setUp()
        self.emulator.reset()

    @classmethod
    def _make_provider(cls, company, **values):
        return cls.env["bank.collect.provider"].create({
            "name": "Bridge emulator",
            "company_id": company.id,
            "environment": "emulator",
            "api_url": cls.emulator.url,
            "client_id": cls.emulator.client_id,
            "client_secret": cls.emulator.client_secret,
            "sync_start_date": cls.today - datetime.timedelta(days=90),
            **values,
        })

    @classmethod
    def _new_iban(cls):
        cls.iban_seq += 1
        return french_iban(DEMO_BANK_CODE, 31, 70000000 + cls.iban_seq)

    @classmethod
    def _make_journal(cls, name, iban=None, company=None, **values):
        company = company or cls.company
        cls.journal_seq += 1
        journal = cls.env["account.journal"].create({
            "name": name,
            "type": "bank",
            "code": f"BC{cls.journal_seq:03d}",
            "company_id": company.id,
            "bank_statements_source": "bank_collect",
            "bank_collect_partner_id": cls.owner.id,
            **values,
        })
        if iban:
            journal.bank_account_id = cls.env["res.partner.bank"].create({
                "acc_number": iban, "partner_id": company.partner_id.id, "company_id": company.id,
            })
        return journal

    def _user_uuid(self, provider=None):
        """The owner's aggregator user, created at the emulator on first use."""
        return (provider or self.provider)._bank_collect_ensure_user(self.owner)

    def _add_item(self, accounts, provider=None, **kwargs):
        """A bank connection of the owner at the emulator; returns {account name: account json}."""
        item = self.emulator.add_item(self._user_uuid(provider), accounts=accounts, **kwargs)
        return item, {account["name"]: account for account in item["accounts"]}

    def _days_ago(self, days):
        return self.today - datetime.timedelta(days=days)

    def _tx(self, amount, days_ago=1, label=None, **values):
        day = self._days_ago(days_ago)
        return {
            "amount": amount, "date": day, "booking_date": day, "transaction_date": day, "value_date": day,
            "provider_description": label or f"OPERATION {amount}", **values,
        }

    def _lines(self, journal):
        return self.env["account.bank.statement.line"].search([("journal_id", "=", journal.id)], order="date, id")

    def _staging(self, journal, **domain):
        return self.env["bank.collect.transaction"].search(
            [("journal_id", "=", journal.id)] + [(k, "=", v) for k, v in domain.items()]
        )

    def _issues(self, journal, state="open"):
        return self.env["bank.collect.issue"].search([("journal_id", "=", journal.id), ("state", "=", state)])

    def _sync(self, journal):
        action = journal.action_bank_collect_sync()
        self.assertEqual(action.get("tag"), "display_notification", action)
        return action["params"]


class BankCollectFunnelMixin:
    """The account owner on the aggregator's hosted page, driven over HTTP (for HttpCase tests):
    that page is another origin, where no browser tour can run."""

    def _drive_funnel(self, url, outcome=0):
        """Bank login and one-time code on the hosted page; returns the callback URL the aggregator
        redirects the browser to."""
        bank = requests.Session()
        page = bank.get(url, timeout=10)
        self.assertEqual(page.status_code, 200)
        login_action = re.search(r'action="([^"]+/login)"', page.text).group(1)
        answer = bank.post(urljoin(url, login_action), data={
            "provider_id": "574", "login": "lucile", "password": "secret", "outcome": str(outcome),
        }, allow_redirects=True, timeout=10)
        otp_action = re.search(r'action="([^"]+/otp)"', answer.text).group(1)
        answer = bank.post(urljoin(url, otp_action), data={"code": "123456"}, allow_redirects=False, timeout=10)
        self.assertEqual(answer.status_code, 302)
        callback = answer.headers["Location"]
        self.assertTrue(callback.startswith(self.base_url() + "/bank_collect/callback"), callback)
        return callback


class BankCollectCase(BankCollectEmulatorMixin, TransactionCase):
    pass

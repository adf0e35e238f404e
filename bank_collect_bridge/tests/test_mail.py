import datetime
import re
from urllib.parse import unquote

from freezegun import freeze_time

from odoo import fields
from odoo.tests import new_test_user, tagged

from .common import BankCollectCase


class BankCollectMailMixin:
    """An accountant (the collaborator), a contact with an e-mail and a journal whose IBAN is one
    of the contact's accounts at the emulator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env, login="bc_mail_accountant", email="claire.compta@example.com", name="Claire Compta",
            groups="base.group_user,account.group_account_manager",
        )

    def _connected_journal(self, name="Banque Mail", status=0):
        iban = self._new_iban()
        journal = self._make_journal(name, iban)
        item, accounts = self._add_item([{"name": "Compte courant", "type": "checking", "iban": iban}])
        account = accounts["Compte courant"]
        self.emulator.add_transactions(account["id"], transactions=[self._tx(100.0, 3), self._tx(-40.0, 2)])
        self._sync(journal)
        if status:
            self.emulator.set_item_status(item["id"], status)
        return journal, item, account

    def _mails(self, journal, template_xmlid):
        """E-mails of the template as sent to the contact (never stored: read at the mail server)."""
        subject_part = {
            "mail_template_bank_collect_invitation": "connect your bank account",
            "mail_template_bank_collect_reauth": "log in to your bank again",
        }[template_xmlid]
        return [mail for mail in self._sent_to(self.owner.email, subject_part) if journal.name in mail["subject"]]

    def _link(self, mail):
        return unquote(re.search(r'href="([^"]+)"', mail["body"]).group(1).replace("&amp;", "&"))

    def _notes(self, journal):
        """The copies posted on the journal (the collaborator is notified of them)."""
        return self.env["mail.message"].search([
            ("model", "=", "account.journal"), ("res_id", "=", journal.id),
            ("subtype_id", "=", self.env.ref("mail.mt_note").id), ("body", "ilike", "sent to"),
        ])

    def _check_private(self, journal, mail):
        """Sent to the contact only; the journal keeps a copy without token, the collaborator's."""
        self.assertEqual(mail["email_to"], [self.owner.email_formatted])
        self.assertFalse(mail.get("email_cc"))
        self.assertIn(f"/my/bank-accounts?journal={journal.id}", self._link(mail))
        note = self._notes(journal)[:1]
        self.assertTrue(note, "a copy is posted on the journal")
        self.assertIn(f"/my/bank-accounts?journal={journal.id}", note.body)
        self.assertNotIn("token=", note.body)
        self.assertFalse(self.env["mail.message"].search([("body", "ilike", "token=")]), "no message keeps a token")
        self.assertFalse(self.env["mail.mail"].search([("body_html", "ilike", "token=")]), "no mail keeps a token")
        return note


@tagged("post_install", "-at_install")
class TestInvitation(BankCollectMailMixin, BankCollectCase):
    """BC-12: attaching a contact sends the «connect your bank» e-mail; detaching stops the
    collection and keeps the lines; attaching again resumes."""

    def test_attach_sends_the_invitation_with_the_collaborator_in_copy(self):
        journal = self._make_journal("Banque Invitation", self._new_iban())
        result = journal.with_user(self.accountant).action_bank_collect_attach()
        self.assertEqual(result["params"]["title"], "Mail sent")
        self.assertIn("Lucile Bertin", result["params"]["message"])
        self.assertEqual(journal.bank_collect_link_state, "to_attach")
        self.assertEqual(journal.bank_collect_collaborator_id, self.accountant)
        mails = self._mails(journal, "mail_template_bank_collect_invitation")
        self.assertEqual(len(mails), 1)
        note = self._check_private(journal, mails[0])
        self.assertIn("/web/signup?", self._link(mails[0]), "the new portal user signs up from the link")
        self.assertTrue(self.owner.user_ids._is_portal(), "the contact got portal access with the invitation")
        self.assertIn(self.accountant.partner_id, note.partner_ids, "the collaborator gets the copy")

    def test_attach_refuses_a_contact_without_email(self):
        journal = self._make_journal("Banque Sans Mail", self._new_iban())
        journal.bank_collect_partner_id = self.env["res.partner"].create({"name": "Sans Courriel"})
        with self.assertRaisesRegex(Exception, "has no e-mail address"):
            journal.with_user(self.accountant).action_bank_collect_attach()
        self.assertEqual(journal.bank_collect_link_state, "not_linked")
        self.assertFalse(self._mails(journal, "mail_template_bank_collect_invitation"))

    def test_detach_keeps_lines_and_attach_resumes(self):
        journal, __, account = self._connected_journal()
        lines = self._lines(journal)
        self.assertEqual(len(lines), 2)
        journal.with_user(self.accountant).action_bank_collect_detach()
        self.assertEqual(journal.bank_collect_link_state, "detached")
        self.assertEqual(self._lines(journal), lines, "detaching keeps every imported line")
        self.emulator.add_transactions(account["id"], transactions=[self._tx(55.0, 1)])
        self.assertFalse(journal._bank_collect_run()["ok"], "a detached journal is not collected")
        self.assertNotIn(journal, self.env["account.journal"]._bank_collect_due_journals())
        self.assertEqual(self._lines(journal), lines)

        result = journal.with_user(self.accountant).action_bank_collect_attach()
        self.assertEqual(result["params"]["title"], "Collection resumed")
        self.assertEqual(journal.bank_collect_link_state, "attached")
        self.assertTrue(journal.bank_collect_account_ids)
        self.assertTrue(journal.bank_collect_sync_requested)
        self.assertFalse(self._mails(journal, "mail_template_bank_collect_invitation"),
                         "nothing to connect: no invitation")
        self.assertTrue(journal._bank_collect_run()["ok"])
        self.assertEqual(len(self._lines(journal)), 3, "the old lines once, the new one added")


@tagged("post_install", "-at_install")
class TestReauthentication(BankCollectMailMixin, BankCollectCase):
    """BC-11: the contact is asked to log in to the bank again, at most once every 3 days per
    connection; the collaborator can send it on demand."""

    def test_bank_refusal_during_collection_mails_the_contact_once(self):
        journal, item, __ = self._connected_journal(status=1010)
        journal.bank_collect_collaborator_id = self.accountant
        result = journal._bank_collect_run()
        self.assertEqual(result["kind"], "sca_required")
        mails = self._mails(journal, "mail_template_bank_collect_reauth")
        self.assertEqual(len(mails), 1)
        note = self._check_private(journal, mails[0])
        self.assertIn(self.accountant.partner_id, note.partner_ids, "the collaborator gets the copy")
        connection = journal.bank_collect_account_ids.connection_id
        self.assertEqual(connection.state, "user_action", "the connection's status is recorded")
        self.assertTrue(connection.reauth_mail_date)
        self.assertEqual(journal.bank_collect_connection_state, "reauth")
        # The nightly collection fails again the same day: no second e-mail.
        journal._bank_collect_run()
        self.assertEqual(len(self._mails(journal, "mail_template_bank_collect_reauth")), 1)

    def test_reminders_at_most_every_three_days(self):
        journal, __, __ = self._connected_journal(status=402)
        journal._bank_collect_run()
        connection = journal.bank_collect_account_ids.connection_id
        sent_at = connection.reauth_mail_date
        Item = self.env["bank.collect.item"]
        with freeze_time(sent_at + datetime.timedelta(days=2, hours=23)):
            Item._cron_bank_collect_reauth_reminders()
        self.assertEqual(len(self._mails(journal, "mail_template_bank_collect_reauth")), 1)
        with freeze_time(sent_at + datetime.timedelta(days=3, minutes=1)):
            Item._cron_bank_collect_reauth_reminders()
            self.assertEqual(connection.reauth_mail_date, fields.Datetime.now())
        self.assertEqual(len(self._mails(journal, "mail_template_bank_collect_reauth")), 2)

    def test_authentication_ending_within_fourteen_days(self):
        journal, item, __ = self._connected_journal()
        Item = self.env["bank.collect.item"]
        Item._cron_bank_collect_reauth_reminders()
        self.assertFalse(self._mails(journal, "mail_template_bank_collect_reauth"), "healthy: nothing sent")
        self.emulator.set_authentication_expiry(item["id"], self.today + datetime.timedelta(days=10))
        self.assertTrue(journal._bank_collect_run()["ok"])
        connection = journal.bank_collect_account_ids.connection_id
        self.assertEqual(connection.authentication_expires_at.date(), self.today + datetime.timedelta(days=10))
        Item._cron_bank_collect_reauth_reminders()
        self.assertEqual(len(self._mails(journal, "mail_template_bank_collect_reauth")), 1)
        self.assertEqual(journal.bank_collect_connection_state, "reauth")

    def test_change_password_button_sends_on_demand(self):
        journal, __, __ = self._connected_journal(status=402)
        journal._bank_collect_run()
        result = journal.with_user(self.accountant).action_bank_collect_send_reauth()
        self.assertEqual(result["params"]["title"], "Mail sent")
        mails = self._mails(journal, "mail_template_bank_collect_reauth")
        self.assertEqual(len(mails), 2, "asked by the collaborator: sent even within 3 days")
        note = self._check_private(journal, mails[1])
        self.assertIn(self.accountant.partner_id, note.partner_ids, "the collaborator gets the copy")

    def test_change_password_needs_a_connected_journal(self):
        journal = self._make_journal("Banque Pas Connectee", self._new_iban())
        with self.assertRaisesRegex(Exception, "not connected to a bank account yet"):
            journal.with_user(self.accountant).action_bank_collect_send_reauth()


@tagged("post_install", "-at_install")
class TestMailLanguage(BankCollectMailMixin, BankCollectCase):
    """The e-mails are written in the contact's language (French and English)."""

    def test_invitation_in_french_and_in_english(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["bank_collect_bridge"], ["fr_FR"], overwrite=True)
        french = self._make_journal("Banque Francaise", self._new_iban())
        self.owner.lang = "fr_FR"
        french.with_user(self.accountant).action_bank_collect_attach()
        mail = self._sent_to(self.owner.email, "Banque Francaise")[0]
        self.assertIn("connectez votre compte bancaire Banque Francaise", mail["subject"])
        self.assertIn("Connecter mon compte bancaire", mail["body"])
        self.assertIn(f"/my/bank-accounts?journal={french.id}", self._link(mail))

        english = self._make_journal("Banque Anglaise", self._new_iban())
        self.owner.lang = "en_US"
        english.with_user(self.accountant).action_bank_collect_attach()
        mail = self._sent_to(self.owner.email, "Banque Anglaise")[0]
        self.assertIn("connect your bank account Banque Anglaise", mail["subject"])
        self.assertIn("Connect my bank account", mail["body"])

import re
from urllib.parse import urlsplit

from lxml import html

from odoo.tests import HttpCase, new_test_user, tagged

from .common import BankCollectEmulatorMixin, BankCollectFunnelMixin

PORTAL_LOGIN = "lucile.portal@example.com"


class PortalFunnelMixin(BankCollectFunnelMixin):
    """The funnel from the portal: its link on the page and the form's CSRF token."""

    def _funnel_url_of(self, page_text):
        match = re.search(r'href="([^"]+/connect/session/[^"]+)"', page_text)
        self.assertTrue(match, "the page links to the aggregator's hosted page")
        return match.group(1)

    def _csrf(self, page_text):
        return re.search(r'name="csrf_token" value="([^"]+)"', page_text).group(1)


@tagged("post_install", "-at_install")
class TestPortalAccess(PortalFunnelMixin, BankCollectEmulatorMixin, HttpCase):
    """BC-13: /my/bank-accounts shows the contact's journals only, the funnel and the account
    choice work from the portal, another contact's journal is refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client_user = new_test_user(
            cls.env, login="bc_portal_client", password="bc_portal_client_pw", groups="base.group_portal",
            name="Client Portail", email="client.portail@example.com",
        )
        cls.other_user = new_test_user(
            cls.env, login="bc_portal_other", password="bc_portal_other_pw", groups="base.group_portal",
            name="Autre Client", email="autre.client@example.com",
        )
        cls.accountant = new_test_user(
            cls.env, login="bc_portal_accountant", groups="base.group_user,account.group_account_manager",
        )

    def setUp(self):
        super().setUp()
        self.journal = self._make_journal("Banque Client", self._new_iban(),
                                          bank_collect_partner_id=self.client_user.partner_id.id)
        self.other_journal = self._make_journal("Banque Autre", self._new_iban(),
                                                bank_collect_partner_id=self.other_user.partner_id.id)
        self.authenticate("bc_portal_client", "bc_portal_client_pw")

    def _connect(self, journal):
        page = self.url_open("/my/bank-accounts")
        return self.url_open(f"/my/bank-accounts/{journal.id}/connect", data={"csrf_token": self._csrf(page.text)})

    def test_list_shows_only_my_journals(self):
        page = self.url_open("/my/bank-accounts")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Banque Client", page.text)
        self.assertIn("o_bank_collect_connect", page.text)
        self.assertNotIn("Banque Autre", page.text)

    def test_home_counter(self):
        answer = self.make_jsonrpc_request("/my/counters", {"counters": ["bank_collect_journal_count"]})
        self.assertEqual(answer["bank_collect_journal_count"], 1)

    def test_journal_of_my_company_is_mine_too(self):
        company = self.env["res.partner"].create({"name": "SARL Client", "is_company": True})
        self.client_user.partner_id.parent_id = company
        self._make_journal("Banque Societe", self._new_iban(), bank_collect_partner_id=company.id)
        self.assertIn("Banque Societe", self.url_open("/my/bank-accounts").text)

    def test_another_contacts_journal_is_refused(self):
        self.assertEqual(self.url_open(f"/my/bank-accounts?journal={self.other_journal.id}").status_code, 404)
        self.assertEqual(self._connect(self.other_journal).status_code, 404)
        self.assertFalse(self.env["bank.collect.log"].search([("journal_id", "=", self.other_journal.id)]))
        self.assertFalse(self.emulator.connect_sessions, "no connect session for someone else's journal")

    def test_connect_choose_and_collect_from_the_portal(self):
        page = self._connect(self.journal)
        self.assertEqual(page.status_code, 200)
        funnel = self._funnel_url_of(page.text)
        self.assertTrue(funnel.startswith(self.emulator.url))
        session_log = self.env["bank.collect.log"].search([("event", "=", "connect_session")])
        self.assertEqual(session_log.user_id, self.client_user)
        self.assertEqual(session_log.partner_id, self.client_user.partner_id)
        self.assertEqual(session_log.journal_id, self.journal)
        self.assertEqual(session_log.result, "success")

        # Another portal contact cannot use this contact's callback.
        callback = self._drive_funnel(funnel)
        self.authenticate("bc_portal_other", "bc_portal_other_pw")
        self.assertIn("Bank connection refused", self.url_open(callback).text)
        self.authenticate("bc_portal_client", "bc_portal_client_pw")

        page = self.url_open(callback)
        self.assertIn("Choose the bank account", page.text)
        callback_logs = self.env["bank.collect.log"].search([("event", "=", "callback")], order="id")
        self.assertEqual(callback_logs.mapped("result"), ["refused", "success"])
        self.assertEqual(callback_logs[1].user_id, self.client_user)
        self.assertTrue(callback_logs[1].item_ref)
        checking = self.env["bank.collect.account"].search([
            ("partner_id", "=", self.client_user.partner_id.id), ("account_type", "=", "checking"),
        ])
        context = re.search(r'name="context" value="([^"]+)"', page.text).group(1)
        page = self.url_open("/bank_collect/choose", data={
            "csrf_token": self._csrf(page.text), "context": context, "account_id": str(checking.id),
        })
        self.assertIn("Bank account connected", page.text)
        self.assertIn('href="/my/bank-accounts"', page.text)
        self.assertEqual(self.journal.bank_collect_link_state, "attached")
        self.assertEqual(self.journal.bank_collect_account_ids, checking)
        self.assertEqual(checking.connection_id.bank_name, "Demo Bank")
        self.assertIn("o_bank_collect_state_connected", self.url_open("/my/bank-accounts").text)
        # The accountant's Synchro imports the lines.
        result = self.journal.with_user(self.accountant).action_bank_collect_sync()
        self.assertEqual(result["params"]["type"], "success", result)
        self.assertTrue(self._lines(self.journal))

    def test_second_account_of_a_connected_bank_skips_the_funnel(self):
        iban = self.journal.bank_account_id.acc_number
        provider_user = self.provider._bank_collect_ensure_user(self.client_user.partner_id)
        self.emulator.add_item(provider_user, accounts=[
            {"name": "Compte", "type": "checking", "iban": iban},
            {"name": "Compte bis", "type": "checking",
             "iban": iban[:4] + "14508" + iban[9:14] + "99999999999" + iban[25:]},
        ])
        self.journal.with_user(self.accountant).action_bank_collect_sync()
        second = self._make_journal("Banque Client 2", iban[:4] + "14508" + iban[9:14] + "12312312312" + iban[25:],
                                    bank_collect_partner_id=self.client_user.partner_id.id)
        page = self._connect(second)
        self.assertEqual(urlsplit(page.url).path, "/bank_collect/choose", "straight to the account choice")
        self.assertIn("Compte bis", page.text)
        self.assertFalse(self.emulator.connect_sessions, "no new bank login")

    def test_reauthenticate_from_the_portal(self):
        iban = self.journal.bank_account_id.acc_number
        provider_user = self.provider._bank_collect_ensure_user(self.client_user.partner_id)
        item = self.emulator.add_item(provider_user, accounts=[{"name": "Compte", "type": "checking", "iban": iban}])
        self.journal.with_user(self.accountant).action_bank_collect_sync()
        self.assertEqual(self.journal.bank_collect_link_state, "attached")
        self.emulator.set_item_status(item["id"], 402)
        self.journal._bank_collect_run()
        page = self.url_open("/my/bank-accounts")
        self.assertIn("o_bank_collect_reauth", page.text)
        page = self._connect(self.journal)
        self._funnel_url_of(page.text)
        session = next(iter(self.emulator.connect_sessions.values()))
        self.assertEqual(session["item_id"], item["id"], "the funnel reopens the connection to renew")

    def _page(self, url):
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        return html.fromstring(page.text)

    def _connect_buttons(self, tree, journal):
        return tree.xpath(f"//form[@action='/my/bank-accounts/{journal.id}/connect']//button")

    def test_page_speaks_to_the_customer(self):
        """What a customer reads: the bank's name, what connecting does and who reads the
        account, one button per state and only one after the e-mail link."""
        self.journal.bank_account_id.bank_id = self.env["res.bank"].create({"name": "Banque Populaire Lorraine"})
        tree = self._page("/my/bank-accounts")
        intro = tree.xpath("string(//p[hasclass('o_bank_collect_intro')])")
        self.assertIn("Bridge by Bankin'", intro)
        self.assertIn("regulated", intro)
        self.assertIn(self.journal.company_id.name, intro, "the firm the aggregator reads the account for")
        row = tree.xpath(f"//tr[hasclass('o_bank_collect_journal_{self.journal.id}')]")[0]
        self.assertEqual(row.xpath("string(td[hasclass('o_bank_collect_bank')])"), "Banque Populaire Lorraine")
        self.assertEqual([b.text_content().strip() for b in self._connect_buttons(tree, self.journal)],
                         ["Connect my bank"])
        self.assertIn("Last update", tree.xpath("string(//thead)"))

        # The e-mail's link: the journal is explained in the box, whose button is the only one.
        tree = self._page(f"/my/bank-accounts?journal={self.journal.id}")
        box = tree.xpath("//div[hasclass('o_bank_collect_confirm')]")[0]
        self.assertIn("Banque Client (Banque Populaire Lorraine)", box.text_content())
        self.assertEqual([b.text_content().strip() for b in self._connect_buttons(tree, self.journal)],
                         ["Connect my bank"])
        self.assertTrue(box.xpath(".//button"), "the one button is in the box")

        # Connected, then the bank asks the owner again: the page says so, in French too.
        iban = self.journal.bank_account_id.acc_number
        item = self.emulator.add_item(self.provider._bank_collect_ensure_user(self.client_user.partner_id),
                                      accounts=[{"name": "Compte", "type": "checking", "iban": iban}])
        self.journal.with_user(self.accountant).action_bank_collect_sync()
        self.journal.bank_collect_account_ids.connection_id._bank_collect_fill_bank_names()
        tree = self._page(f"/my/bank-accounts?journal={self.journal.id}")
        self.assertFalse(self._connect_buttons(tree, self.journal), "nothing to do on a connected account")
        self.assertIn("nothing more to do", tree.xpath("string(//div[hasclass('o_bank_collect_confirm')])"))
        self.assertEqual(tree.xpath("string(//td[hasclass('o_bank_collect_bank')])"), "Demo Bank")
        self.emulator.set_item_status(item["id"], 402)
        self.journal._bank_collect_run()
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["bank_collect_bridge"], ["fr_FR"], overwrite=True)
        self.client_user.lang = "fr_FR"
        self.authenticate("bc_portal_client", "bc_portal_client_pw")  # the session keeps the language of its login
        tree = self._page("/my/bank-accounts")
        self.assertIn("Dernière mise à jour", tree.xpath("string(//thead)"))
        self.assertEqual([b.text_content().strip() for b in self._connect_buttons(tree, self.journal)],
                         ["Reconnecter ma banque"])
        self.assertIn("agrégateur bancaire agréé", tree.xpath("string(//p[hasclass('o_bank_collect_intro')])"))
        page_text = tree.text_content()
        for jargon in ("télécollecte", "authentifier"):
            self.assertNotIn(jargon, page_text)


@tagged("post_install", "-at_install")
class TestPortalInvitation(BankCollectEmulatorMixin, HttpCase):
    """BC-13: portal access granted from the contact with Odoo's own invitation; resent; the
    contact's first login is visible."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env, login="bc_invite_accountant",
            groups="base.group_user,account.group_account_manager,base.group_partner_manager",
        )

    def test_grant_resend_and_first_login(self):
        contact = self.env["res.partner"].create({"name": "Jean Dupont", "email": "jdupont@example.com"})
        self.assertEqual(contact.bank_collect_portal_state, "none")
        result = contact.with_user(self.accountant).action_bank_collect_grant_portal()
        self.assertEqual(result["params"]["title"], "Invitation sent")
        user = contact.user_ids
        self.assertTrue(user._is_portal())
        contact.invalidate_recordset()
        self.assertEqual(contact.bank_collect_portal_state, "invited")
        # Odoo's invitation, as sent: to the contact only, kept nowhere (it carries the signup token).
        welcome = self._sent_to("jdupont@example.com")
        self.assertEqual(len(welcome), 1)
        self.assertFalse(self.env["mail.mail"].search([("email_to", "ilike", "jdupont@example.com")]))
        signup = re.search(r'href="([^"]*/web/signup\?[^"]+)"', welcome[0]["body"]).group(1).replace("&amp;", "&")
        page = self.url_open(signup[len(self.base_url()):] if signup.startswith("http") else signup)
        self.assertEqual(page.status_code, 200)
        self.assertIn('name="confirm_password"', page.text, "the invitation link opens the signup form")

        contact.with_user(self.accountant).action_bank_collect_resend_invitation()
        self.assertEqual(len(self._sent_to("jdupont@example.com")), 2)

        user.password = "jdupont-password"
        self.authenticate(user.login, "jdupont-password")
        contact.invalidate_recordset()
        self.assertEqual(contact.bank_collect_portal_state, "active")
        self.assertTrue(contact.bank_collect_login_date)


@tagged("post_install", "-at_install")
class TestPortalTour(PortalFunnelMixin, BankCollectEmulatorMixin, HttpCase):
    """The whole client journey in headless Chromium: invitation link, signup, /my/bank-accounts,
    connection, account choice; then the accountant's Synchro imports the lines."""

    def test_client_journey(self):
        accountant = new_test_user(
            self.env, login="bc_tour_accountant",
            groups="base.group_user,account.group_account_manager,base.group_partner_manager",
            email="claire.tour@example.com",
        )
        contact = self.env["res.partner"].create({"name": "Lucile Portail", "email": PORTAL_LOGIN})
        contact.with_user(accountant).action_bank_collect_grant_portal()
        journal = self._make_journal("Banque Portail", self._new_iban(), bank_collect_partner_id=contact.id)
        journal.with_user(accountant).action_bank_collect_attach()
        invitation = self._sent_to(PORTAL_LOGIN, "connect your bank account")
        self.assertEqual(len(invitation), 1)
        link = re.search(r'href="([^"]+)"[^>]*>\s*Connect my bank account', invitation[0]["body"]).group(1)
        link = link.replace("&amp;", "&")
        parts = urlsplit(link)
        self.assertEqual(parts.path, "/web/signup", "the contact has no password yet: the link signs them up")

        self.start_tour(f"{parts.path}?{parts.query}", "bank_collect_portal_signup_tour")
        user = contact.user_ids
        self.assertTrue(user.login_date, "the contact is logged in")
        self.assertEqual(len(self.emulator.connect_sessions), 1)
        token, session = next(iter(self.emulator.connect_sessions.items()))
        callback = self._drive_funnel(f"{self.emulator.url}/connect/session/{token}")

        parts = urlsplit(callback)
        self.start_tour(f"{parts.path}?{parts.query}", "bank_collect_portal_choose_tour", login=PORTAL_LOGIN)
        self.assertEqual(journal.bank_collect_link_state, "attached")
        self.assertEqual(journal.bank_collect_account_ids.name, "Compte courant professionnel")
        result = journal.with_user(accountant).action_bank_collect_sync()
        self.assertEqual(result["params"]["type"], "success", result)
        self.assertTrue(self._lines(journal), "the accountant's Synchro imports the lines")
        events = self.env["bank.collect.log"].search([("journal_id", "=", journal.id)]).mapped("event")
        self.assertIn("connect_session", events)
        self.assertIn("callback", events)
        self.assertIn("sync", events)

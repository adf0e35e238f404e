"""The attacks of the security review, each performed from the attacking role's seat (portal
session or back-office user over JSON-RPC), each checked in the database to have changed nothing."""
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException, get_db_name
from odoo.tools.misc import mute_logger

from .common import DEMO_IBAN, SepaOneoffCommon

# One signature in its own process, as an HTTP worker runs it; prints its outcome.
SIGN_SCRIPT = """
import datetime
import os
import sys
import time
import uuid
if os.environ.get("TEST_CLOCK_OFFSET"):  # the suite runs on a frozen clock: follow it
    import freezegun
    offset = datetime.timedelta(seconds=float(os.environ["TEST_CLOCK_OFFSET"]))
    freezegun.freeze_time(datetime.datetime.utcnow() + offset, tick=True).start()
import odoo
from odoo import api
from odoo.service.model import retrying
odoo.tools.config.parse_config(["-c", sys.argv[1], "--log-level=critical"])
from odoo.addons.sepa_oneoff_portal.models.sepa_oneoff_mandate import SepaOneoffRefused
uid, customer, barrier_dir, iban = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
registry = odoo.modules.registry.Registry(sys.argv[2])
try:
    with registry.cursor() as cr:
        env = api.Environment(cr, uid, {})
        seen = env.user.partner_id._sepa_oneoff_balance_due(env.company)
        open(os.path.join(barrier_dir, str(os.getpid())), "w").close()
        deadline = time.monotonic() + 60
        while len(os.listdir(barrier_dir)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        mandates = env["sepa.oneoff.mandate"].sudo()
        values = {
            "name": mandates._sepa_oneoff_new_reference(), "company_id": env.company.id, "partner_id": customer,
            "lastname": "RACE", "firstname": "Debtor", "iban": iban, "bic": "AGRIFRPPXXX", "amount": seen,
            "signed_ip": "127.0.0.1", "signed_user_id": uid, "request_token": uuid.uuid4().hex,
        }
        # Odoo's request handling: replayed on a fresh snapshot after a serialization failure
        retrying(lambda: mandates._sepa_oneoff_sign(values), env)
    print("OUTCOME signed")
except SepaOneoffRefused as refused:
    print("OUTCOME refused: " + refused.args[0])
"""
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN = re.compile(r'name="token" value="([0-9a-f]+)"')
PASSWORDS = {
    "so_client": "so_client_pw1",
    "so_sec_billing": "so_sec_billing_pw1",
    "so_sec_manager": "so_sec_manager_pw1",
}
OTHER_IBAN = "DE89370400440532013000"
REFUSALS = {
    "odoo.exceptions.AccessError", "odoo.exceptions.UserError", "odoo.exceptions.ValidationError",
    "odoo.addons.sepa_oneoff_portal.models.sepa_oneoff_mandate.SepaOneoffRefused",
}


@tagged("post_install", "-at_install")
class TestSecurityAttacks(SepaOneoffCommon, HttpCase):
    """Roles as Odoo Community ships them: a portal customer, an invoicing (billing) user and a
    billing administrator; none has the hidden «full accounting» group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_sepa_oneoff()
        cls.billing = new_test_user(
            cls.env, login="so_sec_billing", password=PASSWORDS["so_sec_billing"],
            groups="account.group_account_invoice,base.group_user",
        )
        cls.manager = new_test_user(
            cls.env, login="so_sec_manager", password=PASSWORDS["so_sec_manager"],
            groups="account.group_account_manager,base.group_user",
        )

    # ---------------------------------------------------------------- helpers
    def _rpc(self, login, model, method, *args, **kwargs):
        self.authenticate(login, PASSWORDS[login])
        return self.make_jsonrpc_request("/web/dataset/call_kw", {
            "model": model, "method": method, "args": list(args), "kwargs": kwargs,
        })

    def _assert_refused(self, login, model, method, *args, **kwargs):
        """The call fails with one of Odoo's refusals (not a crash of the call itself)."""
        with self.assertRaises(JsonRpcException, msg=f"{login}: {model}.{method}{args}") as caught, \
                mute_logger("odoo.http"):
            self._rpc(login, model, method, *args, **kwargs)
        self.assertIn(str(caught.exception), REFUSALS, f"{login}: {model}.{method}{args}")
        self.env.invalidate_all()

    def _csrf(self):
        return CSRF.search(self.url_open("/my/sepa-oneoff").text).group(1)

    def _form(self, **values):
        data = {
            "civility": "mr", "lastname": "MARITON", "firstname": "Paul", "company_name": "",
            "email": "paul.mariton@example.com", "amount": "65.63", "iban": DEMO_IBAN, "bic": "",
        }
        data.update(values)
        data["csrf_token"] = self._csrf()
        return self.url_open("/my/sepa-oneoff", data=data)

    def _field_error(self, response, field):
        match = re.search(rf'class="invalid-feedback" data-field="{field}">([^<]*)<', response.text)
        return match and match.group(1)

    def _mandates(self, partner=None):
        return self.env["sepa.oneoff.mandate"].search([("partner_id", "=", (partner or self.customer).id)])

    def _export(self, payments):
        action = payments.with_user(self.billing).action_sepa_oneoff_export()
        return self.env["sepa.oneoff.batch"].browse(action["res_id"])

    # ---------------------------------------------------------------- 5: balance and rate limit on the model
    def test_attack_second_signature_beyond_balance_refused(self):
        # two recaps of 100.00 prepared while 120.00 is due, then both signed: the second is refused
        self.authenticate("so_client", PASSWORDS["so_client"])
        tokens = [TOKEN.search(self._form(amount="100").text).group(1) for _n in range(2)]
        first = self.url_open("/my/sepa-oneoff/sign", data={"csrf_token": self._csrf(), "token": tokens[0],
                                                              "accept": "1"})
        self.assertEqual(first.status_code, 200)
        second = self.url_open("/my/sepa-oneoff/sign", data={"csrf_token": self._csrf(), "token": tokens[1],
                                                               "accept": "1"})
        self.assertEqual(second.status_code, 400)
        self.assertIn("cannot exceed your balance due", self._field_error(second, "amount") or "")
        self.assertEqual(self._mandates().mapped("amount"), [100.0])

    def test_attack_mandate_create_over_jsonrpc_beyond_balance_refused(self):
        self._sepa_sign(amount=65.63)
        values = {"name": "RUM-FORGED-1", "partner_id": self.customer.id, "iban": OTHER_IBAN, "amount": 999.0,
                  "signed_ip": "10.0.0.1"}
        self._assert_refused("so_client", "sepa.oneoff.mandate", "create", values)
        self._assert_refused("so_sec_billing", "sepa.oneoff.mandate", "create", values)
        # 65.63 already signed for: 60.00 more would exceed the 120.00 due
        self._assert_refused("so_sec_billing", "sepa.oneoff.mandate", "create", dict(values, amount=60.0))
        self.assertEqual(self._mandates().mapped("amount"), [65.63])
        # within the balance, a back-office entry is recorded as its author's, whatever it claims
        mandate_id = self._rpc("so_sec_billing", "sepa.oneoff.mandate", "create", dict(values, amount=20.0))
        mandate = self.env["sepa.oneoff.mandate"].browse(mandate_id)
        self.assertEqual((mandate.signed_user_id, mandate.signed_ip), (self.billing, False))
        # and the hourly limit holds there too
        self.company.sepa_oneoff_rate_limit = 1
        self._assert_refused("so_sec_billing", "sepa.oneoff.mandate", "create",
                             dict(values, name="RUM-FORGED-2", amount=1.0))
        self.assertEqual(len(self._mandates()), 2)

    # ---------------------------------------------------------------- 6: signed mandate immutable
    def test_attack_signed_mandate_iban_rewrite_refused(self):
        mandate = self._sepa_sign(amount=65.63)
        for login in ("so_sec_billing", "so_sec_manager"):
            for values in ({"iban": OTHER_IBAN}, {"bic": "COBADEFFXXX"}, {"iban": OTHER_IBAN, "bic": "COBADEFFXXX"}):
                self._assert_refused(login, "sepa.oneoff.mandate", "write", mandate.ids, values)
        self.assertEqual((mandate.iban, mandate.bic), (DEMO_IBAN, "AGRIFRPPXXX"))
        self.assertFalse(mandate.message_ids.tracking_value_ids)

    def test_attack_signed_mandate_document_rewritten_or_deleted(self):
        mandate = self._sepa_sign(amount=65.63)
        evidence = self.env["ir.attachment"].search([("res_model", "=", mandate._name), ("res_id", "=", mandate.id)])
        self.assertEqual(len(evidence), 1)
        before = evidence.read(["name", "checksum", "res_model", "res_id"])
        forged = self.env["ir.attachment"].create({"name": "forged.pdf", "raw": b"%PDF-1.4 forged"})
        for login in ("so_sec_billing", "so_sec_manager"):
            self._assert_refused(login, "ir.attachment", "write", evidence.ids, {"raw": "JVBERi0xLjQgZm9yZ2Vk"})
            self._assert_refused(login, "ir.attachment", "write", evidence.ids, {"res_id": self.other_customer.id})
            self._assert_refused(login, "ir.attachment", "unlink", evidence.ids)
            self._assert_refused(login, "ir.attachment", "write", forged.ids,
                                 {"res_model": mandate._name, "res_id": mandate.id})
        self.assertEqual(evidence.read(["name", "checksum", "res_model", "res_id"]), before)

    def test_attack_signed_mandate_amount_rewrite_refused(self):
        mandate = self._sepa_sign(amount=65.63)
        signed = ["amount", "partner_id", "name", "collection_date", "signed_at", "signed_ip", "signed_user_agent",
                  "mandate_text", "lastname", "email"]
        before = mandate.read(signed)
        attacks = [
            {"amount": 999}, {"partner_id": self.other_customer.id}, {"name": "RUM-OTHER"},
            {"collection_date": "2030-01-01"}, {"signed_at": "2020-01-01 00:00:00"}, {"signed_ip": "10.0.0.1"},
            {"signed_user_agent": "forged"}, {"mandate_text": "nothing"}, {"lastname": "OTHER"},
            {"email": "attacker@example.com"},
        ]
        for login in ("so_sec_billing", "so_sec_manager"):
            for values in attacks:
                self._assert_refused(login, "sepa.oneoff.mandate", "write", mandate.ids, values)
        self.assertEqual(mandate.read(signed), before)
        self.assertEqual(mandate.payment_id.amount, 65.63)

    def test_attack_signed_mandate_state_rewrite_refused(self):
        mandate = self._sepa_sign(amount=65.63)
        payment = mandate.payment_id
        for values in ({"state": "cancelled"}, {"state": "collected"}, {"payment_id": False}):
            self._assert_refused("so_sec_manager", "sepa.oneoff.mandate", "write", mandate.ids, values)
        self.assertEqual((mandate.state, mandate.payment_id), ("signed", payment))

    def test_attack_signed_mandate_delete_refused(self):
        mandate = self._sepa_sign(amount=65.63)
        for login in ("so_sec_billing", "so_sec_manager"):
            self._assert_refused(login, "sepa.oneoff.mandate", "unlink", mandate.ids)
        self.assertTrue(mandate.exists())

    def test_signed_mandate_cancel_leaves_a_trace(self):
        mandate = self._sepa_sign(amount=65.63)
        # no reason, no cancel
        self._assert_refused("so_sec_billing", "sepa.oneoff.mandate", "action_sepa_oneoff_cancel", mandate.ids, " ")
        self._assert_refused("so_client", "sepa.oneoff.mandate", "action_sepa_oneoff_cancel", mandate.ids, "mine")
        self.assertEqual(mandate.state, "signed")
        wizard_id = self._rpc("so_sec_billing", "sepa.oneoff.mandate.cancel", "create",
                              {"reason": "Paid by transfer"}, context={"active_model": mandate._name,
                                                                       "active_ids": mandate.ids})
        self._rpc("so_sec_billing", "sepa.oneoff.mandate.cancel", "action_confirm", [wizard_id])
        self.env.invalidate_all()
        self.assertEqual(mandate.state, "cancelled")
        self.assertEqual(mandate.payment_id.state, "canceled")
        trace = mandate.message_ids.filtered(lambda m: "Paid by transfer" in (m.body or ""))
        self.assertEqual(trace.author_id, self.billing.partner_id)
        self.assertIn(self.billing.name, trace.body)
        # what was cancelled is free to be signed for again
        self.assertEqual(self.customer._sepa_oneoff_balance_due(self.company), 120.0)

    def test_attack_exported_mandate_cancel_refused(self):
        mandate = self._sepa_sign(amount=65.63)
        self._export(mandate.payment_id)
        self._assert_refused("so_sec_billing", "sepa.oneoff.mandate", "action_sepa_oneoff_cancel", mandate.ids,
                             "too late")
        self.assertEqual(mandate.state, "exported")

    # ---------------------------------------------------------------- 7: exported receipts stay in their file
    def test_attack_exported_receipt_unlock_refused(self):
        payment = self._sepa_sign(amount=20.0).payment_id
        batch = self._export(payment)
        for login in ("so_sec_billing", "so_sec_manager"):
            for values in ({"sepa_oneoff_batch_id": False}, {"sepa_oneoff_exported": False}):
                self._assert_refused(login, "account.payment", "write", payment.ids, values)
                # the context is the caller's: no key of it opens the lock
                self._assert_refused(login, "account.payment", "write", payment.ids, values,
                                     context={"sepa_oneoff_export": True, "tracking_disable": True})
            # through the file's side
            for command in ([(3, payment.id)], [(5, 0, 0)], [(6, 0, [])]):
                self._assert_refused(login, "sepa.oneoff.batch", "write", batch.ids, {"payment_ids": command})
        self.assertEqual(payment.sepa_oneoff_batch_id, batch)
        self.assertTrue(payment.sepa_oneoff_exported)
        # and so it cannot go in a second file
        self._assert_refused("so_sec_billing", "account.payment", "action_sepa_oneoff_export", payment.ids)
        self.assertEqual(self.env["sepa.oneoff.batch"].search_count([("payment_ids", "in", payment.ids)]), 1)

    def test_attack_exported_receipt_delete_refused(self):
        payment = self._sepa_sign(amount=20.0).payment_id
        batch = self._export(payment)
        for login in ("so_sec_billing", "so_sec_manager"):
            self._assert_refused(login, "account.payment", "unlink", payment.ids)
            # deleting the file would free its receipts (the link is cleared by the database)
            self._assert_refused(login, "sepa.oneoff.batch", "unlink", batch.ids)
        self.assertTrue(payment.exists())
        self.assertEqual(payment.sepa_oneoff_batch_id, batch)

    def test_attack_exported_receipt_exported_again_refused(self):
        payment = self._sepa_sign(amount=20.0).payment_id
        batch = self._export(payment)
        xml_file = batch.xml_file
        self._assert_refused("so_sec_billing", "account.payment", "action_sepa_oneoff_export", payment.ids)
        # a hand-made file taking the receipt, or a rewritten one, are refused as well
        other = self._sepa_sign(amount=10.0).payment_id
        for login in ("so_sec_billing", "so_sec_manager"):
            self._assert_refused(login, "sepa.oneoff.batch", "create", {
                "name": "FORGED", "pain_version": "pain.008.001.08", "collection_date": "2030-01-02",
                "payment_ids": [(4, payment.id), (4, other.id)],
            })
            self._assert_refused(login, "sepa.oneoff.batch", "write", batch.ids, {"xml_file": "Zm9yZ2Vk"})
            self._assert_refused(login, "account.payment", "create", {
                "payment_type": "inbound", "partner_type": "customer", "partner_id": self.customer.id,
                "amount": 20.0, "journal_id": self.journal.id, "sepa_oneoff_batch_id": batch.id,
            })
        self.assertEqual(self.env["sepa.oneoff.batch"].search([]), batch)
        self.assertEqual(batch.xml_file, xml_file)
        self.assertEqual(batch.payment_ids, payment)
        self.assertFalse(other.sepa_oneoff_batch_id)

    # ---------------------------------------------------------------- 9: plain amounts only
    def test_attack_amount_exotic_notations_refused(self):
        self.authenticate("so_client", PASSWORDS["so_client"])
        # all worth 10.00 or less once parsed loosely, well within the 120.00 due
        for typed in ("1e1", "1E1", "1_0", "+10", "\u0661\u0660", "10.000", "0x0A", "NaN", "Infinity",
                      "1,000.50", "10 0", "10.", ".5", "10,5,0"):
            with self.subTest(typed=typed):
                response = self._form(amount=typed)
                self.assertEqual(response.status_code, 400)
                self.assertTrue(self._field_error(response, "amount"))
                self.assertIn(f'value="{html.escape(typed)}"', response.text)  # nothing typed lost
                self.assertIn(f'value="{DEMO_IBAN}"', response.text)
                self.assertNotIn("o_sepa_oneoff_recap", response.text)

    def test_amount_plain_french_notations_accepted(self):
        self._sepa_invoice(self.customer, 2000.0, "2026-02-10")
        self.authenticate("so_client", PASSWORDS["so_client"])
        for typed, shown in (("1 000,50", "1,000.50"), ("1\u00a0000,50", "1,000.50"), ("1\u202f000.5", "1,000.50"),
                             ("65,63", "65.63"), ("65.6", "65.60"), ("100", "100.00")):
            with self.subTest(typed=typed):
                response = self._form(amount=typed)
                self.assertEqual(response.status_code, 200)
                amount = re.search(r'o_sepa_oneoff_amount"[^>]*>(.*?)</strong>', response.text, re.S).group(1)
                self.assertIn(shown, amount)

    # ---------------------------------------------------------------- 11: the form step is rate-limited
    def test_attack_form_step_flood_rate_limited(self):
        self.company.sepa_oneoff_form_rate_limit = 3
        self.authenticate("so_client", PASSWORDS["so_client"])
        for _n in range(3):
            self.assertEqual(self._form(iban="FR7630006000011234567890188").status_code, 400)
        response = self._form(amount="12,50")
        self.assertEqual(response.status_code, 429)
        self.assertIn("Too many submissions", response.text)
        self.assertIn('value="12,50"', response.text)
        self.assertNotIn("o_sepa_oneoff_recap", response.text)
        attempts = self.env["sepa.oneoff.form.attempt"].search([("user_id", "=", self.portal_user.id)])
        self.assertEqual(len(attempts), 3)
        self.assertFalse(self._mandates())

    # ---------------------------------------------------------------- sudo() audit
    def test_attack_check_pending_as_portal_refused(self):
        # a mandate whose receipt creation failed; «Check pending requests» runs as superuser
        mandate = self.env["sepa.oneoff.mandate"].create({
            "name": "RUM-LOST-SEC", "partner_id": self.customer.id, "iban": DEMO_IBAN, "amount": 12.0,
            "signed_at": fields.Datetime.now(),
        })
        self._assert_refused("so_client", "account.payment", "action_sepa_oneoff_check_pending")
        self.assertFalse(mandate.payment_id)
        # another company's pending mandate is not the billing user's business
        other_company = self.env["res.company"].create({"name": "SEC Other company"})
        foreign = self.env["sepa.oneoff.mandate"].create({
            "name": "RUM-LOST-FOREIGN", "company_id": other_company.id, "partner_id": self.other_customer.id,
            "iban": DEMO_IBAN, "amount": 5.0, "signed_at": fields.Datetime.now(),
        })
        self._rpc("so_sec_billing", "account.payment", "action_sepa_oneoff_check_pending")
        self.env.invalidate_all()
        self.assertEqual(mandate.payment_id.amount, 12.0)
        self.assertFalse(foreign.payment_id)

    def test_attack_sepa_actions_as_portal_refused(self):
        mandate = self._sepa_sign(amount=20.0)
        payment = mandate.payment_id
        for method in ("action_sepa_oneoff_export", "action_sepa_oneoff_post", "action_sepa_oneoff_return"):
            self._assert_refused("so_client", "account.payment", method, payment.ids)
        self.assertEqual((payment.state, payment.sepa_oneoff_batch_id.id, mandate.state), ("draft", False, "signed"))
        self.assertFalse(self.env["sepa.oneoff.batch"].search([]))


@tagged("post_install", "-at_install")
class TestConcurrentSignatures(BaseCase):
    """Attack 5 for real: two transactions sign for the same customer at the same moment. HTTP
    tests share one cursor (requests are serialized), so this test runs the signature as the portal
    controller does, in two worker processes with their own committed transactions, and removes its
    data. (Threads would not do: Odoo's own test runner holds the registry lock while tests run.)"""

    def test_attack_concurrent_signatures_exceed_balance_refused(self):
        registry = Registry(get_db_name())
        leftover = self._leftover_fixture(registry)  # of a run killed before its clean-up
        if leftover:
            self._remove_fixture(registry, leftover)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            income = env["account.account"].search([
                ("account_type", "=", "income"), ("company_ids", "in", env.company.ids),
            ], limit=1)
            journal = env["account.journal"].create({
                "name": "SEC race sales", "type": "sale", "code": "SECRC", "default_account_id": income.id,
                "restrict_mode_hash_table": False,
            })
            customer = env["res.partner"].create({"name": "SEC Race Debtor"})
            user = new_test_user(env, login="so_sec_race", groups="base.group_portal", partner_id=customer.id)
            invoice = env["account.move"].create({
                "move_type": "out_invoice", "partner_id": customer.id, "journal_id": journal.id,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [(0, 0, {"name": "Charges", "quantity": 1, "price_unit": 700.0, "tax_ids": []})],
            })
            invoice.action_post()
            fixture = {"journal": journal.id, "customer": customer.id, "user": user.id, "invoice": invoice.id}
        self.addCleanup(self._remove_fixture, registry, fixture)

        # Two worker processes, as two HTTP workers would be: both read the balance (and so take their
        # snapshot) before either signs, then sign as the portal controller does.
        barrier_dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, barrier_dir)
        odoo_root = os.path.dirname(os.path.dirname(odoo.__file__))
        workers = [subprocess.Popen(
            [sys.executable, "-c", SIGN_SCRIPT, odoo.tools.config.rcfile, get_db_name(), str(fixture["user"]),
             str(fixture["customer"]), barrier_dir, DEMO_IBAN],
            env={**os.environ, "PYTHONPATH": odoo_root}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ) for _n in range(2)]
        outputs = [worker.communicate(timeout=180)[0] for worker in workers]
        outcomes = [line.split("OUTCOME ", 1)[1] for output in outputs for line in output.splitlines()
                    if line.startswith("OUTCOME ")]
        self.assertEqual(len(outcomes), 2, outputs)
        self.assertEqual(sorted(outcomes)[0],
                         "refused: The amount cannot exceed your balance due (0.00\N{NO-BREAK SPACE}€).", outcomes)
        self.assertEqual(sorted(outcomes)[1], "signed", outcomes)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            mandates = env["sepa.oneoff.mandate"].search([("partner_id", "=", fixture["customer"])])
            self.assertEqual(mandates.mapped("amount"), [700.0])

    @staticmethod
    def _leftover_fixture(registry):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            journal = env["account.journal"].search([("code", "=", "SECRC"), ("company_id", "=", env.company.id)])
            if not journal:
                return None
            user = env["res.users"].with_context(active_test=False).search([("login", "=", "so_sec_race")])
            invoice = env["account.move"].search([("journal_id", "=", journal.id)], limit=1)
            return {"journal": journal.id, "customer": user.partner_id.id, "user": user.id, "invoice": invoice.id}

    @staticmethod
    def _remove_fixture(registry, fixture):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            mandates = env["sepa.oneoff.mandate"].search([("partner_id", "=", fixture["customer"])])
            env["ir.attachment"].search([("res_model", "=", mandates._name), ("res_id", "in", mandates.ids)]).unlink()
            env["mail.message"].search([("model", "=", mandates._name), ("res_id", "in", mandates.ids)]).unlink()
            env["mail.activity"].search([("res_model", "=", mandates._name), ("res_id", "in", mandates.ids)]).unlink()
            mandates.payment_id.unlink()  # drafts, never exported
            if mandates:
                # signed mandates cannot be deleted through the ORM (proof of consent): these are the test's
                cr.execute("DELETE FROM sepa_oneoff_mandate WHERE id IN %s", [tuple(mandates.ids)])
            invoice = env["account.move"].browse(fixture["invoice"])
            invoice.button_draft()
            invoice.with_context(force_delete=True).unlink()
            env["res.users"].browse(fixture["user"]).unlink()
            env["res.partner"].browse(fixture["customer"]).unlink()
            env["account.journal"].browse(fixture["journal"]).unlink()

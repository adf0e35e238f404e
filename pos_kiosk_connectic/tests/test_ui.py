"""The collection draft in the browser (headless Chromium tour)."""
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.pos_kiosk_connectic.kiosk import files


@tagged("post_install", "-at_install")
class TestCollectionDraftTour(HttpCase):

    def test_collection_draft_tour(self):
        company = self.env.company
        cash = self.env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "cash")], limit=1)
        kiosk = self.env["connectic.kiosk"].create({
            "company_id": company.id, "entity_code": "G001", "journal_cash_id": cash.id, "journal_card_id": cash.id,
        })
        Partner = self.env["res.partner"]
        Partner.create([{"name": "MARITON Paul", "ref": "81MARITON"}, {"name": "ROLIN Marie", "ref": "81ROLINMAR"}])
        data = files.write_payments([{
            "transaction_id": transaction_id, "kiosk_id": "NANCY-01", "paid_at": "2019-08-10T10:02:11",
            "entity": "G001", "account_ref": ref, "name": ref, "amount": amount, "currency": "EUR", "method": "CASH",
        } for transaction_id, ref, amount in (("K1-000123", "81MARITON", 330), ("K1-000124", "81ROLINMAR", 650))])
        kiosk_file = kiosk._import_file("payments_NANCY-01_20190810_220000.csv", data, origin="sftp")
        self.assertEqual(kiosk_file.state, "imported")
        action = self.env.ref("pos_kiosk_connectic.action_connectic_collection_draft")
        # Posting the night's receipts is everyday work: an Invoicing user who sees every user's
        # kiosk receipts, as a firm sets its billing clerk up (not the administrator).
        new_test_user(self.env, login="pk_tour_clerk", password="pk_tour_clerk",
                      groups="base.group_user,account.group_account_invoice,pos_kiosk_connectic.group_kiosk_all_receipts")
        self.start_tour(f"/odoo/action-{action.id}", "pos_kiosk_connectic_collection_draft_tour",
                        login="pk_tour_clerk")
        self.assertNotIn("draft", kiosk_file.payment_ids.mapped("state"))

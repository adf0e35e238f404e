"""The plain-Python SEPA helpers, without Odoo: bank data checks, TARGET days, pain.008 files."""
import datetime

from lxml import etree

from odoo.tests import BaseCase, tagged

from odoo.addons.sepa_oneoff_portal.sepa import bank, pain008
from odoo.addons.sepa_oneoff_portal.sepa.target_calendar import add_target_days, is_target_day

TODAY = datetime.date(2026, 11, 23)
CREDITOR = {
    "name": "Syndicat des copropriétaires", "iban": "FR1420041010050500013M02606", "bic": "PSSTFRPPPAR",
    "creditor_id": "FR72ZZZ123456",
    "address": {"street": "12 rue des Carmes", "postcode": "54000", "town": "Nancy", "country": "FR"},
}


def _debit(index=1, **values):
    debit = {
        "end_to_end_id": f"E2E-{index}", "mandate_id": f"RUM-2026-{index:08d}", "mandate_date": TODAY,
        "collection_date": TODAY + datetime.timedelta(days=3), "amount_cents": 6563, "name": "Élodie Ñúñez",
        "iban": "DE89370400440532013000", "bic": "COBADEFFXXX", "description": "Règlement charges",
    }
    debit.update(values)
    return debit


@tagged("post_install", "-at_install")
class TestBankData(BaseCase):

    def test_iban_checked_and_compacted(self):
        self.assertEqual(bank.check_iban("fr76 3000 6000 0112 3456 7890 189"), "FR7630006000011234567890189")
        with self.assertRaises(bank.BankDataError) as caught:
            bank.check_iban("FR7630006000011234567890188")
        self.assertEqual(caught.exception.code, "iban_invalid")

    def test_iban_outside_sepa_even_when_schwifty_says_sepa(self):
        for iban in ("NC8614889000000001234567800", "PF5914889000000001234567800", "TR330006100519786457841326"):
            with self.subTest(iban=iban), self.assertRaises(bank.BankDataError) as caught:
                bank.check_iban(iban)
            self.assertEqual(caught.exception.code, "iban_outside_sepa")

    def test_bic_derived_and_matched(self):
        self.assertEqual(bank.bic_from_iban("FR7630006000011234567890189"), "AGRIFRPPXXX")
        self.assertEqual(bank.check_bic("agrifrpp", "FR7630006000011234567890189"), "AGRIFRPP")
        with self.assertRaises(bank.BankDataError) as caught:
            bank.check_bic("COBADEFFXXX", "FR7630006000011234567890189")
        self.assertEqual(caught.exception.code, "bic_mismatch")
        with self.assertRaises(bank.BankDataError) as caught:
            bank.check_bic("AGRI", "FR7630006000011234567890189")
        self.assertEqual(caught.exception.code, "bic_invalid")
        self.assertFalse(bank.is_swift_compliant_bic("A1RIFRPP"))

    def test_bic_of_the_ibans_bank(self):
        """Where the IBAN's bank is known, the BIC must be that bank's (any branch); where it is not,
        the country check is all there is."""
        banque_postale = "FR1420041010050500013M02606"
        with self.assertRaises(bank.BankDataError) as caught:
            bank.check_bic("BNPAFRPP", banque_postale)
        self.assertEqual(caught.exception.code, "bic_other_bank")
        self.assertEqual(bank.check_bic("PSSTFRPPPAR", banque_postale), "PSSTFRPPPAR")  # a branch
        self.assertEqual(bank.check_bic("PSSTFRPP", banque_postale), "PSSTFRPP")
        with self.assertRaises(bank.BankDataError) as caught:
            bank.check_bic("DEUTDEFF", "DE89370400440532013000")  # Commerzbank's bank code
        self.assertEqual(caught.exception.code, "bic_other_bank")
        # a Swiss bank code schwifty does not know: any Swiss BIC passes, a French one does not
        self.assertFalse(bank.bank_institutions("CH9300762011623852957"))
        self.assertEqual(bank.check_bic("UBSWCHZH80A", "CH9300762011623852957"), "UBSWCHZH80A")
        with self.assertRaises(bank.BankDataError) as caught:
            bank.check_bic("BNPAFRPP", "CH9300762011623852957")
        self.assertEqual(caught.exception.code, "bic_mismatch")

    def test_creditor_identifier(self):
        self.assertEqual(bank.check_creditor_identifier("fr72 zzz 123456"), "FR72ZZZ123456")
        with self.assertRaises(bank.BankDataError):
            bank.check_creditor_identifier("FR73ZZZ123456")

    def test_mask(self):
        self.assertEqual(bank.mask_iban("FR7630006000011234567890189"), "**** 0189")


@tagged("post_install", "-at_install")
class TestTargetCalendar(BaseCase):

    def test_holidays_and_weekends_skipped(self):
        self.assertFalse(is_target_day(datetime.date(2026, 12, 25)))
        self.assertFalse(is_target_day(datetime.date(2026, 4, 3)))  # Good Friday 2026
        self.assertEqual(add_target_days(datetime.date(2026, 12, 23), 2), datetime.date(2026, 12, 28))
        self.assertEqual(add_target_days(datetime.date(2026, 11, 21), 0), datetime.date(2026, 11, 23))


@tagged("post_install", "-at_install")
class TestPain008(BaseCase):

    def _parse(self, xml_bytes, version):
        root = etree.fromstring(xml_bytes)
        return root, {"p": f"urn:iso:std:iso:20022:tech:xsd:{version}"}

    def test_both_versions_valid_with_our_ids(self):
        debits = [_debit(1), _debit(2, bic=""), _debit(3, bic="A1RIFRPP", iban="FR7630006000011234567890189")]
        for version in pain008.PAIN_VERSIONS:
            with self.subTest(version=version):
                xml_bytes = pain008.build_pain008(CREDITOR, debits, version, "MSG-0001", today=TODAY)
                self.assertTrue(pain008.validate(xml_bytes, version))
                root, ns = self._parse(xml_bytes, version)
                self.assertEqual(root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId", namespaces=ns), "MSG-0001")
                self.assertEqual(root.findtext(".//p:SeqTp", namespaces=ns), "OOFF")
                self.assertEqual(root.findtext(".//p:ReqdColltnDt", namespaces=ns), "2026-11-26")
                self.assertEqual([e.text for e in root.iterfind(".//p:EndToEndId", ns)], ["E2E-1", "E2E-2", "E2E-3"])
                self.assertEqual(root.findtext(".//p:Dbtr/p:Nm", namespaces=ns), "Elodie Nunez")
                self.assertEqual(root.findtext("p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum", namespaces=ns), "196.89")
                agents = [e.text for e in root.iterfind(".//p:DbtrAgt//p:Id", ns)]
                # no BIC -> NOTPROVIDED; in .02 a BIC with a digit in its first 6 characters too
                self.assertEqual(agents, ["NOTPROVIDED"] * (2 if version == "pain.008.001.02" else 1))
        self.assertEqual(debits[0]["mandate_date"], TODAY)  # inputs untouched (sepaxml mutates its dicts)

    def test_structured_address_in_08(self):
        xml_bytes = pain008.build_pain008(CREDITOR, [_debit()], "pain.008.001.08", "MSG-2", today=TODAY)
        root, ns = self._parse(xml_bytes, "pain.008.001.08")
        self.assertEqual(root.findtext(".//p:Cdtr/p:PstlAdr/p:TwnNm", namespaces=ns), "Nancy")
        self.assertIsNone(root.find(".//p:Cdtr/p:PstlAdr/p:AdrLine", ns))

    def test_bad_debits_refused(self):
        cases = {
            "amount_out_of_range": [_debit(amount_cents=0), _debit(amount_cents=-5), _debit(amount_cents=10**11)],
            "amount_not_cents": [_debit(amount_cents=65.63)],
            "bad_identifier": [_debit(mandate_id="RUM/ÉTÉ"), _debit(end_to_end_id="x" * 36)],
            "bad_mandate_date": [_debit(mandate_date=TODAY + datetime.timedelta(days=1))],
            "bad_collection_date": [_debit(collection_date=TODAY - datetime.timedelta(days=1))],
        }
        for code, debits in cases.items():
            for debit in debits:
                with self.subTest(code=code, debit=debit), self.assertRaises(pain008.Pain008Error) as caught:
                    pain008.build_pain008(CREDITOR, [debit], "pain.008.001.08", "MSG-3", today=TODAY)
                self.assertEqual(caught.exception.code, code)

    def test_xsd_catches_what_sepaxml_lets_through(self):
        xml_bytes = pain008.build_pain008(CREDITOR, [_debit()], "pain.008.001.08", "MSG-4", today=TODAY)
        broken = xml_bytes.replace(b"<SeqTp>OOFF</SeqTp>", b"<SeqTp>ONCE</SeqTp>")
        with self.assertRaises(pain008.Pain008Error) as caught:
            pain008.validate(broken, "pain.008.001.08")
        self.assertEqual(caught.exception.code, "xsd_invalid")

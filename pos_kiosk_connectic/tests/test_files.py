"""The plain-Python parser and writer of the kiosk files, against the contract."""
from decimal import Decimal

from odoo.tests import BaseCase, tagged

from odoo.addons.pos_kiosk_connectic.kiosk import files

HEADER = "transaction_id;kiosk_id;paid_at;entity;account_ref;name;amount;currency;method\n"
LINE_1 = "K1-000123;NANCY-01;2019-08-10T10:02:11;G001;81MARITON;MARITON Paul;330,00;EUR;CASH\n"
LINE_2 = "K1-000124;NANCY-01;2019-08-10T10:15:40;G001;81ROLINMAR;ROLIN Marie;650,00;EUR;CARD\n"
EXAMPLE = HEADER + LINE_1 + LINE_2 + "END;2;980,00\n"


def errors_of(text, raw=None):
    parsed = files.parse_payments(raw if raw is not None else text.encode("utf-8"), "G001", "EUR")
    return [(e.line, e.column, e.code) for e in parsed.errors]


@tagged("post_install", "-at_install")
class TestKioskFiles(BaseCase):

    def test_contract_example_parses(self):
        parsed = files.parse_payments(EXAMPLE.encode(), "G001", "EUR")
        self.assertTrue(parsed.valid)
        self.assertEqual(parsed.total, Decimal("980.00"))
        self.assertEqual([(p.line, p.transaction_id, p.amount, p.method) for p in parsed.payments],
                         [(2, "K1-000123", Decimal("330.00"), "CASH"), (3, "K1-000124", Decimal("650.00"), "CARD")])

    def test_bom_and_crlf_tolerated(self):
        parsed = files.parse_payments(b"\xef\xbb\xbf" + EXAMPLE.replace("\n", "\r\n").encode(), "G001", "EUR")
        self.assertTrue(parsed.valid, parsed.errors)

    def test_quoted_field(self):
        line = LINE_1.replace("MARITON Paul", '"MARITON; ""Paul"""')
        parsed = files.parse_payments((HEADER + line + "END;1;330,00\n").encode(), "G001", "EUR")
        self.assertEqual(parsed.payments[0].name, 'MARITON; "Paul"')

    def test_every_invalid_case_reported_with_line_and_column(self):
        cases = {
            "missing trailer": (HEADER + LINE_1 + LINE_2, [(4, "", "missing_trailer")]),
            "trailer count": (HEADER + LINE_1 + LINE_2 + "END;3;980,00\n", [(4, "count", "trailer_count")]),
            "trailer sum": (HEADER + LINE_1 + LINE_2 + "END;2;981,00\n", [(4, "sum", "trailer_sum")]),
            "trailer not last": (HEADER + LINE_1 + "END;1;330,00\n" + LINE_2,
                                 [(3, "", "trailer_not_last"), (5, "", "missing_trailer")]),
            "wrong entity": (EXAMPLE.replace(";G001;81ROLINMAR", ";G002;81ROLINMAR"), [(3, "entity", "wrong_entity")]),
            "wrong currency": (EXAMPLE.replace("650,00;EUR", "650,00;USD"), [(3, "currency", "wrong_currency")]),
            "decimal point": (HEADER + LINE_1.replace("330,00", "330.00") + "END;1;330,00\n",
                              [(2, "amount", "bad_amount")]),
            "one decimal": (HEADER + LINE_1.replace("330,00", "330,0") + "END;1;330,00\n",
                            [(2, "amount", "bad_amount")]),
            "zero amount": (HEADER + LINE_1.replace("330,00", "0,00") + "END;1;0,00\n",
                            [(2, "amount", "amount_not_positive")]),
            "negative amount": (HEADER + LINE_1.replace("330,00", "-330,00") + "END;1;-330,00\n",
                                [(2, "amount", "amount_not_positive")]),
            "unknown method": (EXAMPLE.replace(";CARD", ";BITCOIN"), [(3, "method", "unknown_method")]),
            "duplicate id": (EXAMPLE.replace("K1-000124", "K1-000123"), [(3, "transaction_id", "duplicate_in_file")]),
            "bad transaction id": (
                EXAMPLE.replace("K1-000124", "K1 000124"), [(3, "transaction_id", "bad_transaction_id")]
            ),
            "bad date": (EXAMPLE.replace("2019-08-10T10:15:40", "2019-02-30T10:15:40"), [(3, "paid_at", "bad_date")]),
            "missing column": (EXAMPLE.replace(";ROLIN Marie", ""), [(3, "", "column_count")]),
            "bad header": (EXAMPLE.replace("kiosk_id;paid_at", "paid_at;kiosk_id"), [(1, "", "bad_header")]),
            "blank line": (HEADER + LINE_1 + "\n" + LINE_2 + "END;2;980,00\n", [(3, "", "blank_line")]),
            "empty file": ("", [(0, "", "empty_file")]),
            "only blank lines": ("\n\n", [(0, "", "empty_file")]),
        }
        for label, (text, expected) in cases.items():
            with self.subTest(label):
                self.assertEqual(errors_of(text), expected)

    def test_bad_encoding(self):
        raw = (HEADER + LINE_1).encode() + "K1-2;NANCY-01;2019-08-10T10:02:11;G001;81X;Hélène".encode("latin-1")
        self.assertEqual(errors_of(None, raw=raw), [(3, "", "bad_encoding")])

    def test_every_bad_line_reported(self):
        text = HEADER + LINE_1.replace("CASH", "GOLD") + LINE_2.replace("G001", "G009").replace("650,00", "6,5")
        self.assertEqual(errors_of(text), [
            (2, "method", "unknown_method"), (3, "entity", "wrong_entity"), (3, "amount", "bad_amount"),
            (4, "", "missing_trailer"),
        ])

    def test_customers_file_format(self):
        data = files.write_customers("G001", "EUR", [
            ("81MARITON", "MARITON Paul", "3 place Stanislas", "54000", "Nancy", 3817.83),
            ("81ROLIN", 'ROLIN; "Marie"', None, None, "Nancy", -12.5),
        ])
        self.assertEqual(data.decode("utf-8"), (
            "entity;account_ref;name;street;zip;city;balance;currency;barcode\n"
            "G001;81MARITON;MARITON Paul;3 place Stanislas;54000;Nancy;3817,83;EUR;*G001*81MARITON*3817,83*\n"
            'G001;81ROLIN;"ROLIN; ""Marie""";;;Nancy;-12,50;EUR;*G001*81ROLIN*-12,50*\n'
        ))
        self.assertFalse(data.startswith(b"\xef\xbb\xbf"))

    def test_written_payments_file_reads_back(self):
        rows = files.read_customers(files.write_customers("G001", "EUR", [("81M", "M", "", "", "", 10)]))
        self.assertEqual(rows[0]["barcode"], "*G001*81M*10,00*")

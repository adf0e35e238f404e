"""The two kiosk exchange files (contract with the kiosk operator). Plain Python, no Odoo import.

Both are UTF-8 CSV, `;` separated, LF line ends, a header line, amounts with two decimals and a
decimal comma. `write_customers()` builds the ERP → kiosk file; `parse_payments()` reads the
kiosk → ERP file and reports every bad line as a `LineError` (line number, column, code, params).
Codes are stable identifiers; the caller turns them into translated sentences.
"""
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

CUSTOMER_COLUMNS = ("entity", "account_ref", "name", "street", "zip", "city", "balance", "currency", "barcode")
PAYMENT_COLUMNS = ("transaction_id", "kiosk_id", "paid_at", "entity", "account_ref", "name", "amount",
                   "currency", "method")
METHODS = ("CASH", "CARD", "CHEQUE")
TRAILER_TAG = "END"
TRANSACTION_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
AMOUNT = re.compile(r"-?\d+,\d{2}")
PAID_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
BOM = "\ufeff"
# A spreadsheet opening the file runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def format_amount(value):
    """3817.83 -> '3817,83' (two decimals, decimal comma, no thousands separator)."""
    return f"{Decimal(str(value)).quantize(Decimal('0.01')):f}".replace(".", ",").replace("-0,00", "0,00")


def parse_amount(text):
    """'3817,83' -> Decimal('3817.83'); None when the text is not an amount of the contract."""
    if not AMOUNT.fullmatch(text or ""):
        return None
    return Decimal(text.replace(",", "."))


def barcode_text(entity, ref, amount):
    """The text of the Code 128 barcode printed on notices and sent in the customers file."""
    return f"*{entity}*{ref}*{format_amount(amount)}*"


def customers_file_name(entity, day):
    return f"customers_{entity}_{day:%Y%m%d}.csv"


def payments_file_name(kiosk_id, moment):
    return f"payments_{kiosk_id}_{moment:%Y%m%d_%H%M%S}.csv"


def _writer(buffer):
    return csv.writer(buffer, delimiter=";", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\n")


def write_customers(entity, currency, customers):
    """The customers file as bytes; customers: iterable of (ref, name, street, zip, city, balance).

    Free-text columns are made inert for spreadsheets (see _text_cell)."""
    buffer = io.StringIO()
    writer = _writer(buffer)
    writer.writerow(CUSTOMER_COLUMNS)
    for ref, name, street, zip_code, city, balance in customers:
        writer.writerow((entity, ref, _text_cell(name), _text_cell(street), _text_cell(zip_code), _text_cell(city),
                         format_amount(balance), currency, barcode_text(entity, ref, balance)))
    return buffer.getvalue().encode("utf-8")


def _one_line(text):
    return " ".join((text or "").split())


def _text_cell(text):
    """A free-text value (typed by users, portal customers included) on one line and inert in a
    spreadsheet: a leading formula character gets an apostrophe before it, the usual text marker; the
    contract sets no length nor character set on these columns, and the apostrophe needs no quoting."""
    text = _one_line(text)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def read_customers(data):
    """Rows of a customers file as dicts (used by the kiosk simulator)."""
    text = data.decode("utf-8").lstrip(BOM)
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def write_payments(payments):
    """A payments file as bytes, trailer included; payments: dicts keyed by PAYMENT_COLUMNS
    (amount as Decimal or number, paid_at as datetime or text)."""
    buffer = io.StringIO()
    writer = _writer(buffer)
    writer.writerow(PAYMENT_COLUMNS)
    total = Decimal("0")
    for payment in payments:
        row = dict(payment)
        if isinstance(row["paid_at"], datetime):
            row["paid_at"] = row["paid_at"].strftime("%Y-%m-%dT%H:%M:%S")
        amount = Decimal(str(row["amount"]))
        total += amount
        row["amount"] = format_amount(amount)
        writer.writerow([row[column] for column in PAYMENT_COLUMNS])
    writer.writerow((TRAILER_TAG, len(payments), format_amount(total)))
    return buffer.getvalue().encode("utf-8")


@dataclass
class LineError:
    line: int        # 1-based physical line of the file (0: the file as a whole)
    column: str      # column name, or "" when the whole line is concerned
    code: str
    params: dict = field(default_factory=dict)

    def __str__(self):
        params = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"line {self.line}, column {self.column or '-'}: {self.code}" + (f" ({params})" if params else "")


@dataclass
class PaymentLine:
    line: int
    transaction_id: str
    kiosk_id: str
    paid_at: datetime
    entity: str
    account_ref: str
    name: str
    amount: Decimal
    currency: str
    method: str


@dataclass
class PaymentsFile:
    payments: list
    errors: list
    total: Decimal = Decimal("0")

    @property
    def valid(self):
        return not self.errors


def parse_payments(data, entity, currency):
    """Parse and check a payments file against the contract.

    entity and currency are the company's: any other value is an error. Checks that need the
    database (customer reference, transaction already imported) are the caller's.
    """
    errors = []
    if not data.strip(b" \t\r\n" + BOM.encode("utf-8")):
        return PaymentsFile([], [LineError(0, "", "empty_file")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return PaymentsFile([], [LineError(line, "", "bad_encoding", {"position": exc.start + 1})])
    text = text.removeprefix(BOM)
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"', strict=True)
    try:
        start = 1
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        return PaymentsFile([], [LineError(reader.line_num + 1, "", "bad_csv", {"reason": str(exc)})])
    # A final line end gives no row; blank lines at the very end are tolerated.
    while rows and not any(cell.strip() for cell in rows[-1][1]):
        rows.pop()
    if not rows:
        return PaymentsFile([], [LineError(0, "", "empty_file")])

    line, header = rows[0]
    if tuple(cell.strip() for cell in header) != PAYMENT_COLUMNS:
        errors.append(LineError(line, "", "bad_header", {"expected": ";".join(PAYMENT_COLUMNS)}))
    body = rows[1:]
    trailer = None
    if body and body[-1][1] and body[-1][1][0].strip() == TRAILER_TAG:
        trailer = body.pop()
    payments, seen, total = [], {}, Decimal("0")
    payment_count, sum_reliable = 0, True
    for line, row in body:
        if row and row[0].strip() == TRAILER_TAG:
            errors.append(LineError(line, "", "trailer_not_last"))
            continue
        if not any(cell.strip() for cell in row):
            errors.append(LineError(line, "", "blank_line"))
            continue
        payment_count += 1
        if len(row) != len(PAYMENT_COLUMNS):
            errors.append(LineError(line, "", "column_count",
                                    {"count": len(row), "expected": len(PAYMENT_COLUMNS)}))
            sum_reliable = False
            continue
        values = dict(zip(PAYMENT_COLUMNS, (cell.strip() for cell in row), strict=True))
        line_errors = _check_payment(line, values, entity, currency)
        transaction_id = values["transaction_id"]
        if transaction_id in seen:
            line_errors.append(LineError(line, "transaction_id", "duplicate_in_file",
                                         {"transaction_id": transaction_id, "first_line": seen[transaction_id]}))
        else:
            seen[transaction_id] = line
        amount = parse_amount(values["amount"])
        if amount is None:
            sum_reliable = False
        else:
            total += amount  # the trailer is checked against every amount, even on lines in error
        if line_errors:
            errors.extend(line_errors)
            continue
        payments.append(PaymentLine(
            line=line, transaction_id=transaction_id, kiosk_id=values["kiosk_id"],
            paid_at=datetime.strptime(values["paid_at"], "%Y-%m-%dT%H:%M:%S"), entity=values["entity"],
            account_ref=values["account_ref"], name=values["name"], amount=amount,
            currency=values["currency"], method=values["method"],
        ))
    errors.extend(_check_trailer(trailer, rows[-1][0] + 1, payment_count, total if sum_reliable else None))
    errors.sort(key=lambda e: e.line)
    return PaymentsFile(payments if not errors else [], errors, total)


def _check_payment(line, values, entity, currency):
    errors = []
    if not TRANSACTION_ID.fullmatch(values["transaction_id"]):
        errors.append(LineError(line, "transaction_id", "bad_transaction_id", {"value": values["transaction_id"]}))
    if not values["kiosk_id"]:
        errors.append(LineError(line, "kiosk_id", "missing_value"))
    paid_at = values["paid_at"]
    try:
        if not PAID_AT.fullmatch(paid_at):
            raise ValueError(paid_at)
        datetime.strptime(paid_at, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        errors.append(LineError(line, "paid_at", "bad_date", {"value": paid_at}))
    if values["entity"] != entity:
        errors.append(LineError(line, "entity", "wrong_entity", {"value": values["entity"], "expected": entity}))
    if not values["account_ref"]:
        errors.append(LineError(line, "account_ref", "missing_value"))
    amount = parse_amount(values["amount"])
    if amount is None:
        errors.append(LineError(line, "amount", "bad_amount", {"value": values["amount"]}))
    elif amount <= 0:
        errors.append(LineError(line, "amount", "amount_not_positive", {"value": values["amount"]}))
    if values["currency"] != currency:
        errors.append(LineError(line, "currency", "wrong_currency",
                                {"value": values["currency"], "expected": currency}))
    if values["method"] not in METHODS:
        errors.append(LineError(line, "method", "unknown_method",
                                {"value": values["method"], "expected": ", ".join(METHODS)}))
    return errors


def _check_trailer(trailer, next_line, payment_count, total):
    """Errors of the END line; total is None when some amount could not be read (sum not checked)."""
    if trailer is None:
        return [LineError(next_line, "", "missing_trailer")]
    line, row = trailer
    if len(row) != 3:
        return [LineError(line, "", "bad_trailer")]
    count_text, sum_text = row[1].strip(), row[2].strip()
    found = []
    if not count_text.isdigit() or int(count_text) != payment_count:
        found.append(LineError(line, "count", "trailer_count", {"value": count_text, "expected": payment_count}))
    trailer_sum = parse_amount(sum_text)
    if trailer_sum is None:
        found.append(LineError(line, "sum", "bad_amount", {"value": sum_text}))
    elif total is not None and trailer_sum != total:
        found.append(LineError(line, "sum", "trailer_sum", {"value": sum_text, "expected": format_amount(total)}))
    return found

"""pain.008 (SEPA Core direct debit initiation) files for one-off debits, built with sepaxml and
validated against the official XSDs shipped in ../data/xsd (no Odoo import).

sepaxml 2.7.0 pitfalls handled here: it mutates the dicts it is given (we pass fresh ones), crashes
on a zero amount and checks neither the amount range, the EPC character set nor the lengths (we
check them first), and its message and payment-information ids are random (we set ours).
"""
import datetime
import functools
import os
import re
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree
from sepaxml import SepaDD
from text_unidecode import unidecode

from .bank import is_swift_compliant_bic

PAIN_VERSIONS = ("pain.008.001.08", "pain.008.001.02")
XSD_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "xsd")
_XSD_FILES = {
    "pain.008.001.02": ("pain.008.001.02.xsd",),
    # the generic ISO schema, then the EPC-restricted one of the SDD Core guidelines 2025
    "pain.008.001.08": ("pain.008.001.08.xsd", "EPC130-08_2025_V1.0_pain.008.001.08.xsd"),
}
MAX_AMOUNT_CENTS = 99_999_999_999  # 999 999 999.99 EUR
_ID_PATTERN = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]{1,35}$")
_NOT_EPC = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


class Pain008Error(ValueError):
    """The debits cannot make a valid file; `code` says why, `ref` names the debit concerned."""

    def __init__(self, code, ref="", detail=""):
        super().__init__(" ".join(filter(None, (code, ref, detail))))
        self.code = code
        self.ref = ref
        self.detail = detail


def epc_text(value, max_length):
    """Transliterate to the Latin subset the EPC guarantees, replace anything else by a space,
    collapse spaces and cut to max_length."""
    text = _NOT_EPC.sub(" ", unidecode(value or ""))
    return re.sub(r"\s+", " ", text).strip()[:max_length].strip()


def amount_to_cents(amount):
    """Amount in euros (float, Decimal or str) -> integer cents, rounded half up."""
    return int((Decimal(str(amount)) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@functools.cache
def _schemas(version):
    return tuple(etree.XMLSchema(etree.parse(os.path.join(XSD_DIR, name))) for name in _XSD_FILES[version])


def validate(xml_bytes, version):
    """Validate a pain.008 document against every schema of its version; raise Pain008Error with
    the first schema error."""
    document = etree.fromstring(xml_bytes)
    for schema in _schemas(version):
        if not schema.validate(document):
            error = schema.error_log.last_error
            raise Pain008Error("xsd_invalid", detail=f"line {error.line}: {error.message}")
    return True


def _address(address, version):
    """sepaxml address dict: structured for .08 (street, postcode, town, country), country and
    two address lines for .02 (the EPC .02 guidelines only allow those)."""
    if not address or not address.get("country"):
        return None
    street = epc_text(address.get("street"), 70)
    town = epc_text(address.get("town"), 35)
    postcode = epc_text(address.get("postcode"), 16)
    if version == "pain.008.001.02":
        lines = [line for line in (street, epc_text(f"{postcode} {town}", 70)) if line]
        return {"country": address["country"], "lines": lines}
    result = {"country": address["country"]}
    if street:
        result["street_name"] = street
    if postcode:
        result["postcode"] = postcode
    if town:
        result["town"] = town
    return result


def _check_debit(debit, today):
    ref = debit.get("mandate_id") or ""
    cents = debit.get("amount_cents")
    if not isinstance(cents, int) or isinstance(cents, bool):
        raise Pain008Error("amount_not_cents", ref)
    if cents <= 0 or cents > MAX_AMOUNT_CENTS:
        raise Pain008Error("amount_out_of_range", ref, str(cents))
    for key in ("mandate_id", "end_to_end_id"):
        if not _ID_PATTERN.match(debit.get(key) or "") or debit[key].startswith("/") or "//" in debit[key]:
            raise Pain008Error("bad_identifier", ref, key)
    if not isinstance(debit.get("mandate_date"), datetime.date) or debit["mandate_date"] > today:
        raise Pain008Error("bad_mandate_date", ref)
    if not isinstance(debit.get("collection_date"), datetime.date) or debit["collection_date"] < today:
        raise Pain008Error("bad_collection_date", ref)
    if not epc_text(debit.get("name"), 70):
        raise Pain008Error("missing_name", ref)


def build_pain008(creditor, debits, version, message_id, today=None, validate_xsd=True):
    """Return the pain.008 file (bytes) of one-off (OOFF) debits.

    creditor: name, iban, bic (optional), creditor_id, address (street, postcode, town, country).
    debits: dicts with end_to_end_id, mandate_id, mandate_date, collection_date (datetime.date),
    amount_cents (int), name, iban, bic (optional), description, address (optional, as the creditor's:
    structured in .08).
    The inputs are never modified.
    """
    if version not in PAIN_VERSIONS:
        raise Pain008Error("bad_version", detail=str(version))
    if not debits:
        raise Pain008Error("no_debit")
    if not _ID_PATTERN.match(message_id or ""):
        raise Pain008Error("bad_identifier", detail="message_id")
    today = today or datetime.date.today()
    for debit in debits:
        _check_debit(debit, today)
    config = {
        "name": epc_text(creditor["name"], 70),
        "IBAN": creditor["iban"],
        "batch": True,
        "creditor_id": creditor["creditor_id"],
        "currency": "EUR",
    }
    creditor_bic = creditor.get("bic") or ""
    if version == "pain.008.001.02":
        if not is_swift_compliant_bic(creditor_bic):
            raise Pain008Error("creditor_bic_required", detail=creditor_bic)
        config["BIC"] = creditor_bic
    elif creditor_bic:
        config["BIC"] = creditor_bic
    creditor_address = _address(creditor.get("address"), version)
    if creditor_address:
        config["address"] = creditor_address
    sepa = SepaDD(config, schema=version, clean=False)
    for debit in debits:
        payment = {
            "name": epc_text(debit["name"], 70),
            "IBAN": debit["iban"],
            "amount": debit["amount_cents"],
            "type": "OOFF",
            "collection_date": debit["collection_date"],
            "mandate_id": debit["mandate_id"],
            "mandate_date": debit["mandate_date"],
            "description": epc_text(debit.get("description"), 140) or debit["mandate_id"],
            "endtoend_id": debit["end_to_end_id"],
        }
        address = _address(debit.get("address"), version)
        if address:
            payment["address"] = address
        bic = debit.get("bic") or ""
        # .02 forbids digits in the first 6 BIC characters: go IBAN-only (NOTPROVIDED) then
        if bic and (version != "pain.008.001.02" or is_swift_compliant_bic(bic)):
            payment["BIC"] = bic
        sepa.add_payment(payment)
    root = etree.fromstring(sepa.export(validate=False))
    namespace = {"p": f"urn:iso:std:iso:20022:tech:xsd:{version}"}
    root.find("p:CstmrDrctDbtInitn/p:GrpHdr/p:MsgId", namespace).text = message_id
    for index, node in enumerate(root.iterfind("p:CstmrDrctDbtInitn/p:PmtInf/p:PmtInfId", namespace), 1):
        node.text = f"{message_id[:31]}-{index:03d}"
    xml_bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    if validate_xsd:
        validate(xml_bytes, version)
    return xml_bytes

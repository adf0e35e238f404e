"""IBAN, BIC and creditor identifier checks for SEPA direct debits (no Odoo import).

Errors are raised as BankDataError with a stable `code`; the Odoo layer turns the code into a
translated message for the field concerned.
"""
import re

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import at_02

# IBAN country codes of the SEPA scheme (EPC list of countries and territories). schwifty's
# `in_sepa_zone` also accepts New Caledonia (NC), French Polynesia (PF) and Wallis-and-Futuna (WF),
# which use the CFP franc and are outside SEPA, hence our own list.
SEPA_IBAN_COUNTRIES = frozenset(
    "AD AL AT BE BG CH CY CZ DE DK EE ES FI FR GB GI GR HR HU IE IS IT LI LT LU LV MC MD ME MK MT NL "
    "NO PL PT RO SE SI SK SM VA "
    # territories with their own IBAN prefix (French overseas, Crown dependencies, Aland)
    "AX BL GF GG GP IM JE MF MQ PM RE YT".split()
)
# IBAN country codes of the European Economic Area (EU, Iceland, Liechtenstein, Norway) with the EU's
# outermost regions that have their own IBAN prefix. A debit from an account outside the EEA (GB, CH,
# MC, SM, AD, VA, the Crown dependencies, Saint-Barthélemy, Saint-Pierre-et-Miquelon...) must carry the
# debtor's address (EPC rulebook).
EEA_IBAN_COUNTRIES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK IS LI NO "
    "AX GF GP MQ RE YT MF".split()
)
# A BIC's country may differ from the IBAN's inside these groups (same banking system).
_COUNTRY_GROUPS = (
    frozenset("FR GF GP MQ RE YT PM BL MF MC".split()),
    frozenset("GB GG JE IM".split()),
    frozenset("FI AX".split()),
)
# pain.008.001.02 BIC pattern: no digit in the bank and country parts.
_BIC_02 = re.compile(r"^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$")


class BankDataError(ValueError):
    """A bank datum is wrong; `code` says what (iban_invalid, iban_outside_sepa, bic_invalid,
    bic_mismatch (another country), bic_other_bank (another bank than the IBAN's), bic_required,
    ics_invalid)."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def compact(value):
    """Upper-case value without spaces or separators, as bank data is stored."""
    return re.sub(r"[\s.\-]", "", value or "").upper()


def check_iban(value):
    """Return the compact IBAN, or raise BankDataError (invalid, or outside the SEPA scheme)."""
    try:
        iban = IBAN(compact(value), validate_bban=True)
    except SchwiftyException as error:
        raise BankDataError("iban_invalid", type(error).__name__) from None
    if iban.country_code not in SEPA_IBAN_COUNTRIES:
        raise BankDataError("iban_outside_sepa", iban.country_code)
    return iban.compact


def bic_from_iban(iban):
    """The BIC derived from the IBAN's bank code (a suggestion), or None when it cannot be derived."""
    try:
        bic = IBAN(compact(iban), validate_bban=True).bic
    except SchwiftyException:
        return None
    return str(bic) if bic else None


def _same_banking_country(bic_country, iban_country):
    if bic_country == iban_country:
        return True
    return any(bic_country in group and iban_country in group for group in _COUNTRY_GROUPS)


def check_bic(value, iban=None):
    """Return the compact BIC (8 or 11 characters), or raise BankDataError when it is malformed
    or belongs to another country than the IBAN."""
    value = compact(value)
    if not value:
        raise BankDataError("bic_required")
    try:
        bic = BIC(value)
    except SchwiftyException as error:
        raise BankDataError("bic_invalid", type(error).__name__) from None
    if iban and not _same_banking_country(bic.country_code, compact(iban)[:2]):
        raise BankDataError("bic_mismatch", f"{bic.country_code}/{compact(iban)[:2]}")
    if iban:
        institutions = bank_institutions(iban)
        # the bank is known from the IBAN's bank code: the BIC must be one of that bank's (any
        # branch: the registry lists several branch BICs per bank code, and some French entries are
        # approximate, so only the institution code, the BIC's first 4 letters, is compared)
        if institutions and bic.compact[:4] not in institutions:
            raise BankDataError("bic_other_bank", f"{bic.compact[:4]}/{'/'.join(sorted(institutions))}")
    return str(bic.compact)


def bank_institutions(iban):
    """Institution codes (first 4 letters of the BIC) of the bank the IBAN's bank code belongs to,
    from schwifty's registry; empty when the bank is unknown (only the country can be checked then)."""
    try:
        account = IBAN(compact(iban), validate_bban=True)
        candidates = BIC.candidates_from_bank_code(account.country_code, account.bank_code)
    except (SchwiftyException, KeyError, ValueError):
        return frozenset()
    return frozenset(str(candidate)[:4] for candidate in candidates)


def is_swift_compliant_bic(value):
    """True when the BIC fits the pain.008.001.02 pattern (no digits in the first 6 characters)."""
    return bool(_BIC_02.match(compact(value)))


def check_creditor_identifier(value):
    """Return the compact SEPA creditor identifier (ICS), or raise BankDataError; format and
    ISO 7064 MOD 97-10 check digits are verified (the business code is not covered)."""
    ics = at_02.compact(value or "")
    if not ics or len(ics) > 35 or not at_02.is_valid(ics):
        raise BankDataError("ics_invalid", ics)
    return ics


def mask_iban(iban):
    """The IBAN as shown once a mandate is signed: only its last 4 characters."""
    iban = compact(iban)
    return f"**** {iban[-4:]}" if iban else ""


def address_required(iban):
    """True when a debit from this IBAN must carry the debtor's address (account outside the EEA)."""
    return compact(iban)[:2] not in EEA_IBAN_COUNTRIES

"""Bridge API v3 (Bankin', api.bridgeapi.io) constants shared by the client and the emulator.

No Odoo import: this package is plain Python (stdlib + requests).
"""

BRIDGE_VERSION = "2025-01-15"
DEFAULT_API_URL = "https://api.bridgeapi.io"

# Largest page size accepted by Bridge list endpoints; the client always asks for it so that a
# full pull costs as few HTTP requests as possible.
PAGE_LIMIT = 500
DEFAULT_PAGE_LIMIT = 50

# User access tokens live 2 hours; the client renews them this many seconds before expiry.
TOKEN_VALIDITY_SECONDS = 2 * 3600
TOKEN_RENEW_MARGIN_SECONDS = 5 * 60

# Strong customer authentication (SCA) lasts 180 days.
SCA_VALIDITY_DAYS = 180

# Test bank of the Bridge sandbox (and of the emulator).
DEMO_PROVIDER_ID = 574
DEMO_BANK_CODE = "14508"

SIGNATURE_HEADER = "BridgeApi-Signature"
SIGNATURE_SCHEME = "v1"
MAX_WEBHOOK_SECRETS = 2

# --- API paths -------------------------------------------------------------------------------
PATH_PROVIDERS = "/v3/providers"
PATH_USERS = "/v3/aggregation/users"
PATH_TOKEN = "/v3/aggregation/authorization/token"
PATH_CONNECT_SESSIONS = "/v3/aggregation/connect-sessions"
PATH_ITEMS = "/v3/aggregation/items"
PATH_ACCOUNTS = "/v3/aggregation/accounts"
PATH_TRANSACTIONS = "/v3/aggregation/transactions"

# --- Item status (field `status`, v3 `status_code_info` is lowercase) ------------------------
ITEM_STATUS_OK = 0
ITEM_STATUS_JUST_ADDED = -2
ITEM_STATUS_JUST_EDITED = -3
ITEM_STATUS_WRONG_CREDENTIALS = 402
ITEM_STATUS_ACTION_NEEDED = 429
ITEM_STATUS_PASSWORD_ROTATION = 430
ITEM_STATUS_BANK_DOWN = 1003
ITEM_STATUS_NOT_SUPPORTED = 1005
ITEM_STATUS_DISABLED_TEMPORARILY = 1007
ITEM_STATUS_INCOMPLETE = 1009
ITEM_STATUS_SCA_REQUIRED = 1010
ITEM_STATUS_MIGRATION = 1099
ITEM_STATUS_PRO_TO_VALIDATE = 1100

# status -> (default status_code_info, English description as Bridge gives it)
ITEM_STATUSES = {
    ITEM_STATUS_OK: ("ok", None),
    ITEM_STATUS_JUST_ADDED: ("just_added", "The item has just been added, its first refresh is in progress."),
    ITEM_STATUS_JUST_EDITED: ("just_edited", "The credentials have just been changed, a refresh is in progress."),
    ITEM_STATUS_WRONG_CREDENTIALS: ("invalid_creds", "Wrong credentials: please update them."),
    ITEM_STATUS_ACTION_NEEDED: (
        "tos_to_validate", "An action is required on your bank's website or application."),
    ITEM_STATUS_PASSWORD_ROTATION: ("pwd_renewal", "The password must be changed on your bank's website."),
    ITEM_STATUS_BANK_DOWN: ("bank_is_down", "The bank could not be reached. Please try again later."),
    ITEM_STATUS_NOT_SUPPORTED: ("otp_not_supported", "This account or authentication method is not supported."),
    ITEM_STATUS_DISABLED_TEMPORARILY: ("disabled_temporarily", "Refresh is temporarily disabled."),
    ITEM_STATUS_INCOMPLETE: ("incomplete", "The balance changed but no new transaction was found."),
    ITEM_STATUS_SCA_REQUIRED: (
        "otp_required",
        "Please enter the strong authentication (SMS, notifications, etc.) provided by your bank."),
    ITEM_STATUS_MIGRATION: ("migration", "The item is being migrated."),
    ITEM_STATUS_PRO_TO_VALIDATE: (
        "pro_account_locked", "Business accounts were found: please confirm you may access them."),
}

# Statuses that only the end user can fix, through a connect session created with the item_id.
ITEM_STATUSES_NEEDING_USER = frozenset({
    ITEM_STATUS_WRONG_CREDENTIALS, ITEM_STATUS_ACTION_NEEDED, ITEM_STATUS_PASSWORD_ROTATION,
    ITEM_STATUS_SCA_REQUIRED, ITEM_STATUS_PRO_TO_VALIDATE,
})
# Statuses during which Bridge is still working: wait and collect later.
ITEM_STATUSES_IN_PROGRESS = frozenset({ITEM_STATUS_JUST_ADDED, ITEM_STATUS_JUST_EDITED, ITEM_STATUS_MIGRATION})

# --- Accounts --------------------------------------------------------------------------------
ACCOUNT_TYPE_CHECKING = "checking"
ACCOUNT_TYPE_SAVINGS = "savings"
ACCOUNT_TYPE_CARD = "card"
ACCOUNT_TYPE_LOAN = "loan"
ACCOUNT_TYPES = (
    ACCOUNT_TYPE_CHECKING, ACCOUNT_TYPE_SAVINGS, "brokerage", ACCOUNT_TYPE_CARD, ACCOUNT_TYPE_LOAN,
    "shared_saving_plan", "pending", "life_insurance", "special", "unknown",
)
# `account_types` of items / connect sessions: payment accounts only (default) or all of them.
CONNECT_ACCOUNT_TYPES = ("payment", "all")

# --- Connect callback ------------------------------------------------------------------------
CONNECT_STEPS = (
    "highlighted_banks", "link_iban_error", "sub_banks_list", "bank_creds_form", "edit_bank_creds_form",
    "sync_in_progress", "otp_form", "sync_success", "sync_error", "sync_pending", "pro_validation_form",
    "email_validation_form",
)
CONTEXT_MAX_LENGTH = 100

# --- Webhook events --------------------------------------------------------------------------
EVENT_TEST = "TEST_EVENT"
EVENT_USER_DELETED = "user.deleted"
EVENT_ITEM_CREATED = "item.created"
EVENT_ITEM_REFRESHED = "item.refreshed"
EVENT_ITEM_DELETED = "item.deleted"
EVENT_ACCOUNT_CREATED = "item.account.created"
EVENT_ACCOUNT_UPDATED = "item.account.updated"
EVENT_ACCOUNT_DELETED = "item.account.deleted"
WEBHOOK_EVENTS = (
    EVENT_TEST, EVENT_USER_DELETED, EVENT_ITEM_CREATED, EVENT_ITEM_REFRESHED, EVENT_ITEM_DELETED,
    EVENT_ACCOUNT_CREATED, EVENT_ACCOUNT_UPDATED, EVENT_ACCOUNT_DELETED,
)

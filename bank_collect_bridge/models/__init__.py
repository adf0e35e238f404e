from . import bank_collect_provider
from . import bank_collect_account
from . import bank_collect_transaction
from . import bank_collect_issue
from . import res_partner
from . import account_journal
from . import account_bank_statement

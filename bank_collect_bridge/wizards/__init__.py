from . import bank_collect_pending_delete
from . import bank_collect_force
from . import portal_wizard_user

from . import account_move
from . import account_payment
from . import connectic_kiosk
from . import connectic_kiosk_file
from . import res_partner

from . import res_company
from . import sepa_oneoff_mandate
from . import sepa_oneoff_batch
from . import account_move
from . import account_payment
from . import res_partner
from . import sepa_oneoff_form_attempt
from . import ir_attachment

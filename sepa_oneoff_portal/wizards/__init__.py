from . import sepa_oneoff_post_wizard
from . import sepa_oneoff_mandate_cancel

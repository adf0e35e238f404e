from . import sepa_oneoff_post_wizard

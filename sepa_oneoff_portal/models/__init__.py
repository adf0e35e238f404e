from . import sepa_oneoff_mandate

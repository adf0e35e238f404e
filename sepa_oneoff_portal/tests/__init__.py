from . import test_install
from . import test_sepa_lib
from . import test_portal_tour
from . import test_portal_http
from . import test_backoffice
from . import test_mandate_pdf
from . import test_i18n
from . import test_security

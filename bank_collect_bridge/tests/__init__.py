from . import test_install
from . import test_provider
from . import test_sync
from . import test_options
from . import test_faults
from . import test_cron
from . import test_robustness
from . import test_connect

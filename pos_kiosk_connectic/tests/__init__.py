from . import test_install
from . import test_files
from . import test_sftp
from . import test_import
from . import test_export
from . import test_ui
from . import test_i18n
from . import test_security

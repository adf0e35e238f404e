from . import connectic_kiosk_import_wizard

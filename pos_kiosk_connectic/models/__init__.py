from . import connectic_kiosk

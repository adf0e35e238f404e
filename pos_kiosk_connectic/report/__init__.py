from . import report_payment_notice

"""18.0.1.1.0: kiosk transaction ids are unique per kiosk, no longer across the database.

The receipts imported before must know their kiosk for the new constraint and the "already imported"
check: from their payments file, else from the only kiosk of their company. The database-wide
constraint is dropped; the ORM then creates the per-kiosk one.
"""
import logging

_logger = logging.getLogger(__name__)


def fill_payment_kiosks(cr):
    """Set the kiosk of the kiosk receipts that lack it, where it can be derived; return how many."""
    cr.execute("""
        UPDATE account_payment payment
           SET connectic_kiosk_id = kiosk_file.kiosk_id
          FROM connectic_kiosk_file kiosk_file
         WHERE payment.connectic_file_id = kiosk_file.id
           AND payment.connectic_kiosk_id IS NULL
    """)
    count = cr.rowcount
    cr.execute("""
        UPDATE account_payment payment
           SET connectic_kiosk_id = only_kiosk.id
          FROM (SELECT company_id, MIN(id) AS id
                  FROM connectic_kiosk
                 GROUP BY company_id
                HAVING COUNT(*) = 1) only_kiosk
         WHERE payment.company_id = only_kiosk.company_id
           AND payment.connectic_transaction_id IS NOT NULL
           AND payment.connectic_kiosk_id IS NULL
    """)
    return count + cr.rowcount


def migrate(cr, version):
    if not version:
        return
    filled = fill_payment_kiosks(cr)
    cr.execute("ALTER TABLE account_payment DROP CONSTRAINT IF EXISTS account_payment_connectic_transaction_id_unique")
    _logger.info("pos_kiosk_connectic: kiosk set on %s kiosk receipts; transaction ids now unique per kiosk", filled)

"""Plain-Python SEPA helpers (no Odoo import): bank data checks, TARGET calendar, pain.008 files."""

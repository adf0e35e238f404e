"""Signup tokens of earlier versions were stored in messages readable by other users: remove
them from the stored e-mails and refuse the tokens already sent (see res.partner)."""
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.partner"]._bank_collect_revoke_stored_signup_tokens()

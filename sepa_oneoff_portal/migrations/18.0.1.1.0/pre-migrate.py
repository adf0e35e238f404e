def migrate(cr, version):
    """The signed-mandate e-mail now formats its amount and date in the debtor's language: let the
    update rewrite the template, which is otherwise kept as is (noupdate) to preserve local edits."""
    if not version:
        return
    cr.execute(
        "UPDATE ir_model_data SET noupdate = false WHERE module = 'sepa_oneoff_portal' "
        "AND name = 'mail_template_sepa_oneoff_signed'"
    )

"""Kiosk simulator (PK-8): what the Connectic machine does each night, over SFTP.

It reads the newest customers file of the outbound folder and drops a payments file in the inbound
folder: customers owing something pay their balance, alternately in cash and by card. Plain Python,
no Odoo import.

    python simulator.py --port N --user U --key FILE --host-key FILE [--count 3] [--kiosk-id NANCY-01]
"""
import argparse
import posixpath
import sys
from datetime import datetime
from decimal import Decimal

try:
    from . import files
    from .sftp import KioskSftp
except ImportError:  # run as a script
    import files
    from sftp import KioskSftp

METHOD_CYCLE = ("CASH", "CARD")


def payments_for(customers, kiosk_id, moment, count=None, prefix=None):
    """Payment rows for the customers owing money (at most count), as the kiosk would write them."""
    prefix = prefix or f"{kiosk_id}-{moment:%Y%m%d%H%M%S}"
    owing = [c for c in customers if (files.parse_amount(c["balance"]) or Decimal(0)) > 0]
    rows = []
    for index, customer in enumerate(owing[:count] if count else owing):
        rows.append({
            "transaction_id": f"{prefix}-{index + 1:05d}",
            "kiosk_id": kiosk_id,
            "paid_at": moment,
            "entity": customer["entity"],
            "account_ref": customer["account_ref"],
            "name": customer["name"],
            "amount": files.parse_amount(customer["balance"]),
            "currency": customer["currency"],
            "method": METHOD_CYCLE[index % len(METHOD_CYCLE)],
        })
    return rows


def run(client, outbound="outbound", inbound="inbound", kiosk_id="NANCY-01", count=None, moment=None):
    """Read the newest customers file and drop a payments file; returns (remote path, rows)."""
    moment = moment or datetime.now().replace(microsecond=0)
    names = [n for n in client.list_files(outbound) if n.startswith("customers_") and n.endswith(".csv")]
    if not names:
        raise RuntimeError(f"no customers file in {outbound}")
    customers = files.read_customers(client.read(posixpath.join(outbound, max(names))))
    rows = payments_for(customers, kiosk_id, moment, count)
    name = files.payments_file_name(kiosk_id, moment)
    return client.upload_atomic(inbound, name, files.write_payments(rows)), rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--key", required=True, help="private key file of the SFTP login")
    parser.add_argument("--host-key", required=True, help="public host key file (.pub) of the server")
    parser.add_argument("--kiosk-id", default="NANCY-01")
    parser.add_argument("--count", type=int, default=3)
    args = parser.parse_args(argv)
    with open(args.key, encoding="ascii") as key, open(args.host_key, encoding="ascii") as host_key:
        client = KioskSftp(args.host, args.port, args.user, host_key.read(), private_key=key.read())
    with client:
        path, rows = run(client, kiosk_id=args.kiosk_id, count=args.count)
    sys.stdout.write(f"{path}: {len(rows)} payments\n")


if __name__ == "__main__":
    main()

"""Bridge webhooks: `BridgeApi-Signature` signing/verification and event parsing.

Bridge signs the raw request body with HMAC-SHA256 keyed by the webhook secret and sends
`BridgeApi-Signature: v1=<UPPERCASE HEX>`; after a secret rotation both secrets are valid for 24 h,
so the header may carry two comma-separated `v1=` values. Only the `v1` scheme is accepted.
"""
import hashlib
import hmac
import json

SIGNATURE_SCHEME = "v1"


def _digest(body, secret):
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest().upper()


def sign(body, secret):
    """Header value Bridge would send for `body` (bytes) signed with `secret`."""
    if not secret:
        raise ValueError("A webhook secret is required to sign a body")
    return f"{SIGNATURE_SCHEME}={_digest(body, secret)}"


def sign_multi(body, secrets):
    """Header value carrying one `v1=` signature per secret (Bridge during a secret rotation)."""
    return ",".join(sign(body, secret) for secret in secrets if secret)


def verify_signature(body, header_value, secrets):
    """True when one `v1=` signature of the header matches the body under one of the secrets.

    Every comparison is constant-time and every pair is compared (no early exit), so the time
    taken says nothing about which part matched.
    """
    if not header_value or not isinstance(body, (bytes, bytearray)):
        return False
    expected = [_digest(bytes(body), secret) for secret in secrets if secret]
    if not expected:
        return False
    received = []
    for part in header_value.split(","):
        scheme, sep, value = part.strip().partition("=")
        if sep and scheme.strip() == SIGNATURE_SCHEME and value.strip():
            received.append(value.strip().upper())
    matched = False
    for candidate in received:
        for digest in expected:
            matched |= hmac.compare_digest(candidate.encode("ascii", "replace"), digest.encode("ascii"))
    return matched


def parse_event(body):
    """Decode a webhook body into {type, timestamp, content, user_uuid, item_id, account_ids}.

    Raises ValueError when the body is not a JSON object with a string `type` and an object
    `content` (the caller answers 400 and changes nothing).
    """
    try:
        data = json.loads(body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"Webhook body is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ValueError("Webhook body has no event type")
    content = data.get("content")
    if content is None:
        content = {}
    if not isinstance(content, dict):
        raise ValueError("Webhook content is not an object")
    account_ids = []
    if content.get("account_id") is not None:
        account_ids.append(content["account_id"])
    for account_id in content.get("account_ids") or ():
        if account_id not in account_ids:
            account_ids.append(account_id)
    timestamp = data.get("timestamp")
    # Bridge sends milliseconds in event examples and seconds in the test event: normalise to seconds.
    if isinstance(timestamp, (int, float)) and timestamp > 10 ** 11:
        timestamp = timestamp / 1000.0
    return {
        "type": data["type"],
        "timestamp": timestamp,
        "content": content,
        "user_uuid": content.get("user_uuid"),
        "item_id": content.get("item_id"),
        "account_ids": account_ids,
    }

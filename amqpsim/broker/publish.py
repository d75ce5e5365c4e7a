"""Publishing helpers: the outcome record and expiration parsing (CC/BCC: :mod:`.property_checks`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import ChannelError

MAX_EXPIRY_MS = 315_360_000_000


@dataclass(slots=True, init=False)
class PublishOutcome:
    """What basic.publish did: the queues reached, refusals, return and confirm."""

    msg_id: int
    seq: int  # publisher-confirm sequence number (0 when confirms are off)
    queues: tuple[str, ...]
    refused: list[str]  # queues that refused (reject-publish)
    returned: bool
    confirm: str | None  # "ack" | "nack" | None
    pending: bool  # buffered in a transaction until tx.commit

    def __init__(self, msg_id: int, seq: int, queues: tuple[str, ...], refused: list[str] | None = None,
                 returned: bool = False, confirm: str | None = None, pending: bool = False) -> None:
        # written out (not generated): a generated __init__ calls a factory for ``refused``
        self.msg_id = msg_id
        self.seq = seq
        self.queues = queues
        self.refused = [] if refused is None else refused
        self.returned = returned
        self.confirm = confirm
        self.pending = pending

    @property
    def routed(self) -> bool:
        return bool(self.queues)


def check_expiration(value: Any) -> int | None:
    """Per-message TTL in ms; a bad value is a 406 as in ``rabbit_basic:parse_expiration``."""
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    digits = text.lstrip("+-")
    head = len(text) - len(digits)
    n = 0
    while n < len(digits) and digits[n].isdigit():
        n += 1
    if n == 0:
        reason = "no_integer"
    elif n < len(digits):
        reason = f'{{leftover_string,"{digits[n:]}"}}'
    else:
        ms = int(text[: head + n])
        if ms < 0:
            reason = f"{{value_negative,{ms}}}"
        elif ms > MAX_EXPIRY_MS:
            reason = f"{{value_too_large,{ms},{MAX_EXPIRY_MS}}}"
        else:
            return ms
    raise ChannelError(406, f"invalid expiration '{text}': {reason}", "basic.publish")

"""Independent, reproducible random streams: one per (seed, actor, purpose).

A stream's seed is a BLAKE2b hash of the run seed and the stream's names (never
Python's ``hash()``, which changes from process to process), so adding an actor or
drawing more numbers in one stream never shifts another stream.
"""

from __future__ import annotations

import hashlib
import random


def derive_seed(seed: int, *names: str) -> int:
    """A 64-bit seed for the stream ``names`` of run ``seed``."""
    h = hashlib.blake2b(repr(int(seed)).encode(), digest_size=8, person=b"amqpsim")
    for name in names:
        h.update(b"\x00" + name.encode("utf-8"))
    return int.from_bytes(h.digest(), "big")


def stream(seed: int, *names: str) -> random.Random:
    """A ``random.Random`` for the stream ``names`` (e.g. ``("consumer", "worker#0", "service")``)."""
    return random.Random(derive_seed(seed, *names))

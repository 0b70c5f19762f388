"""Password hashing for a hosted OpsLab behind a shared password.

Hashes are PBKDF2-HMAC-SHA256 with a random salt, stored as
``pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>``; verification compares in constant time.
Make a hash with ``python -m opslab.workspace.passwords`` and put it in ``.streamlit/secrets.toml``.

>>> stored = hash_password("s3cret", iterations=1000)
>>> verify_password("s3cret", stored), verify_password("wrong", stored)
(True, False)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import getpass

SCHEME = "pbkdf2_sha256"
ITERATIONS = 310_000  # OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"{SCHEME}${iterations}${b64(salt)}${b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; malformed hashes never match."""
    try:
        scheme, iterations, salt_b64, hash_b64 = stored.split("$")
        if scheme != SCHEME:
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(hash_b64)
        actual = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, int(iterations))
    except (ValueError, TypeError, AttributeError):
        return False
    return hmac.compare_digest(actual, expected)


def main() -> None:  # pragma: no cover - interactive
    pw = getpass.getpass("Shared password for OpsLab: ")
    if pw != getpass.getpass("Again: "):
        raise SystemExit("The two entries differ.")
    print(f'[opslab]\npassword_hash = "{hash_password(pw)}"')


if __name__ == "__main__":
    main()

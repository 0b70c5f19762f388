import base64

import pytest

from opslab.workspace.passwords import hash_password, verify_password


def test_round_trip_and_salt():
    a, b = hash_password("团队密码", iterations=1000), hash_password("团队密码", iterations=1000)
    assert a != b  # a fresh salt each time
    assert verify_password("团队密码", a) and verify_password("团队密码", b)
    assert not verify_password("团队密码 ", a)


def test_known_vector():
    stored = hash_password("password", iterations=1, salt=b"salt")
    # Published PBKDF2-HMAC-SHA256 vector: P="password", S="salt", c=1, dkLen=32.
    digest = base64.b64decode(stored.split("$")[-1])
    assert digest.hex() == "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"


@pytest.mark.parametrize("bad", ["", "nonsense", "md5$1$x$y", "pbkdf2_sha256$x$y$z", None])
def test_malformed_hash_never_matches(bad):
    assert not verify_password("anything", bad)

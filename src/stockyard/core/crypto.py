"""Secrets stored encrypted at rest (TOTP secrets, payment gateway credentials).

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from STOCKYARD_SECRET_KEY by HKDF, so no second key
has to be configured. Changing the secret key makes stored secrets unreadable: `decrypt_secret` then raises.
"""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from stockyard.core.settings import get_settings

_INFO = b"stockyard.stored-secrets.v1"


class SecretUnreadable(Exception):
    """The ciphertext was not made with this secret key, or was altered."""


@lru_cache(maxsize=8)
def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(plaintext: str, *, secret_key: str | None = None) -> str:
    """Ciphertext (ASCII) of `plaintext`; `secret_key` defaults to the settings' one."""
    return _fernet(secret_key or get_settings().secret_key).encrypt(plaintext.encode()).decode("ascii")


def decrypt_secret(ciphertext: str, *, secret_key: str | None = None) -> str:
    try:
        return _fernet(secret_key or get_settings().secret_key).decrypt(ciphertext.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as error:
        raise SecretUnreadable("the stored secret cannot be decrypted with the current secret key") from error

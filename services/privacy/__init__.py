"""Personal data: sealed per person, erasable by destroying the person's key (ARCHITECTURE rule 5)."""

from lienthong.privacy.keystore import ERASED, KeyStore

__all__ = ["ERASED", "KeyStore"]

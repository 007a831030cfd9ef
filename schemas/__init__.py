"""lienthong.schemas: the Avro contracts, their catalogue and the single-object-encoding codec."""

from .catalogue import Catalogue, SchemaVersion, avro_fingerprint
from .codec import Codec, Decoded, decode, encode, fingerprint_of, stamp_envelope, validate
from .compatibility import Incompatibility, check_all, check_pair
from .errors import (
    ContractError,
    DecodeError,
    SchemaError,
    SchemaLoadError,
    UnknownSchemaError,
)

__all__ = [
    "Catalogue",
    "Codec",
    "ContractError",
    "DecodeError",
    "Decoded",
    "Incompatibility",
    "SchemaError",
    "SchemaLoadError",
    "SchemaVersion",
    "UnknownSchemaError",
    "avro_fingerprint",
    "check_all",
    "check_pair",
    "decode",
    "encode",
    "fingerprint_of",
    "stamp_envelope",
    "validate",
]

"""Personal data: sealed per person, erased by destroying the key, log bytes and proofs untouched."""

from __future__ import annotations

import uuid

from lienthong.audit import verify_log
from lienthong.privacy import ERASED, KeyStore
from lienthong.projections.views.case_register import seal_from_text
from lienthong.store import make_engine
from tests.integration.test_gateway_embedded import body


def test_sealed_data_opens_only_with_the_persons_key_and_is_bound_to_the_person(tmp_path):
    store = KeyStore(make_engine(f"sqlite:///{tmp_path}/k.db"), b"k" * 32)
    sealed = store.seal("P-1", {"full_name": "Trần Văn B"})
    assert "Trần".encode() not in sealed["ciphertext"]
    assert store.open(sealed) == {"full_name": "Trần Văn B"}
    forged = {**sealed, "person_ref": "P-2"}
    store.seal("P-2", {"x": 1})
    assert store.open(forged) == ERASED  # another person's key id: cannot be opened as theirs


def test_erasing_a_person_makes_their_data_unreadable_everywhere_but_changes_no_log_byte(embedded):
    person = str(uuid.uuid4())
    embedded.submit(
        "UBND-XA-20242",
        body(
            "HS-Z", subject_person_ref=person, personal_data={"full_name": "Lê Thị C", "phone": "0900000000"}
        ),
    )
    log = embedded.services.backend.log
    before = [s.data for s in log.scan("events")]
    with embedded.services.readmodels.connect() as conn:
        from sqlalchemy import text

        sealed = seal_from_text(conn.execute(text("select sealed_personal_data from case_register")).scalar())
    keystore = embedded.services.keystore
    assert keystore.open(sealed)["full_name"] == "Lê Thị C"
    assert keystore.erase(person) is True
    assert keystore.open(sealed) == ERASED
    assert [s.data for s in log.scan("events")] == before
    assert verify_log(log.scan("events")).ok


def test_a_persons_key_is_stored_wrapped_never_in_clear(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/k.db")
    store = KeyStore(engine, b"m" * 32)
    sealed = store.seal("P-9", {"a": 1})
    with engine.connect() as conn:
        from sqlalchemy import text

        wrapped = conn.execute(text("select wrapped_key from person_keys")).scalar()
    assert len(wrapped) > 32
    other = KeyStore(engine, b"x" * 32)  # a wrong master key cannot unwrap it
    try:
        other.open(sealed)
        raise AssertionError("opened with the wrong master key")
    except Exception as err:
        assert "InvalidTag" in type(err).__name__

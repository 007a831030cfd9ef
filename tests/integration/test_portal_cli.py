"""`lienthong officer ...`: accounts made from the command line, with a prompted password."""

from __future__ import annotations

from click.testing import CliRunner

from lienthong.portal.accounts import verify_password
from lienthong.portal.cli import officer


def test_officer_add_prompts_for_the_password_and_keeps_only_a_scrypt_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path))
    for name in ("LIENTHONG_KEYSTORE_URL", "LIENTHONG_KAFKA_BOOTSTRAP"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    password = "mot-mat-khau-dai"
    out = runner.invoke(
        officer,
        ["add", "Can-Bo.Lan", "--agency", "UBND-XA-20242", "--name", "Lan"],
        input=f"{password}\n{password}\n",
    )
    assert out.exit_code == 0, out.output
    assert "can-bo.lan (UBND-XA-20242, jurisdiction 20242) created" in out.output
    assert password not in out.output
    listed = runner.invoke(officer, ["list"])
    assert "can-bo.lan" in listed.output and "active" in listed.output

    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{tmp_path / 'keystore.db'}")
    with engine.connect() as conn:
        stored = conn.execute(text("select password_hash from portal_officers")).scalar_one()
    assert stored.startswith("scrypt$") and password not in stored and verify_password(password, stored)

    again = runner.invoke(
        officer, ["add", "can-bo.lan", "--agency", "UBND-XA-20242"], input=f"{password}\n{password}\n"
    )
    assert again.exit_code != 0 and "already exists" in again.output
    short = runner.invoke(
        officer, ["add", "can-bo.khac", "--agency", "UBND-XA-20242"], input="short\nshort\n"
    )
    assert short.exit_code != 0 and "at least" in short.output
    unknown = runner.invoke(
        officer, ["add", "can-bo.x", "--agency", "NO-SUCH"], input=f"{password}\n{password}\n"
    )
    assert unknown.exit_code != 0 and "unknown agency" in unknown.output
    assert runner.invoke(officer, ["unlock", "can-bo.lan"]).exit_code == 0
    assert "disabled" in runner.invoke(officer, ["disable", "can-bo.lan"]).output

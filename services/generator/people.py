"""People: names, identity numbers, addresses and phones from Faker vi_VN, and the slightly different
spellings the same person gets when a second agency types them in."""

from __future__ import annotations

import random
import unicodedata
from datetime import date

from faker import Faker

from lienthong.generator.world import Home


class People:
    def __init__(self, seed: int, rng: random.Random) -> None:
        self.fake = Faker("vi_VN")
        self.fake.seed_instance(seed)
        self.rng = rng
        provider = self.fake
        self._last = provider.last_name
        self._middle = provider.middle_name
        self._female = provider.first_name_female
        self._male = provider.first_name_male

    def name(self, sex: str) -> str:
        last = self._last()
        if sex == "female":
            middle = "Thị" if self.rng.random() < 0.55 else self._middle()
            if middle == "Văn":
                middle = "Thị"
            return f"{last} {middle} {self._female()}"
        middle = "Văn" if self.rng.random() < 0.5 else self._middle()
        if middle == "Thị":
            middle = "Văn"
        return f"{last} {middle} {self._male()}"

    def id_number(self, sex: str, birth_year: int, home: Home) -> str:
        """A CCCD-shaped number: place of birth registration, sex and century, year, then six digits."""
        century = 0 if birth_year < 2000 else 2
        return (
            f"0{home.old_province[-2:]}{century + (sex == 'female')}{birth_year % 100:02d}"
            f"{self.fake.numerify('######')}"
        )

    def phone(self) -> str:
        return self.fake.numerify(self.rng.choice(("09########", "03########", "08########", "07########")))

    def address(self, home: Home, on: date) -> str:
        return f"{self.fake.building_number()} {self.fake.street_name()}, {home.address_tail(on)}"

    def personal_data(self, sex: str, birth_year: int, home: Home, on: date) -> dict[str, str]:
        data = {
            "full_name": self.name(sex),
            "id_number": self.id_number(sex, birth_year, home),
            "address": self.address(home, on),
            "phone": self.phone(),
        }
        if self.rng.random() < 0.12:  # no papers and no phone on them: only what the person says
            del data["id_number"]
        if self.rng.random() < 0.2:
            del data["phone"]
        return data

    def variant(self, data: dict[str, str], home: Home, on: date, keep: str) -> dict[str, str]:
        """The same person typed in by another office: spelling, case and spacing differ; `keep` names
        the identifier that still matches (id_number, phone, or name: same name, year and province)."""
        name = data["full_name"]
        style = self.rng.randrange(4)
        if style == 0:
            name = _strip_marks(name)
        elif style == 1:
            name = name.upper()
        elif style == 2:
            name = "  ".join(name.split())
        else:
            name = _strip_marks(name).lower()
        out = {"full_name": name, "address": self.address(home, on)}
        if keep == "id_number" and "id_number" in data:
            digits = data["id_number"]
            out["id_number"] = (
                f"{digits[:3]} {digits[3:6]} {digits[6:]}" if self.rng.random() < 0.5 else digits
            )
        if keep == "phone" and "phone" in data:
            phone = data["phone"]
            out["phone"] = f"+84 {phone[1:4]} {phone[4:7]} {phone[7:]}"
        return out


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))

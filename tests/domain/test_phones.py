"""Phone numbers: E.164, masking and the owner's time zone."""

from __future__ import annotations

import pytest

from service.domain.phones import InvalidPhoneNumber, local_time_zone, mask, to_e164


@pytest.mark.parametrize(
    "raw", ["(212) 555-0143", "212-555-0143", "+1 212 555 0143", "12125550143"]
)
def test_us_numbers_are_stored_in_e164(raw: str) -> None:
    assert to_e164(raw) == "+12125550143"


@pytest.mark.parametrize("raw", ["", "hello", "+1555", "123"])
def test_non_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        to_e164(raw)


def test_mask_keeps_only_the_last_four_digits() -> None:
    assert mask("+12125550143") == "***0143"


@pytest.mark.parametrize(
    ("phone", "zip_code", "zone"),
    [
        ("+12125550143", None, "America/New_York"),
        ("+17735550143", None, "America/Chicago"),
        ("+16025550143", None, "America/Phoenix"),
        ("+13105550143", None, "America/Los_Angeles"),
        ("+12125550143", "90012", "America/Los_Angeles"),
        ("+18005550143", None, "America/New_York"),
    ],
)
def test_time_zone_comes_from_zip_then_area_code(
    phone: str, zip_code: str | None, zone: str
) -> None:
    assert local_time_zone(phone, zip_code) == zone

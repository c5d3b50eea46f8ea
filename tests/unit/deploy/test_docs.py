"""The README documents every setting the code reads."""

from __future__ import annotations

from pathlib import Path

from shared.settings import Settings

README = (Path(__file__).parents[3] / "README.md").read_text()


def test_every_setting_is_in_the_configuration_table() -> None:
    ports_and_urls = {
        f"{s}_{k}"
        for s in ("gateway", "intake", "matching", "commitments", "notifications")
        for k in ("port", "url")
    }
    missing = [
        name
        for name in Settings.model_fields
        if name not in ports_and_urls and f"COMMONWEAVE_{name.upper()}" not in README
    ]
    assert not missing, f"settings missing from README's configuration table: {missing}"

"""The catalogs: every message of the code and templates is in every catalog (extracted with
the same command as `make messages` and compared), translated, not fuzzy, with the same
placeholders; catalogs load from their .po files; Accept-Language picks a language the product
speaks; numbers and dates follow the reader's locale."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from shared.i18n import (
    LOCALE_DIR,
    Catalogs,
    Decimal,
    LowerFirst,
    Plural,
    Sentences,
    Text,
    When,
    accepted,
    available,
    catalog_path,
)

ROOT = Path(__file__).resolve().parents[3]
TRANSLATED = [code for code in available() if code != "en"]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Every message id of the code as `make messages` extracts it."""
    pot = tmp_path_factory.mktemp("messages") / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [
            str(pybabel),
            "extract",
            "-F",
            str(LOCALE_DIR / "babel.cfg"),
            "-k",
            "Text",
            "-k",
            "Plural:1,2",
            "--no-location",
            "--omit-header",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return read_po(f)


def catalog(code: str) -> Catalog:
    with catalog_path(code).open("rb") as f:
        return read_po(f, locale=code)


def test_spanish_is_one_of_the_languages() -> None:
    assert "es" in TRANSLATED
    assert Catalogs.load().get("es").name == "Español"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_of_the_code_is_in_the_catalog(extracted: Catalog, code: str) -> None:
    wanted = {m.id for m in extracted if m.id}
    present = {m.id for m in catalog(code) if m.id}
    missing = sorted(map(str, wanted - present))
    stale = sorted(map(str, present - wanted))
    assert not missing, f"run `make messages` and translate: {missing}"
    assert not stale, f"run `make messages`: no longer in the code: {stale}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(code: str) -> None:
    untranslated, fuzzy = [], []
    for message in catalog(code):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)
        if message.fuzzy:
            fuzzy.append(message.id)
    assert not untranslated, f"untranslated in {code}: {untranslated}"
    assert not fuzzy, f"fuzzy in {code} (check and remove the flag): {fuzzy}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_their_placeholders(code: str) -> None:
    """Babel's own checks: a translation names exactly the placeholders of its message."""
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog(code).check()]
    assert not problems


def test_a_missing_translation_fails_the_check(tmp_path: Path) -> None:
    """The check above can fail: a catalog with an empty translation is caught."""
    po = tmp_path / "xx" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n\nmsgid "Inbox"\nmsgstr ""\n\n#, fuzzy\nmsgid "Home"\n'
        'msgstr "Inicio"\n'
    )
    with po.open("rb") as f:
        found = read_po(f)
    assert [m.id for m in found if m.id and not m.string] == ["Inbox"]
    assert [m.id for m in found if m.fuzzy and m.id] == ["Home"]
    # fuzzy entries are left out when the catalog is read, as `pybabel compile` does
    spoken = Catalogs.read(tmp_path)
    assert "xx" not in spoken.codes  # not a locale Babel knows
    (tmp_path / "xx").rename(tmp_path / "fr")
    french = Catalogs.read(tmp_path).get("fr")
    assert french.gettext("Home") == "Home" and french.gettext("Inbox") == "Inbox"


def test_spanish_speaks_text_plurals_numbers_and_dates() -> None:
    es, en = Catalogs.load().get("es"), Catalogs.load().get("en")
    assert es(Text("Inbox")) == "Bandeja de entrada"
    assert en(Text("Inbox")) == "Inbox"
    assert es(Text("Overdue: %(title)s", title="Imprimir volantes")) == "Vencido: Imprimir volantes"
    digest = Plural(
        "Your Commonweave digest: %(num)s update", "Your Commonweave digest: %(num)s updates", 2
    )
    assert es(digest) == "Su resumen de Commonweave: 2 novedades"
    assert en(digest) == "Your Commonweave digest: 2 updates"
    assert es(Decimal(0.6667)) == "0,67" and en(Decimal(0.6667)) == "0.67"
    assert es(When(date(2026, 3, 31))) == "31 mar 2026"
    assert en(When(date(2026, 3, 31))) == "Mar 31, 2026"
    assert es(When(datetime(2026, 12, 1, 17, 0, tzinfo=UTC), "MMMEd")) == "mar, 1 dic 17:00"
    assert es(LowerFirst(Text("Due date"))) == "fecha límite"
    assert es(Sentences(Text("Partners met."), "", Text("Well done!"))) == (
        "Los socios se reunieron. ¡Enhorabuena!"
    )
    assert es("GreenLeaf") == "GreenLeaf"  # data is shown as it is


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("en-US,en;q=0.9,es;q=0.8", "en"),
        ("fr-FR, es;q=0.5", "es"),
        ("es;q=0, en", "en"),
        ("", "en"),
        (None, "en"),
        ("de", "en"),
    ],
)
def test_accept_language_picks_the_first_language_spoken(header: str | None, code: str) -> None:
    assert Catalogs.load().negotiate(header).code == code


def test_accept_language_ranks_by_quality() -> None:
    assert accepted("en;q=0.3, es-MX, fr;q=0.5") == ["es-MX", "fr", "en"]

"""The product's languages: English (the source) and one gettext catalog per other language in
`shared/locale/<code>/LC_MESSAGES/messages.po`, read with Babel when a process starts (no
compiled .mo to build or forget: the .po is the only file). Adding a language is adding a
catalog (`make messages LANG=xx`, then translate it).

Code says what to show as `Text("Due soon: %(title)s", title=...)`, a message id and its
values, translated only when a reader's `Language` draws it (`language(text)`); a plain `str`
is data (a name, a title someone typed) and is shown as it is. Numbers and dates are drawn in
the reader's locale by Babel."""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
SOURCE = "en"  # the language of the message ids


class Text:
    """A message in the reader's language: its English id and the values it names (which
    may be Text themselves, or numbers and dates, all drawn in the same language)."""

    __slots__ = ("msgid", "values")

    def __init__(self, msgid: str, /, **values: Any) -> None:
        self.msgid = msgid
        self.values = values

    def translated(self, language: Language) -> str:
        return language.gettext(self.msgid)

    def using(self, **values: Any) -> Text:
        """The same message with these values."""
        return Text(self.msgid, **{**self.values, **values})

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, Text)
            and (self.msgid, self.values) == (other.msgid, other.values)
        )

    def __hash__(self) -> int:
        return hash(self.msgid)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.msgid!r}, **{self.values!r})"


class Plural(Text):
    """A message whose words follow a count (`num` among its values)."""

    __slots__ = ("count", "plural")

    def __init__(self, singular: str, plural: str, count: int, /, **values: Any) -> None:
        super().__init__(singular, num=count, **values)
        self.plural = plural
        self.count = count

    def translated(self, language: Language) -> str:
        return language.ngettext(self.msgid, self.plural, self.count)


@dataclass(frozen=True)
class Decimal:
    """A number as the reader writes it ("0.67", "0,67")."""

    value: float
    pattern: str = "0.00"


@dataclass(frozen=True)
class When:
    """A date, or an instant (its date, then its time of day, 24-hour), as the reader's locale
    writes them: `day` is a CLDR skeleton ("yMMMd": "Mar 31, 2026", "31 mar 2026"; "MMMEd":
    "Tue, Mar 31", "mar, 31 mar")."""

    at: date | datetime
    day: str = "yMMMd"


class Sentences:
    """Sentences drawn one after another, the empty ones left out ("Partners met. Wins: …")."""

    __slots__ = ("parts",)

    def __init__(self, *parts: Localizable) -> None:
        self.parts = parts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sentences) and self.parts == other.parts

    def __hash__(self) -> int:
        return hash(self.parts)


@dataclass(frozen=True)
class LowerFirst:
    """A label inside a sentence: its first letter in lower case ("Enter due date")."""

    value: Localizable


Localizable = str | Text | Decimal | When | LowerFirst | Sentences | int | float


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in its own words: "English", "Español"
    translations: gettext.NullTranslations
    locale: Locale

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def number(self, value: float, pattern: str = "0.00") -> str:
        return format_decimal(value, format=pattern, locale=self.locale)

    def moment(self, at: date | datetime | str, day: str = "yMMMd") -> str:
        """A date as the locale writes it; an instant (or its ISO text) with its time too."""
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        written = format_skeleton(day, at, locale=self.locale)
        if isinstance(at, datetime):
            written += " " + format_skeleton("Hm", at, locale=self.locale)
        return written

    def day(self, at: date | datetime | str, day: str = "yMMMd") -> str:
        """The date alone of an instant (or of its ISO text)."""
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        if isinstance(at, datetime):
            at = at.date()
        return format_skeleton(day, at, locale=self.locale)

    def __call__(self, value: Any) -> str:
        """Anything a page or a message shows, drawn in this language: Text translated (and its
        values drawn), numbers and dates in the locale; a str as it is."""
        if isinstance(value, Text):
            text = value.translated(self)
            if not value.values:
                return text
            return text % {k: self(v) for k, v in value.values.items()}
        if isinstance(value, Decimal):
            return self.number(value.value, value.pattern)
        if isinstance(value, When):
            return self.moment(value.at, value.day)
        if isinstance(value, Sentences):
            return " ".join(drawn for drawn in map(self, value.parts) if drawn)
        if isinstance(value, LowerFirst):
            drawn = self(value.value)
            return drawn[:1].lower() + drawn[1:]
        if isinstance(value, bool) or value is None:
            return "" if value is None else str(value)
        if isinstance(value, int):
            return format_decimal(value, locale=self.locale)
        if isinstance(value, float):
            return self.number(value, "0.##")
        return str(value)


@cache
def available(directory: Path = LOCALE_DIR) -> tuple[str, ...]:
    """The codes of the languages there are catalogs for, English first (the files ship with
    the code, like tzdata's zones: reading them is not I/O a domain rule must avoid)."""
    found = sorted(po.parent.parent.name for po in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (SOURCE, *found)


def check_language(code: str) -> str:
    if code not in available():
        raise ValueError(
            f"{code!r} is not a language Commonweave speaks ({', '.join(available())})"
        )
    return code


@cache
def _load(directory: Path) -> Catalogs:
    return Catalogs.read(directory)


def english() -> Language:
    """The source language, for code that draws words without a reader (a default)."""
    return Catalogs.load().get(SOURCE)


def catalog_path(code: str, directory: Path = LOCALE_DIR) -> Path:
    return directory / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_translations(po: Path, code: str) -> Translations:
    """A catalog's translations straight from its .po (fuzzy entries left out, as `pybabel
    compile` leaves them out)."""
    with po.open("rb") as f:
        catalog = read_po(f, locale=code, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def accepted(header: str | None) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first ("es-MX, en;q=0.5"
    gives ["es-MX", "en"]); q=0 means not wanted."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


@dataclass(frozen=True)
class Catalogs:
    """Every language the product speaks, by code; English first."""

    languages: Mapping[str, Language] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path = LOCALE_DIR) -> Catalogs:
        """Every catalog of the folder, read once per process (they are files shipped with the
        code and never change while it runs)."""
        return _load(directory)

    @classmethod
    def read(cls, directory: Path) -> Catalogs:
        found: dict[str, Language] = {
            SOURCE: Language(SOURCE, "English", gettext.NullTranslations(), Locale.parse(SOURCE))
        }
        for po in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            code = po.parent.parent.name
            try:
                locale = Locale.parse(code)
            except (ValueError, UnknownLocaleError):
                continue
            name = (locale.get_display_name(locale) or code).capitalize()
            found[code] = Language(code, name, load_translations(po, code), locale)
        return cls(found)

    @property
    def codes(self) -> list[str]:
        return list(self.languages)

    def get(self, code: str | None) -> Language:
        """The language of that code, or English."""
        return self.languages.get(code or "", self.languages[SOURCE])

    def knows(self, code: str | None) -> bool:
        return bool(code) and code in self.languages

    def negotiate(self, accept_language: str | None) -> Language:
        """The first language of the header the product speaks ("es-MX" is Spanish), else
        English."""
        for tag in accepted(accept_language):
            primary = tag.replace("_", "-").split("-")[0].lower()
            if primary in self.languages:
                return self.languages[primary]
        return self.languages[SOURCE]

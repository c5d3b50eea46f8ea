"""Which language a page speaks, and the templates of each. Before sign-in: the language
chosen on a page (a cookie), else the browser's Accept-Language; a signed-in member's choice is
also kept as their `language` preference (notifications write to them in it), and signing in
brings that preference back to the cookie. One Jinja2 environment per language, with the
gettext extension bound to that language's catalog, so no request can draw another's words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from services.gateway.web.words import word
from shared.i18n import Catalogs, Language

LANGUAGE_COOKIE = "commonweave_language"
YEAR = 365 * 24 * 3600


def localized(directory: Path, language: Language, catalogs: Catalogs) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(language.translations, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(t=language, number=language.number, date=language.moment, day=language.day)
    env.filters["word"] = lambda value: language(word(value))
    env.globals.update(
        word=env.filters["word"],
        lang=language.code,
        languages=[(code, catalogs.get(code).name) for code in catalogs.codes],
    )
    return Jinja2Templates(env=env)


@dataclass(frozen=True)
class Pages:
    """The templates of a folder, once per language the catalogs speak."""

    catalogs: Catalogs
    templates: Mapping[str, Jinja2Templates]

    @classmethod
    def of(cls, directory: Path, catalogs: Catalogs) -> Pages:
        return cls(
            catalogs,
            {code: localized(directory, catalogs.get(code), catalogs) for code in catalogs.codes},
        )

    def language(self, request: Request) -> Language:
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        if self.catalogs.knows(chosen):
            return self.catalogs.get(chosen)
        return self.catalogs.negotiate(request.headers.get("accept-language"))

    def for_request(self, request: Request) -> tuple[Jinja2Templates, Language]:
        language = self.language(request)
        return self.templates[language.code], language


def remember(request: Request, response: Response, code: str) -> None:
    """The language on this browser (not a secret: a plain preference, for /app and
    /dashboard)."""
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=YEAR,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def local_path(target: str) -> str:
    """Where to go back after switching: a path of this site only (never another host)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/app"

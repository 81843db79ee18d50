"""The Jinja2 environment of the pages: templates in web/templates, Danish number and date formats."""

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from core.vocab import Role
from users.schemas import Principal
from web import labels, session
from web.forms import FormState

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
COPENHAGEN = ZoneInfo("Europe/Copenhagen")

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
MONTHS = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
          "november", "december")


def decimal(value: float | None, decimals: int = 1) -> str:
    """A number the Danish way: decimal comma, thousands with a dot."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def km(value: float | None) -> str:
    return "–" if value is None else f"{decimal(value, 1)} km"


def percent(part: float | None, whole: float | None) -> str:
    if part is None or not whole:
        return "–"
    return f"{decimal(100 * part / whole, 0)} %"


def date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        local = value.astimezone(COPENHAGEN)
        return f"{local.day}. {MONTHS[local.month - 1]} {local.year} kl. {local:%H.%M}"
    return f"{value.day}. {MONTHS[value.month - 1]} {value.year}"


def is_selected(values: dict[str, Any], name: str, option: str) -> bool:
    """Whether a checkbox or option was chosen, for a value that is a list or a single string."""
    found = values.get(name)
    if isinstance(found, list | tuple | set | frozenset):
        return option in {str(item) for item in found}
    return found is not None and str(found) == option


def schemes(values: list[Any]) -> str:
    """Schemes in Danish, in the order of the law (ordinært job first)."""
    chosen = {str(value) for value in values}
    return ", ".join(labels.SCHEMES[scheme] for scheme in labels.SCHEME_ORDER if scheme in chosen) or "ingen"


def label(value: Any, mapping: dict[str, str]) -> str:
    return mapping.get(str(value), str(value))


def pair(value: Any, mapping: dict[str, str]) -> tuple[str, str]:
    """(value, Danish label), for the options of a select."""
    return str(value), label(value, mapping)


templates.env.filters.update(decimal=decimal, km=km, date=date, schemes=schemes, label=label, pair=pair)
def blank_form(**values: Any) -> FormState:
    return FormState(values={key: "" if value is None else str(value) for key, value in values.items()})


templates.env.globals.update(labels=labels, percent=percent, is_selected=is_selected, blank_form=blank_form)


def navigation(principal: Principal | None) -> list[tuple[str, str]]:
    """(path, label) of the pages a role can use, for the menu."""
    if principal is None:
        return []
    staff = [("/konsulent/borgere", "Borgere"), ("/konsulent/opslag", "Opslag og kandidater"),
             ("/konsulent/ugeliste", "Ugeliste")]
    if principal.role is Role.CONSULTANT:
        return staff
    if principal.role is Role.JOBCENTRE_ADMIN:
        return [*staff, ("/jobcenter/koersler", "Ugentlige kørsler")]
    if principal.role is Role.ADMIN:
        return [("/jobcenter/koersler", "Ugentlige kørsler")]
    return [("/virksomhed", "Virksomhedsprofil"), ("/virksomhed/opslag", "Opslag")]


def current_section(path: str, items: list[tuple[str, str]]) -> str | None:
    """The menu item a page belongs to: the longest menu path the page's path starts with."""
    matches = [href for href, _ in items if path == href or path.startswith(href + "/")]
    return max(matches, key=len) if matches else None


def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200) -> HTMLResponse:
    principal: Principal | None = getattr(request.state, "web_principal", None)
    items = navigation(principal)
    base = {"principal": principal, "csrf_token": session.current(request).csrf_token, "navigation": items,
            "current": current_section(request.url.path, items)}
    response: HTMLResponse = templates.TemplateResponse(request, template, {**base, **(context or {})},
                                                        status_code=status_code)
    return response

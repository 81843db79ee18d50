"""The pages over HTTP (no browser): sign-in and the session cookie, CSRF, roles and scoping, Danish
validation messages that keep what was typed, labels on every field."""

import re
from html.parser import HTMLParser

import asyncpg
import httpx

from core.vocab import Role
from tests.web.conftest import Town, csrf_of, post_form, sign_in


class _Fields(HTMLParser):
    """Collects form controls and the ids that labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labelled: set[str] = set()
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if tag == "label" and values.get("for"):
            self.labelled.add(str(values["for"]))
        if tag in ("input", "select", "textarea") and values.get("type") not in ("hidden", "submit"):
            self.controls.append(values)


def unlabelled(html: str) -> list[str]:
    parser = _Fields()
    parser.feed(html)
    assert parser.lang == "da"
    return [str(control.get("name")) for control in parser.controls if control.get("id") not in parser.labelled]


async def test_sign_in_sets_a_safe_cookie_and_sends_each_role_home(web: httpx.AsyncClient, town: Town) -> None:
    homes = {Role.CONSULTANT: "/konsulent/borgere", Role.EMPLOYER: "/virksomhed",
             Role.JOBCENTRE_ADMIN: "/jobcenter/koersler", Role.ADMIN: "/jobcenter/koersler"}
    for role, home in homes.items():
        web.cookies.clear()
        response = await sign_in(web, town.person(role))
        assert response.headers["location"] == home
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
        page = await web.get(home)
        assert page.status_code == 200, page.text
        assert town.person(role).principal.name in page.text


async def test_wrong_password_is_refused_in_danish_and_keeps_the_email(web: httpx.AsyncClient, town: Town) -> None:
    response = await post_form(web, "/log-ind", "/log-ind", {"email": town.consultant.email, "password": "forkert"})
    assert response.status_code == 400
    assert "E-mailadressen eller adgangskoden er forkert." in response.text
    assert f'value="{town.consultant.email}"' in response.text
    assert (await web.get("/konsulent/borgere")).status_code == 303


async def test_pages_need_a_sign_in_and_come_back_after_it(web: httpx.AsyncClient, town: Town) -> None:
    response = await web.get("/konsulent/borgere?alle=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/log-ind?naeste=%2Fkonsulent%2Fborgere%3Falle%3D1"
    signed_in = await post_form(web, response.headers["location"], "/log-ind", {
        "email": town.consultant.email, "password": town.consultant.password, "naeste": "/konsulent/borgere?alle=1"})
    assert signed_in.headers["location"] == "/konsulent/borgere?alle=1"
    offsite = await post_form(web, "/log-ind", "/log-ind", {
        "email": town.consultant.email, "password": town.consultant.password, "naeste": "//evil.example/"})
    assert offsite.headers["location"] == "/konsulent/borgere"


async def test_a_form_without_the_sessions_csrf_token_changes_nothing(web: httpx.AsyncClient, town: Town,
                                                                      pool: asyncpg.Pool) -> None:
    await sign_in(web, town.employer_user)
    for token in (None, "forged"):
        data = {"name": "Overtaget ApS", "postcode": "2650", "capacity": "1",
                **({"csrf_token": token} if token else {})}
        response = await web.post("/virksomhed", data=data)
        assert response.status_code == 403
        assert "Formularen er udløbet" in response.text
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT name FROM employers WHERE id = $1", town.employer.id) == "Hansen Lager ApS"


async def test_another_roles_page_is_a_403_page(web: httpx.AsyncClient, town: Town) -> None:
    await sign_in(web, town.employer_user)
    for path in ("/konsulent/borgere", f"/konsulent/borgere/{town.citizens[0].id}", "/jobcenter/koersler",
                 "/konsulent/ugeliste"):
        response = await web.get(path)
        assert response.status_code == 403, path
        assert "Ingen adgang" in response.text and town.citizens[0].reference not in response.text
    web.cookies.clear()
    await sign_in(web, town.consultant)
    for path in ("/virksomhed", "/virksomhed/opslag", "/jobcenter/koersler"):
        assert (await web.get(path)).status_code == 403, path


async def test_foreign_or_malformed_ids_give_a_polite_not_found_page(web: httpx.AsyncClient, town: Town) -> None:
    await sign_in(web, town.consultant)
    for path in (f"/konsulent/borgere/{town.foreign_citizen.id}", "/konsulent/borgere/ikke-et-id",
                 "/konsulent/forslag/00000000-0000-0000-0000-000000000000", "/konsulent/findes-ikke"):
        response = await web.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "Siden findes ikke" in response.text and town.foreign_citizen.reference not in response.text
    web.cookies.clear()
    await sign_in(web, town.employer_user)
    response = await web.get(f"/virksomhed/opslag/{town.foreign_opening.id}")
    assert response.status_code == 404 and "Bagerlærling" not in response.text


async def test_a_bad_opening_is_refused_field_by_field_in_danish_keeping_the_input(
        web: httpx.AsyncClient, town: Town, count_rows) -> None:
    await sign_in(web, town.employer_user)
    before = await count_rows("openings")
    response = await post_form(web, "/virksomhed/opslag/nyt", "/virksomhed/opslag/nyt", {
        "title": "", "description": "Ring på 010190-1234", "hours_min": "30", "hours_max": "20",
        "slots": "mange", "postcode": "123", "start_date": "2026-13-01", "skills": "truckcertifikat"})
    assert response.status_code == 422
    errors = dict(re.findall(r'id="felt-([a-z-]+)-fejl"><span class="visually-hidden">Fejl: </span>([^<]+)<',
                             response.text))
    assert errors == {
        "title": "Skal udfyldes.",
        "description": "Må ikke indeholde et CPR-nummer eller noget, der ligner et.",
        "schemes": "Vælg mindst 1.",
        "slots": "Skriv et helt tal.",
        "postcode": "Skriv et postnummer med 4 cifre.",
        "start-date": "Skriv en dato som åååå-mm-dd.",
    }
    assert 'value="mange"' in response.text and ">truckcertifikat</textarea>" in response.text
    assert await count_rows("openings") == before
    unknown = await post_form(web, "/virksomhed/opslag/nyt", "/virksomhed/opslag/nyt", {
        "title": "Lagerhjælp", "schemes": "internship", "hours_min": "30", "hours_max": "20", "slots": "1",
        "postcode": "0999"})
    assert "Må ikke være flere timer end det højeste antal timer." in unknown.text
    fixed = await post_form(web, "/virksomhed/opslag/nyt", "/virksomhed/opslag/nyt", {
        "title": "Lagerhjælp", "schemes": "internship", "hours_min": "20", "hours_max": "30", "slots": "1",
        "postcode": "0999"})
    assert fixed.status_code == 422 and "Postnummeret findes ikke i Danmark." in fixed.text
    assert await count_rows("openings") == before


async def test_declining_without_a_reason_asks_for_one_next_to_the_field(web: httpx.AsyncClient, town: Town) -> None:
    await sign_in(web, town.consultant)
    page = await web.get(f"/konsulent/borgere/{town.citizens[0].id}")
    assert page.status_code == 200
    suggestion_id = re.findall(r'action="/konsulent/forslag/([0-9a-f-]+)/status"', page.text)[0]
    response = await web.post(f"/konsulent/forslag/{suggestion_id}/status", data={
        "csrf_token": csrf_of(page.text), "state": "declined", "reason_code": "",
        "note": "Borgeren vil tænke over det"})
    assert response.status_code == 422
    assert "Vælg en begrundelse for afvisningen." in response.text
    assert ">Borgeren vil tænke over det</textarea>" in response.text
    assert "<details open>" in response.text


async def test_every_field_on_the_main_pages_has_a_label(web: httpx.AsyncClient, town: Town) -> None:
    pages = {
        Role.CONSULTANT: ["/konsulent/borgere", f"/konsulent/borgere/{town.citizens[0].id}",
                          f"/konsulent/opslag/{town.openings[0].id}", "/konsulent/ugeliste"],
        Role.EMPLOYER: ["/virksomhed", "/virksomhed/opslag/nyt", f"/virksomhed/opslag/{town.openings[0].id}"],
        Role.JOBCENTRE_ADMIN: ["/jobcenter/koersler"],
        Role.ADMIN: ["/jobcenter/koersler?jobcenter=101"],
    }
    assert unlabelled((await web.get("/log-ind")).text) == []
    for role, paths in pages.items():
        web.cookies.clear()
        await sign_in(web, town.person(role))
        for path in paths:
            response = await web.get(path)
            assert response.status_code == 200, (path, response.text[:500])
            assert unlabelled(response.text) == [], path
            assert "default-src 'self'" in response.headers["content-security-policy"]


async def test_a_deactivated_user_is_signed_out(web: httpx.AsyncClient, town: Town, pool: asyncpg.Pool) -> None:
    await sign_in(web, town.consultant)
    assert (await web.get("/konsulent/borgere")).status_code == 200
    async with pool.acquire() as conn:
        await conn.execute("UPDATE users SET active = false WHERE id = $1", town.consultant.principal.user_id)
    response = await web.get("/konsulent/borgere")
    assert response.status_code == 303 and response.headers["location"].startswith("/log-ind")

"""End to end in headless Chromium (Debian's, driven by Playwright) against the running app: each role
signs in; a consultant declines and accepts suggestions; an employer posts an opening and pauses it; a
jobcentre admin runs the week's match and downloads its CSV; a role on another role's page.

`./dev test` installs Chromium with apt-get when it is missing (as root); only where it cannot be
installed are these tests skipped, with the reason. With BROBYGGER_SCREENSHOTS=1 the screenshots of the
main pages are written to docs/screenshots/ (otherwise to the test's temporary folder).
"""

import asyncio
import os
import shutil
import socket
import threading
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright, expect

from api.app import create_app
from batch import service as batch
from batch.service import Step
from core.config import Settings
from core.vocab import Role
from tests.web.conftest import Person, Town

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
NOT_INSTALLED = ("Chromium is not installed and could not be installed here (`./dev test` installs the Debian "
                 "package `chromium` with apt-get when it runs as root); set BROBYGGER_CHROMIUM to a Chromium binary")


def chromium_executable() -> str | None:
    for candidate in (os.environ.get("BROBYGGER_CHROMIUM"), *CHROMIUM_NAMES):
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    return None


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_executable()
    if executable is None:
        pytest.skip(NOT_INSTALLED)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, headless=True, args=["--lang=da-DK"])
        yield launched
        await launched.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def live_server(settings: Settings) -> AsyncIterator[str]:
    """The real app under uvicorn on a free port, in a thread with its own event loop."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    for _ in range(600):
        if server.started or not thread.is_alive():
            break
        await asyncio.sleep(0.05)
    assert server.started, "the app did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.to_thread(thread.join, 15)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = ROOT / "docs" / "screenshots" if os.environ.get("BROBYGGER_SCREENSHOTS") else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def page(browser: Browser, live_server: str) -> AsyncIterator[Page]:
    context = await browser.new_context(base_url=live_server, locale="da-DK", viewport={"width": 1280, "height": 900},
                                        accept_downloads=True)
    opened = await context.new_page()
    yield opened
    await context.close()


async def sign_in(page: Page, person: Person, *, screenshot: Path | None = None) -> None:
    await page.goto("/")
    await expect(page.get_by_role("heading", name="Log ind")).to_be_visible()
    await page.get_by_label("E-mailadresse").fill(person.email)
    await page.get_by_label("Adgangskode").fill(person.password)
    if screenshot:
        await page.screenshot(path=screenshot)
    await page.get_by_role("button", name="Log ind").click()
    await expect(page.get_by_text(person.principal.name)).to_be_visible()


async def sign_out(page: Page) -> None:
    await page.get_by_role("button", name="Log ud").click()
    await expect(page.get_by_text("Du er logget ud.")).to_be_visible()


async def test_each_role_signs_in_to_its_own_pages(page: Page, town: Town, screenshots: Path) -> None:
    homes = {Role.CONSULTANT: "Borgere", Role.EMPLOYER: "Hansen Lager ApS",
             Role.JOBCENTRE_ADMIN: "Ugentlige kørsler", Role.ADMIN: "Ugentlige kørsler"}
    for role, heading in homes.items():
        await sign_in(page, town.person(role),
                      screenshot=screenshots / "log-ind.png" if role is Role.CONSULTANT else None)
        await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        await sign_out(page)
    await page.get_by_label("E-mailadresse").fill(town.consultant.email)
    await page.get_by_label("Adgangskode").fill("forkert adgangskode")
    await page.get_by_role("button", name="Log ind").click()
    await expect(page.get_by_role("alert")).to_contain_text("E-mailadressen eller adgangskoden er forkert.")
    await expect(page.get_by_label("E-mailadresse")).to_have_value(town.consultant.email)


async def test_sign_in_works_from_the_keyboard_with_a_visible_focus(page: Page, town: Town) -> None:
    await page.goto("/log-ind")
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Spring til indholdet")).to_be_focused()
    email = page.get_by_label("E-mailadresse")
    while not await email.evaluate("element => element === document.activeElement"):
        await page.keyboard.press("Tab")
    outline = await email.evaluate("element => getComputedStyle(element).outlineStyle + ' ' + "
                                   "getComputedStyle(element).outlineWidth")
    assert outline == "solid 3px"
    await page.keyboard.type(town.consultant.email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(town.consultant.password)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Borgere")


async def test_consultant_declines_one_suggestion_and_accepts_another(
        page: Page, town: Town, pool: asyncpg.Pool, screenshots: Path) -> None:
    await sign_in(page, town.consultant)
    await page.get_by_label("Søg på sagsreference").fill("BRG-0001")
    await page.get_by_role("button", name="Søg").click()
    await page.get_by_role("link", name="BRG-0001").click()
    await expect(page.get_by_role("heading", name="Borger BRG-0001")).to_be_visible()

    await page.get_by_label("Ordning").select_option(label="virksomhedspraktik")
    await page.get_by_label("Højst antal km").fill("20")
    await page.get_by_role("button", name="Vis forslag").click()
    suggestions = page.get_by_role("list", name="Forslag").locator("> li")
    await expect(suggestions).to_have_count(2)
    first = suggestions.nth(0)
    await expect(first).to_contain_text("Ordning: virksomhedspraktik")
    await expect(first).to_contain_text("Score:")
    await expect(first).to_contain_text(" km")
    await expect(page.get_by_role("table").filter(has_text="Afstand")).to_be_visible()
    await page.screenshot(path=screenshots / "konsulent-borger-forslag.png", full_page=True)

    declined_title = await first.get_by_role("heading").inner_text()
    await first.get_by_text("Afvis forslaget").click()
    await first.get_by_role("button", name="Afvis").click()  # no reason: refused, next to the field
    await expect(page.get_by_text("Vælg en begrundelse for afvisningen.").first).to_be_visible()
    await page.get_by_label("Begrundelse").select_option(label="For langt væk")
    await page.get_by_label("Note til kolleger (valgfri)").fill("Borgeren vil ikke pendle så langt.")
    await page.get_by_role("button", name="Afvis", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text(
        "Forslaget er afvist. Det vises ikke længere blandt borgerens forslag.")

    await expect(page.get_by_role("heading", name="Borger BRG-0001")).to_be_visible()  # back where it started
    remaining = page.get_by_role("list", name="Forslag").locator("> li")
    await expect(remaining).to_have_count(1)
    assert declined_title.split(". ", 1)[1] not in await remaining.nth(0).inner_text()
    await remaining.nth(0).get_by_role("button", name="Markér som kontaktet").click()
    await expect(page.get_by_role("status")).to_have_text("Forslaget er markeret som kontaktet.")
    contacted = page.get_by_role("list", name="Forslag").locator("> li").nth(0)
    await expect(contacted).to_contain_text("Kontaktet")
    await contacted.get_by_text("Accepter forslaget").click()
    await contacted.get_by_label("Begrundelse", exact=True).select_option(label="Kompetencerne passer")
    await contacted.get_by_role("button", name="Accepter").click()
    await expect(page.get_by_role("status")).to_contain_text("Forslaget er accepteret.")

    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT state, reason_code, note FROM suggestions WHERE citizen_id = $1 "
                                "AND state <> 'proposed' ORDER BY state", town.citizens[0].id)
    assert [(row["state"], row["reason_code"]) for row in rows] == [("accepted", "skills_match"),
                                                                      ("declined", "too_far")]
    assert rows[1]["note"] == "Borgeren vil ikke pendle så langt."

    await page.get_by_role("link", name="Opslag og kandidater").click()
    await page.get_by_role("link", name="Pakkeriassistent").click()
    await expect(page.get_by_role("heading", name="Kandidater til Pakkeriassistent")).to_be_visible()
    await expect(page.get_by_role("list", name="Kandidater")).to_contain_text("BRG-0002")
    await page.screenshot(path=screenshots / "konsulent-kandidater.png", full_page=True)


async def test_employer_posts_an_opening_and_pauses_it(page: Page, town: Town, pool: asyncpg.Pool,
                                                       screenshots: Path) -> None:
    await sign_in(page, town.employer_user)
    await page.get_by_label("Om arbejdspladsen").fill("Lager med 40 ansatte. Vi har en fast mentor til nye.")
    await page.get_by_label("Mentor").check()
    await page.get_by_role("button", name="Gem profilen").click()
    await expect(page.get_by_role("status")).to_have_text("Profilen er gemt.")
    await expect(page.get_by_label("Mentor")).to_be_checked()
    await page.screenshot(path=screenshots / "virksomhed-profil.png", full_page=True)

    await page.get_by_role("link", name="Opslag", exact=True).click()
    await page.get_by_role("link", name="Opret nyt opslag").click()
    await page.get_by_label("Titel").fill("Truckfører")
    await page.get_by_label("virksomhedspraktik").check()
    await page.get_by_label("løntilskud").check()
    await page.get_by_label("Timer om ugen, mindst").fill("30")
    await page.get_by_label("Timer om ugen, højst").fill("25")
    await page.get_by_label("Antal pladser").fill("2")
    await page.get_by_label("Kompetencer").fill("truckcertifikat\nlagerstyring")
    await page.get_by_role("button", name="Opret opslaget").click()
    await expect(page.locator("#felt-hours-min-fejl")).to_have_text(
        "Fejl: Må ikke være flere timer end det højeste antal timer.")
    await expect(page.get_by_label("Titel")).to_have_value("Truckfører")
    await expect(page.get_by_label("løntilskud")).to_be_checked()
    await page.screenshot(path=screenshots / "virksomhed-opslag-fejl.png", full_page=True)

    await page.get_by_label("Timer om ugen, højst").fill("37")
    await page.get_by_role("button", name="Opret opslaget").click()
    await expect(page.get_by_role("status")).to_have_text("Opslaget er oprettet.")
    await page.get_by_role("link", name="← Opslag").click()
    row = page.get_by_role("row").filter(has_text="Truckfører")
    await expect(row).to_contain_text("Åben")
    await row.get_by_role("button", name="Sæt på pause").click()
    await expect(page.get_by_role("status")).to_have_text("Opslaget er nu: sat på pause.")
    await expect(page.get_by_role("row").filter(has_text="Truckfører")).to_contain_text("Sat på pause")
    await page.screenshot(path=screenshots / "virksomhed-opslag.png", full_page=True)

    async with pool.acquire() as conn:
        opening = await conn.fetchrow("SELECT status, hours_min, hours_max, slots, schemes FROM openings "
                                      "WHERE title = 'Truckfører'")
    assert dict(opening) == {"status": "paused", "hours_min": 30, "hours_max": 37, "slots": 2,
                             "schemes": ["internship", "wage_subsidy"]}
    assert "BRG-" not in await page.content()


async def test_admin_runs_the_week_and_downloads_the_csv_and_consultants_get_their_list(
        page: Page, town: Town, pool: asyncpg.Pool, settings: Settings, screenshots: Path) -> None:
    await sign_in(page, town.jobcentre_admin)
    await expect(page.get_by_role("textbox", name="Uge")).to_have_value(batch.week_of(batch.today_in_copenhagen()))
    await page.get_by_role("textbox", name="Uge").fill("2020-W01")
    await page.get_by_role("button", name="Start kørslen").click()
    await expect(page.locator("#felt-week-fejl")).to_contain_text("Kørsler kan højst gå 4 uger tilbage.")
    await page.get_by_role("textbox", name="Uge").fill(batch.week_of(batch.today_in_copenhagen()))
    await page.get_by_role("button", name="Start kørslen").click()
    await expect(page.get_by_role("status")).to_have_text("Kørslen er startet.")
    await expect(page.locator("#koersel")).to_contain_text("I kø")

    run_id = uuid.UUID(page.url.split("/")[-1].split("?")[0])
    # The worker's part, done here: the page follows the run by itself until it is done.
    await batch.run_inline(pool, Step("start", run_id, 1), encoder=settings.encoder)
    await expect(page.locator("#koersel")).to_contain_text("Færdig", timeout=20_000)
    await expect(page.locator("#koersel")).to_contain_text("Dækning")
    await page.screenshot(path=screenshots / "jobcenter-koersel.png", full_page=True)
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Hent forslagene som CSV (Excel)").click()
    download = await download_info.value
    content = Path(await download.path()).read_text(encoding="utf-8-sig")
    assert download.suggested_filename.endswith(".csv")
    assert "Borgerreference" in content.splitlines()[0]
    assert "BRG-0001" in content and "BRG-0002" in content and "AAR-0001" not in content

    await sign_out(page)
    await sign_in(page, town.consultant)
    await page.get_by_role("link", name="Ugeliste").click()
    table = page.get_by_role("table")
    await expect(table).to_contain_text("BRG-0001")
    await expect(table).to_contain_text("Hansen Lager ApS")
    await page.screenshot(path=screenshots / "konsulent-ugeliste.png", full_page=True)
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Hent listen som CSV (Excel)").click()
    mine = Path(await (await download_info.value).path()).read_text(encoding="utf-8-sig")
    assert "BRG-0001" in mine


async def test_a_role_on_another_roles_page_gets_a_polite_refusal(page: Page, town: Town,
                                                                  screenshots: Path) -> None:
    await sign_in(page, town.employer_user)
    response = await page.goto(f"/konsulent/borgere/{town.citizens[0].id}")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ingen adgang")
    assert "BRG-0001" not in await page.content()
    await sign_out(page)
    await sign_in(page, town.consultant)
    response = await page.goto(f"/konsulent/borgere/{town.foreign_citizen.id}")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Siden findes ikke")
    assert "AAR-0001" not in await page.content()
    response = await page.goto("/virksomhed/opslag/nyt")
    assert response is not None and response.status == 403
    await page.screenshot(path=screenshots / "ingen-adgang.png")

"""`brobygger token create`: operators issue credentials that the API then accepts."""

import asyncio

import httpx
from typer.testing import CliRunner, Result

from api.cli import app


async def _cli(*arguments: str) -> Result:
    """The command runs its own event loop, so it runs in a thread beside the test's."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(arguments))


async def test_consultant_token_from_the_cli_opens_the_jobcentres_citizens(
        cli_environment: None, client: httpx.AsyncClient) -> None:
    result = await _cli("token", "create", "--role", "consultant", "--jobcentre", "101", "--name", "Anna Jensen")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    response = await client.get("/v1/citizens", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_employer_gets_an_api_key_scoped_to_its_employer(
        cli_environment: None, client: httpx.AsyncClient, make_actor) -> None:
    from core.vocab import Role
    from tests.factories import employer_body

    consultant = await make_actor(Role.CONSULTANT, jobcentre=101)
    employer_id = (await client.post("/v1/employers", json=employer_body(), headers=consultant.headers)).json()["id"]
    result = await _cli("token", "create", "--role", "employer", "--employer", employer_id, "--name", "Lager ApS")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("bby_")
    headers = {"Authorization": f"Bearer {key}"}
    assert (await client.get(f"/v1/employers/{employer_id}", headers=headers)).status_code == 200
    assert (await client.get("/v1/citizens", headers=headers)).status_code == 403


def test_unknown_jobcentre_is_refused_with_a_message(cli_environment: None) -> None:
    result = CliRunner().invoke(app, ["token", "create", "--role", "consultant", "--jobcentre", "999",
                                      "--name", "Nobody"])
    assert result.exit_code == 2
    assert "jobcentre" in result.output

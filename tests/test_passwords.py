"""Passwords for the web pages: hashing, sign-in, and setting them from the command line."""

import asyncio

import asyncpg
import pytest
from typer.testing import CliRunner, Result

from api.cli import app
from core.errors import Conflict, InvalidInput, Unauthorized
from core.vocab import Role
from users import service as users


def test_hash_is_salted_and_verifies_only_the_right_password() -> None:
    first, second = users.hash_password("korrekt hest batteri"), users.hash_password("korrekt hest batteri")
    assert first != second and first.startswith("scrypt$")
    assert users.verify_password("korrekt hest batteri", first)
    assert not users.verify_password("korrekt hest batteri!", first)
    assert not users.verify_password("korrekt hest batteri", "not-a-hash")


async def test_sign_in_by_email_with_the_right_password_only(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        created = await users.create_user(conn, name="Anna Jensen", role=Role.CONSULTANT, jobcentre_code=101,
                                          email="anna@jobcenter.example", password="en lang adgangskode")
        signed_in = await users.sign_in(conn, "ANNA@jobcenter.example ", "en lang adgangskode")
        assert signed_in == created
        for email, password in [("anna@jobcenter.example", "forkert kode!"), ("ukendt@example.dk", "x" * 12),
                                ("", "en lang adgangskode")]:
            with pytest.raises(Unauthorized):
                await users.sign_in(conn, email, password)
        without = await users.create_user(conn, name="Token only", role=Role.ADMIN, email="drift@example.dk")
        with pytest.raises(Unauthorized):
            await users.sign_in(conn, "drift@example.dk", "")
        assert without.role is Role.ADMIN


async def test_short_password_or_reused_email_is_refused(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(InvalidInput) as short:
            await users.create_user(conn, name="B", role=Role.ADMIN, email="b@example.dk", password="kort")
        assert short.value.fields == [{"field": "password", "message": "must be 10 to 200 characters long"}]
        await users.create_user(conn, name="C", role=Role.ADMIN, email="c@example.dk")
        with pytest.raises(Conflict):
            await users.create_user(conn, name="C2", role=Role.ADMIN, email="c@example.dk")


async def _cli(*arguments: str, input_text: str | None = None) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, app, list(arguments), input=input_text)


async def test_cli_creates_a_user_and_resets_the_password(cli_environment: None, pool: asyncpg.Pool) -> None:
    created = await _cli("user", "create", "--role", "consultant", "--jobcentre", "101", "--name", "Bo Holm",
                         "--email", "bo@jobcenter.example", input_text="første kodeord\nførste kodeord\n")
    assert created.exit_code == 0, created.output
    reset = await _cli("user", "set-password", "--email", "bo@jobcenter.example", "--password", "andet kodeord!")
    assert reset.exit_code == 0, reset.output
    async with pool.acquire() as conn:
        with pytest.raises(Unauthorized):
            await users.sign_in(conn, "bo@jobcenter.example", "første kodeord")
        assert (await users.sign_in(conn, "bo@jobcenter.example", "andet kodeord!")).name == "Bo Holm"
    unknown = await _cli("user", "set-password", "--email", "ingen@example.dk", "--password", "x" * 12)
    assert unknown.exit_code == 2 and "no active user" in unknown.output


async def test_demo_users_can_sign_in_with_the_printed_passwords(pool: asyncpg.Pool, settings) -> None:
    from api.demo import _create_demo_users, demo_credentials_path, demo_sign_ins
    from employers import service as employers
    from employers.schemas import EmployerCreate
    from tests.factories import employer_body
    from users.schemas import OPERATOR

    async with pool.acquire() as conn:
        await employers.create_employer(conn, OPERATOR, EmployerCreate.model_validate(employer_body()))
    await _create_demo_users(pool, settings)
    lines = demo_sign_ins(settings)
    roles = []
    async with pool.acquire() as conn:
        for line in lines:
            credentials = line.split(": ")[1]
            email, password = credentials.split()
            roles.append((await users.sign_in(conn, email, password)).role.value)
    assert sorted(roles) == ["admin", "consultant", "consultant", "employer", "jobcentre_admin"]
    assert demo_credentials_path(settings).stat().st_mode & 0o077 == 0

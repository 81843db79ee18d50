"""Sign-in and sign-out with an email and a password, and the front door that sends each role home."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.deps import Conn
from core.errors import Unauthorized
from core.vocab import Role
from users import service as users
from web import session
from web.deps import Form, WebRoute, redirect, safe_next
from web.forms import FormState, text
from web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

HOME_BY_ROLE = {Role.CONSULTANT: "/konsulent/borgere", Role.JOBCENTRE_ADMIN: "/jobcenter/koersler",
                Role.ADMIN: "/jobcenter/koersler", Role.EMPLOYER: "/virksomhed"}


@router.get("/")
async def front_door(request: Request, conn: Conn) -> Response:
    user_id = session.current(request).user_id
    if user_id is None:
        return redirect("/log-ind")
    try:
        principal = await users.get_principal(conn, user_id)
    except Unauthorized:
        session.sign_out(request)
        return redirect("/log-ind")
    return redirect(HOME_BY_ROLE[principal.role])


@router.get("/log-ind")
async def sign_in_page(request: Request, naeste: Annotated[str | None, Query()] = None) -> Response:
    return render(request, "sign_in.html", {"form": FormState(), "next": safe_next(naeste, "")})


@router.post("/log-ind")
async def sign_in(request: Request, conn: Conn, form: Form) -> Response:
    state = FormState(values={"email": text(form, "email")})
    next_path = safe_next(text(form, "naeste"), "")
    if not state.values["email"]:
        state.add("email", "Skriv din e-mailadresse.")
    password = form.get("password")
    if not isinstance(password, str) or not password:
        state.add("password", "Skriv din adgangskode.")
    if state.ok:
        try:
            principal = await users.sign_in(conn, state.values["email"], str(password))
        except Unauthorized:
            state.message = "E-mailadressen eller adgangskoden er forkert."
        else:
            session.sign_in(request, principal.user_id)
            return redirect(next_path or HOME_BY_ROLE[principal.role])
    return render(request, "sign_in.html", {"form": state, "next": next_path}, status_code=400)


@router.post("/log-ud")
async def sign_out(request: Request, form: Form) -> Response:
    session.sign_out(request)
    return redirect("/log-ind?logget_ud=1")

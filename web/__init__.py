"""Server-rendered Danish pages for consultants, employers and jobcentre admins, on the same services
(and the same roles and scoping) as the API."""

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles


def install(app: FastAPI) -> None:
    """Serve the pages and their static files from the app."""
    from web import auth, batch, consultant, employer, fallback
    from web.templating import STATIC_DIR

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (auth, consultant, employer, batch, fallback):
        app.include_router(module.router)

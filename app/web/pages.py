"""The page: one Jinja2 template, the app shell for the JavaScript modules."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import __version__
from app.web.room_gate import member_of

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """The training page."""
    templates = request.app.state.templates
    member = member_of(request.scope)  # room mode: the page adds the room panel for this role
    context = {"version": __version__, "room": member.role if member else ""}
    return templates.TemplateResponse(request, "index.html", context)

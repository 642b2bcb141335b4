"""The page: one Jinja2 template, the app shell for the JavaScript modules."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import __version__

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """The training page."""
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "index.html", {"version": __version__})

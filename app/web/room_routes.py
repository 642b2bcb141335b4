"""Room mode's routes: the join page, the instructor's link, the room's REST and its QR code."""

from __future__ import annotations

import io
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from app.training.manager import TooManySessions
from app.training.room import close_sessions, fork_session
from app.training.room_votes import classroom_view
from app.web.credentials import client_address
from app.web.room import CODE_ALPHABET, CODE_LENGTH, MAX_NAME, Member, Room, RoomFull, show_code
from app.web.room_gate import COOKIE, JOIN_PATH, MemberSockets, member_of
from app.web.room_watch import live_session
from app.web.throttle import FailureLimiter

router = APIRouter()


class LiveBody(BaseModel):
    """Body of PUT /api/room/live: the instructor's session, proven by its token."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(max_length=64)
    token: str = Field(max_length=128)


def room_of(request: Request) -> Room:
    """The app's room."""
    return request.app.state.room


def join_url(request: Request, with_code: bool = False) -> str:
    """Where attendees join: the LAN address the server printed, else the one used now."""
    base = request.app.state.room_base_url or str(request.base_url).rstrip("/")
    code = f"?code={room_of(request).code}" if with_code else ""
    return f"{base}{JOIN_PATH}{code}"


def require_member(request: Request) -> Member:
    """The caller's room entry (the gate already refused everyone else)."""
    member = member_of(request.scope)
    if member is None:
        raise HTTPException(401, "join the room first")
    return member


def require_instructor(request: Request) -> Member:
    """The caller, who must be the instructor (403 otherwise)."""
    member = require_member(request)
    if member.role != "instructor":
        raise HTTPException(403, "only the instructor can do this")
    return member


def _pass_cookie(response: Response, cookie: str) -> Response:
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="strict", path="/")
    return response


def _join_page(
    request: Request, status: int = 200, error: str = "", code: str = "", name: str = ""
) -> HTMLResponse:
    shown = "".join(c for c in code.upper() if c in CODE_ALPHABET)[:CODE_LENGTH]
    context = {"error": error, "code": shown, "name": name[:MAX_NAME], "max_name": MAX_NAME}
    if request.query_params.get("left"):
        context["error"] = context["error"] or (
            "Your room pass no longer works (the instructor removed it, or the server "
            "restarted). Ask for the code to join again."
        )
    templates = request.app.state.templates
    page = templates.TemplateResponse(request, "join.html", context, status_code=status)
    # Under no-referrer Chromium sends `Origin: null` with the form, which the same-origin check
    # refuses; same-origin still gives other sites no referrer at all.
    page.headers["Referrer-Policy"] = "same-origin"
    return page


def _throttled(request: Request, limiter: FailureLimiter) -> int:
    """Seconds this address must wait before another try (0: it may try now)."""
    return int(-(-limiter.retry_after(client_address(request)) // 1))


@router.get(JOIN_PATH, response_class=HTMLResponse, include_in_schema=False)
async def join_page(request: Request, code: str = "") -> Response:
    """The join form, the code filled in when the link (or QR code) carries it."""
    if member_of(request.scope) is not None:
        return RedirectResponse("/", status_code=303)
    return _join_page(request, code=code)


@router.post(JOIN_PATH, include_in_schema=False)
async def join(
    request: Request,
    code: Annotated[str, Form(max_length=128)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the code (rate-limited per address); on success set the room cookie."""
    limiter: FailureLimiter = request.app.state.join_limiter
    wait = _throttled(request, limiter)
    if wait > 0:
        response = _join_page(
            request, 429, f"Too many wrong codes from this device: try again in {wait} s."
        )
        response.headers["Retry-After"] = str(wait)
        return response
    room = room_of(request)
    if not room.code_matches(code):
        limiter.fail(client_address(request))
        message = "That code is not right: check the instructor's screen." if code else ""
        return _join_page(request, 401, message or "Enter the code first.", name=name)
    try:
        cookie, _ = room.admit("attendee", name, client_address(request))
    except RoomFull as exc:
        return _join_page(request, 503, str(exc))
    return _pass_cookie(RedirectResponse("/", status_code=303), cookie)


@router.get("/room/instructor", include_in_schema=False)
async def instructor_link(request: Request, token: str = "") -> Response:
    """The instructor's secret link: a room pass with the instructor's rights, then the page."""
    limiter: FailureLimiter = request.app.state.join_limiter
    if _throttled(request, limiter) > 0:
        return _join_page(request, 429, "Too many wrong links from this device: wait a minute.")
    room = room_of(request)
    if not room.token_matches(token):
        limiter.fail(client_address(request))
        return _join_page(request, 401, "That instructor link is not valid for this room.")
    cookie, _ = room.admit("instructor", "", client_address(request))
    return _pass_cookie(RedirectResponse("/", status_code=303), cookie)


@router.get("/api/room")
async def room_state(request: Request) -> dict[str, Any]:
    """The room as the caller may see it: the live session; for the instructor code and people."""
    member = require_member(request)
    room = room_of(request)
    live = room.live if room.live in request.app.state.manager.sessions else None
    body: dict[str, Any] = {
        "role": member.role,
        "you": member.describe(),
        "live": {"session": live} if live else None,
    }
    if member.role == "instructor":
        body["code"] = show_code(room.code)
        body["join_url"] = join_url(request)
        body["attendees"] = [m.describe() for m in room.members("attendee")]
    body.update(classroom_view(request.app.state.classroom, member.id, member.role == "instructor"))
    return body


@router.post("/api/room/code")
async def rotate_code(request: Request) -> dict[str, str]:
    """A new join code (attendees already in stay in)."""
    require_instructor(request)
    room = room_of(request)
    room.rotate()
    return {"code": show_code(room.code), "join_url": join_url(request)}


@router.delete("/api/room/members/{member_id}", status_code=204)
async def remove_member(member_id: str, request: Request) -> Response:
    """Remove someone: their pass stops working, their sockets and sessions close."""
    you = require_instructor(request)
    if member_id == you.id:
        raise HTTPException(409, "you cannot remove yourself")
    room = room_of(request)
    member = room.remove(member_id)
    if member is None:
        raise HTTPException(404, f"no one with id {member_id!r} is in the room")
    sockets: MemberSockets = request.app.state.room_sockets
    sockets.revoke(member)
    request.app.state.classroom.forget(member.id)
    if room.live in member.sessions:
        room.set_live(None)
    await close_sessions(request.app.state.manager, member.sessions)
    return Response(status_code=204)


@router.put("/api/room/live")
async def go_live(body: LiveBody, request: Request) -> dict[str, Any]:
    """Show the instructor's session to every attendee."""
    require_instructor(request)
    if request.app.state.manager.get(body.id, body.token) is None:
        raise HTTPException(404, "unknown session or wrong token: go live with your own session")
    room_of(request).set_live(body.id)
    return {"live": {"session": body.id}}


@router.delete("/api/room/live", status_code=204)
async def stop_live(request: Request) -> Response:
    """Stop showing a session: watchers return to their own."""
    require_instructor(request)
    room_of(request).set_live(None)
    return Response(status_code=204)


@router.post("/api/room/fork", status_code=201)
async def fork_live(request: Request) -> dict[str, Any]:
    """A session of your own continuing the live run from now: {id, token, config, epoch}."""
    require_member(request)
    manager = request.app.state.manager
    source = live_session(room_of(request), manager.sessions)
    if source is None:
        raise HTTPException(409, "the instructor is not showing a run right now: nothing to fork")
    try:
        session = await fork_session(manager, source)
    except TooManySessions as exc:
        raise HTTPException(503, str(exc)) from None
    return session.opened()


@router.get("/api/room/qr.svg")
async def join_qr(request: Request) -> Response:
    """The join link (code included) as an SVG QR code, drawn here: no outside service."""
    require_instructor(request)
    svg = io.BytesIO()
    segno.make(join_url(request, with_code=True), error="m").save(
        svg, kind="svg", scale=8, border=2, dark="#0f172a", light="#ffffff", xmldecl=False
    )
    headers = {"Cache-Control": "no-store"}
    return Response(svg.getvalue(), media_type="image/svg+xml", headers=headers)

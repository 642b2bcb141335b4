"""The page runs under its strict Content-Security-Policy with no violation (issue 11)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import free_port, open_app, wait_epoch_above
from tests.web.live_server import live_server

pytestmark = pytest.mark.e2e

# Runs before the page's own scripts (Playwright injects it outside the page's CSP).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI} (${where})`);
});
"""


def test_page_trains_and_uploads_with_no_csp_violation(page: Any, tmp_path: Path) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    open_app(page)
    page.click("[data-testid='play']")
    wait_epoch_above(page, 30)
    page.click("[data-testid='tab-histograms']")  # every view draws under the policy
    page.wait_for_selector("#histograms:not([hidden])")
    page.click("[data-testid='tab-curves']")
    page.click("[data-testid='play']")  # pause
    # The upload carries the session's credentials and is listed to that session only.
    rows = ["x,y,label"] + [f"{i % 9 * 0.3:.1f},{i % 4 * 0.7:.1f},{i % 2}" for i in range(60)]
    csv_file = tmp_path / "mine.csv"
    csv_file.write_text("\n".join(rows) + "\n")
    page.set_input_files("[data-testid='upload-file']", str(csv_file))
    page.wait_for_selector("[data-testid='upload-target'] option[value='label']", state="attached")
    page.click("[data-testid='upload-submit']")
    page.wait_for_selector("[data-testid='upload-message'][data-kind='ok']")
    listed = page.evaluate(
        """async () => {
          const s = window.backpropLab.state.session;
          const headers = {'X-Session-Id': s.id, 'X-Session-Token': s.token};
          const mine = await (await fetch('/api/datasets', {headers})).json();
          const anyone = await (await fetch('/api/datasets')).json();
          return {mine: mine.uploads.map((u) => u.filename), anyone: anyone.uploads.length};
        }"""
    )
    assert listed == {"mine": ["mine.csv"], "anyone": 0}
    page.click("[data-testid='play']")
    wait_epoch_above(page, 5)
    violations = page.evaluate("window.__cspViolations")
    assert violations == [], violations


@contextmanager
def attacker_site() -> Iterator[str]:
    """Another origin on loopback (another port): a page the user might have open."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), AttackerPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class AttackerPage(BaseHTTPRequestHandler):
    """Serves one harmless page; its script is what the test evaluates."""

    def do_GET(self) -> None:
        body = b"<!doctype html><title>elsewhere</title><p>hi</p>"
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


POST_FROM_ELSEWHERE = """async (url) => {
  const form = new FormData();
  form.append('file', new Blob(['a,b\\n1,2\\n3,4\\n'], {type: 'text/csv'}), 'x.csv');
  const post = (path, body) => fetch(url + path, {method: 'POST', mode: 'no-cors', body});
  const sessions = await post('/api/sessions', '{}');
  const upload = await post('/api/datasets', form);
  return [sessions.type, upload.type];
}"""


def test_a_page_on_another_site_is_refused_by_origin(browser: Any) -> None:
    """Real Chromium on another origin posts as a hostile page would: 403 from the Origin check."""
    context = browser.new_context()
    try:
        with live_server() as server, attacker_site() as elsewhere:
            attacker = context.new_page()
            attacker.goto(f"{elsewhere}/")
            kinds = attacker.evaluate(POST_FROM_ELSEWHERE, server.url)
            assert kinds == ["opaque", "opaque"]  # sent: the browser only hides the replies
            assert server.request("GET", "/api/health")[1]["sessions"] == 0
            log = server.log()
    finally:
        context.close()
    # Refused for its origin (403), before any credential or body check (401, 422).
    assert '"POST /api/sessions HTTP/1.1" 403' in log, log[-2000:]
    assert '"POST /api/datasets HTTP/1.1" 403' in log, log[-2000:]


def _json(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{url}: {exc.code}") from None

#!/usr/bin/env python3
"""End-to-end tests of the web page and the sign-in flow in Debian's Chromium (headless),
driven by Playwright for Python, against the real groove-server binary.

Usage: python3 tests/browser/run.py BINARY [--out DIR] [--database-url URL]

Starts the server on an ephemeral port with a fresh data directory (and, with
--database-url, that PostgreSQL database, which must be empty), creates users with a
password, then runs the scenarios one after the other; exits non-zero at the first failure.
Screenshots go to DIR (default tests/browser/out). The accessibility check injects the
vendored axe-core (tests/browser/vendor/axe.min.js, MPL-2.0) and fails on any serious or
critical violation.
"""

import base64
import hashlib
import http.server
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request

from playwright.sync_api import expect, sync_playwright

HERE = os.path.dirname(os.path.abspath(__file__))
CHROMIUM = os.environ.get("GROOVE_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery"
MAX_TRACKS = 40
CATALOG = os.path.join(HERE, "..", "..", "catalog", "demo.jsonl")


class Server:
    """The groove-server binary on an ephemeral port, stopped by its PID."""

    def __init__(self, binary, database_url=None):
        self.binary = binary
        self.tmp = tempfile.mkdtemp(prefix="groove-browser-")
        self.data = os.path.join(self.tmp, "data")
        self.store = ["--data-dir", self.data]
        self.database_url = database_url
        if database_url:
            self.store += ["--database-url", database_url]
        env = dict(os.environ, RUST_LOG="info", GROOVE_RATE_LIMIT_ADDRESS="0",
                   GROOVE_RATE_LIMIT_CALLER="0", GROOVE_RATE_LIMIT_TOKEN="0")
        self.proc = subprocess.Popen(
            [binary, *self.store, "serve", "--listen", "127.0.0.1:0",
             "--log-format", "json", "--max-tracks", str(MAX_TRACKS)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.time() + 60
        self.base = None
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            try:
                fields = json.loads(line).get("fields", {})
            except json.JSONDecodeError:
                continue
            if fields.get("message") == "serving":
                self.base = "http://" + fields["address"]
                break
        if not self.base:
            self.stop()
            raise RuntimeError("the server did not start")
        # Keep reading the log so that the pipe never fills.
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()

    def admin(self, *args, stdin=None):
        out = subprocess.run([self.binary, *self.store, *args], input=stdin,
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"{args}: {out.stderr}")
        return out.stdout

    def sql(self, statement):
        """Runs one statement on the server's database behind its back (to age rows)."""
        if self.database_url:
            out = subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", self.database_url, "-c", statement],
                                 capture_output=True, text=True, check=False)
            if out.returncode != 0:
                raise RuntimeError(f"psql: {statement}: {out.stderr}")
        else:
            with sqlite3.connect(os.path.join(self.data, "groove.sqlite3"), timeout=30) as db:
                db.execute(statement)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def api(server, method, path, token=None, body=None, form=None):
    headers = {"Accept": "application/json"}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    if form is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        data = urllib.parse.urlencode(form).encode()
    req = urllib.request.Request(server.base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return e.code, {"raw": raw.decode(errors="replace")}


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"  ok: {what}")


def axe_check(page, label):
    """No serious or critical violation of axe-core's rules on the page as it is."""
    with open(os.path.join(HERE, "vendor", "axe.min.js"), encoding="utf-8") as f:
        source = f.read()
    # Evaluated through the DevTools protocol: the page's own policy forbids inline script.
    page.evaluate(source)
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))")
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    for v in violations:
        print(f"    axe ({label}): {v['impact']}: {v['id']}: {v['help']} {v['nodes'][:3]}")
    check(not bad, f"axe-core: no serious or critical violation ({label})")


def sign_in_page(page, user, password=PASSWORD):
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in and allow").click()


def fold(s):
    """The server's sort key of a title: lower case, without accents."""
    return "".join(c for c in unicodedata.normalize("NFKD", s.casefold()) if not unicodedata.combining(c))


def list_titles(page):
    return page.locator("#list li[data-id] .title").all_text_contents()


def wait_status(page, pattern):
    expect(page.locator("#status")).to_have_text(re.compile(pattern))


def scenario_page(server, browser, out):
    """Sign in, add from search, browse in two orders, delete one and several, make and
    reorder a playlist by keyboard and by drag and drop, see a readable error, sign out."""
    print("web page")
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server.base + "/")
    expect(page.get_by_role("heading", name="Your music collection")).to_be_visible()
    axe_check(page, "signed out")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/oauth/authorize\?"))
    axe_check(page, "sign-in form")
    page.screenshot(path=os.path.join(out, "sign-in.png"))
    sign_in_page(page, "alice")
    expect(page.get_by_text("Signed in as alice")).to_be_visible()
    check("code=" not in page.url, "the code does not stay in the address")
    expect(page.locator("#counts")).to_have_text("0 tracks · 0 playlists")
    stored = page.evaluate("() => [sessionStorage.getItem('groove.tokens') !== null, localStorage.getItem('groove.tokens')]")
    check(stored == [True, None], "the tokens live in sessionStorage, not localStorage")

    # Add from search.
    page.get_by_role("tab", name="Search").click()
    page.get_by_label("Search for").fill("lucky")
    page.get_by_role("button", name="Search", exact=True).click()
    add = page.get_by_role("button", name=re.compile(r"^Add Get Lucky")).first
    add.click()
    wait_status(page, r"Added 1 track")
    expect(page.locator("#counts")).to_have_text("1 tracks · 0 playlists")
    # An album's tracks.
    page.get_by_label("Search for").fill("random access memories")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name=re.compile(r"^Add album ")).first.click()
    wait_status(page, r"Added \d+ tracks?")
    counts = page.locator("#counts").text_content()
    n = int(counts.split()[0])
    check(n > 3, f"an album's tracks were added ({counts})")
    axe_check(page, "search results")

    # Browse in two orders.
    page.get_by_role("tab", name="Tracks").click()
    expect(page.locator("#list li[data-id]").first).to_be_visible()
    by_title = list_titles(page)
    check(by_title == sorted(by_title, key=fold), f"tracks by title: {by_title[:4]}...")
    page.get_by_label("Order by").select_option("CollectionDate")
    expect(page.locator("#list li[data-id] .title").first).not_to_have_text(by_title[0])
    by_date = list_titles(page)
    check(sorted(by_date) == sorted(by_title) and by_date != by_title, "tracks by date added: another order")
    check(by_date[-1].startswith("Get Lucky"), f"the first track added comes last by date added: {by_date}")
    page.screenshot(path=os.path.join(out, "collection.png"))

    # Delete one, then several with a selection.
    page.get_by_label("Order by").select_option("TrackTitle")
    expect(page.locator("#list li[data-id] .title").first).to_have_text(by_title[0])
    page.get_by_role("button", name=f"Delete {by_title[0]}", exact=True).click()
    wait_status(page, r"Deleted 1 track")
    expect(page.locator("#counts")).to_have_text(f"{n - 1} tracks · 0 playlists")
    page.get_by_label(f"Select {by_title[1]}").check()
    page.get_by_label(f"Select {by_title[2]}").check()
    page.get_by_role("button", name="Delete selected (2)").click()
    wait_status(page, r"Deleted 2 tracks")
    expect(page.locator("#counts")).to_have_text(f"{n - 3} tracks · 0 playlists")
    left = list_titles(page)
    check(not set(by_title[:3]) & set(left), "the deleted tracks are gone from the list")

    # A playlist: create, add tracks, reorder by keyboard and by drag and drop, rename, remove.
    page.get_by_role("tab", name="Playlists").click()
    page.get_by_label("New playlist").fill("Road trip")
    page.get_by_role("button", name="Create").click()
    wait_status(page, r"Playlist created")
    expect(page.locator("#counts")).to_have_text(f"{n - 3} tracks · 1 playlists")
    page.get_by_role("tab", name="Tracks").click()
    expect(page.locator("#list li[data-id]").first).to_be_visible()
    chosen = list_titles(page)[:3]
    for t in chosen:
        page.get_by_label(f"Select {t}").check()
    expect(page.locator("#playlist-target")).to_have_value(re.compile(r"\S"))
    page.get_by_role("button", name="Add selected to playlist").click()
    wait_status(page, r"Added 3 tracks to the playlist")
    page.get_by_role("tab", name="Playlists").click()
    page.get_by_role("button", name="Open Road trip").click()
    expect(page.locator("#list li[data-id]")).to_have_count(3)
    check(list_titles(page) == chosen, "the playlist holds the tracks in the order added")
    axe_check(page, "playlist")
    # Keyboard: Alt+Down on the first track's handle.
    page.get_by_role("button", name=f"Move {chosen[0]}: Alt+Up or Alt+Down").focus()
    page.keyboard.press("Alt+ArrowDown")
    wait_status(page, rf"{re.escape(chosen[0])} moved to position 2")
    check(list_titles(page) == [chosen[1], chosen[0], chosen[2]], "moved down by keyboard")
    # Drag the last track onto the first.
    rows = page.locator("#list li[data-id]")
    rows.nth(2).drag_to(rows.nth(0))
    wait_status(page, rf"{re.escape(chosen[2])} moved to position 1")
    expected = [chosen[2], chosen[1], chosen[0]]
    check(list_titles(page) == expected, "moved by drag and drop")
    page.screenshot(path=os.path.join(out, "playlist.png"))
    # The server has the same order (the page reloaded from the API).
    page.get_by_role("button", name="← All playlists").click()
    page.get_by_role("button", name="Open Road trip").click()
    expect(page.locator("#list li[data-id]")).to_have_count(3)
    check(list_titles(page) == expected, "the new order is the server's")
    page.get_by_role("button", name=f"Remove {expected[1]} from the playlist").click()
    wait_status(page, r"removed from the playlist")
    expect(page.locator("#list li[data-id]")).to_have_count(2)
    page.get_by_role("button", name="← All playlists").click()
    page.get_by_role("button", name="Rename Road trip").click()
    page.get_by_label("New name for Road trip").fill("Long road trip")
    page.get_by_role("button", name="Save").click()
    wait_status(page, r"Playlist renamed")
    expect(page.get_by_role("button", name="Open Long road trip")).to_be_visible()

    # Many tracks, then a readable error: the collection is full.
    page.get_by_role("tab", name="Search").click()
    page.get_by_label("Search for").fill("a")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name="Add all these tracks").click()
    wait_status(page, r"Added \d+ tracks")
    page.get_by_label("Search for").fill("e")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name="Add all these tracks").click()
    expect(page.get_by_role("alert")).to_contain_text("Your collection is full")
    check("{" not in page.locator("#error-text").text_content(), "the error is a sentence, not JSON")
    page.screenshot(path=os.path.join(out, "error.png"))
    page.get_by_role("button", name="Dismiss").click()
    expect(page.locator("#error")).to_be_hidden()

    # Continuation paging as the list scrolls: 25 a page.
    page.get_by_role("tab", name="Tracks").click()
    expect(page.locator("#list li[data-id]")).to_have_count(25)
    page.locator("#more").scroll_into_view_if_needed()
    expect(page.locator("#list li[data-id]")).to_have_count(MAX_TRACKS)
    titles = list_titles(page)
    check(len(set(titles)) == MAX_TRACKS and titles == sorted(titles, key=fold), "the next page came on scrolling, in order")
    expect(page.locator("#more")).to_be_hidden()

    # Phone size.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("tab", name="Tracks").click()
    expect(page.locator("#list li[data-id]").first).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    check(width <= 390, f"no horizontal scrolling on a phone ({width} px)")
    axe_check(page, "phone")
    page.screenshot(path=os.path.join(out, "phone.png"))

    # Delete the playlist, then sign out: the session's tokens are revoked.
    page.set_viewport_size({"width": 1100, "height": 800})
    page.get_by_role("tab", name="Playlists").click()
    page.get_by_role("button", name="Delete playlist Long road trip").click()
    wait_status(page, r"Playlist deleted")
    tokens = json.loads(page.evaluate("() => sessionStorage.getItem('groove.tokens')"))
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Your music collection")).to_be_visible()
    check(page.evaluate("() => sessionStorage.getItem('groove.tokens')") is None, "signing out forgets the tokens")
    status, _ = api(server, "GET", "/1/user/music/profile", token=tokens["access"])
    check(status == 401, f"the signed-out access token is refused ({status})")
    check(not errors, f"no error in the console: {errors}")
    context.close()


def scenario_remember_me(server, browser):
    """'Remember me' keeps the session in localStorage; without it, a new tab is signed out."""
    print("remember me")
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.base + "/")
    page.get_by_label("Remember me on this device").check()
    page.get_by_role("button", name="Sign in").click()
    sign_in_page(page, "alice")
    expect(page.get_by_text("Signed in as alice")).to_be_visible()
    check(page.evaluate("() => localStorage.getItem('groove.tokens') !== null"), "remembered in localStorage")
    other = context.new_page()
    other.goto(server.base + "/")
    expect(other.get_by_text("Signed in as alice")).to_be_visible()
    check(True, "another tab of the same profile is signed in")
    context.close()


class Callback(http.server.BaseHTTPRequestHandler):
    """The application's redirect URI: records the query it was sent."""
    received = []

    def do_GET(self):  # noqa: N802 (the standard library's name)
        url = urllib.parse.urlparse(self.path)
        if url.path == "/callback":  # not the browser's /favicon.ico
            Callback.received.append(urllib.parse.parse_qs(url.query))
        body = b"<!doctype html><title>App</title><p>Signed in.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def scenario_app(server, browser, out):
    """The OAuth flow as a third-party application sees it: authorize page in the browser,
    code at its redirect URI, token, refresh, reuse of a rotated refresh token, revoke."""
    print("application (OAuth authorization code + PKCE)")
    app_server = http.server.HTTPServer(("127.0.0.1", 0), Callback)
    threading.Thread(target=app_server.serve_forever, daemon=True).start()
    redirect = f"http://127.0.0.1:{app_server.server_address[1]}/callback"
    try:
        creds = server.admin("app", "create", "Record player", "--redirect-uri", redirect)
        client_id = re.search(r"client_id=(\S+)", creds).group(1)
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": client_id, "redirect_uri": redirect,
            "state": "app-state-42", "code_challenge": challenge, "code_challenge_method": "S256"})
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{server.base}/oauth/authorize?{query}")
        expect(page.get_by_text("Record player asks to see and change your music collection")).to_be_visible()
        page.screenshot(path=os.path.join(out, "consent.png"))
        sign_in_page(page, "alice", "wrong password")
        expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in and allow").click()
        page.wait_for_url(re.compile(re.escape(redirect)))
        got = Callback.received[-1]
        check(got.get("state") == ["app-state-42"], "state came back")
        code = got["code"][0]
        context.close()

        status, t = api(server, "POST", "/oauth/token", form={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
            "client_id": client_id, "code_verifier": verifier})
        check(status == 200 and t["refresh_token"], f"code exchanged for tokens ({status})")
        status, profile = api(server, "GET", "/1/user/music/profile", token=t["access_token"])
        check(status == 200 and "Collection" in profile, "the access token is a user token of the API")
        status, t2 = api(server, "POST", "/oauth/token", form={
            "grant_type": "refresh_token", "refresh_token": t["refresh_token"], "client_id": client_id})
        check(status == 200 and t2["refresh_token"] != t["refresh_token"], "refresh rotates the refresh token")
        status, err = api(server, "POST", "/oauth/token", form={
            "grant_type": "refresh_token", "refresh_token": t["refresh_token"], "client_id": client_id})
        check(status == 400 and err["error"] == "invalid_grant", "a rotated refresh token is refused")
        status, _ = api(server, "GET", "/1/user/music/profile", token=t2["access_token"])
        check(status == 401, "its reuse revoked the family's access token")
        status, err = api(server, "POST", "/oauth/token", form={
            "grant_type": "refresh_token", "refresh_token": t2["refresh_token"], "client_id": client_id})
        check(status == 400, "... and the family's newest refresh token")

        # A second sign-in, then RFC 7009 revocation.
        context = browser.new_context()
        page = context.new_page()
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": client_id, "redirect_uri": redirect,
            "state": "s2", "code_challenge": challenge, "code_challenge_method": "S256"})
        page.goto(f"{server.base}/oauth/authorize?{query}")
        sign_in_page(page, "alice")
        page.wait_for_url(re.compile(re.escape(redirect)))
        code = Callback.received[-1]["code"][0]
        context.close()
        status, t = api(server, "POST", "/oauth/token", form={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
            "client_id": client_id, "code_verifier": verifier})
        check(status == 200, "second sign-in")
        status, _ = api(server, "POST", "/oauth/revoke", form={"token": t["refresh_token"], "client_id": client_id})
        check(status == 200, "revoke answers 200")
        status, _ = api(server, "GET", "/1/user/music/profile", token=t["access_token"])
        check(status == 401, "revoking the refresh token revoked the access token")
    finally:
        app_server.shutdown()

def catalog_tracks():
    """The demo catalog's tracks (the server loads the same file)."""
    with open(CATALOG, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def all_track_ids(server, token):
    """Every track of the user's collection, following continuation tokens."""
    ids, path = [], "/1/content/music/collection/tracks/browse"
    while True:
        status, r = api(server, "GET", path, token)
        check(status == 200, f"tracks browse ({status})")
        ids += [t["Id"] for t in r["Tracks"]["Items"]]
        cont = r["Tracks"].get("ContinuationToken")
        if not cont:
            return ids
        path = "/1/content/music/collection/tracks/browse?" + urllib.parse.urlencode({"continuationToken": cont})


def sign_in_as(browser, server, user, viewport=None):
    context = browser.new_context(viewport=viewport or {"width": 1100, "height": 800})
    page = context.new_page()
    page.goto(server.base + "/")
    page.get_by_role("button", name="Sign in").click()
    sign_in_page(page, user)
    expect(page.get_by_text(f"Signed in as {user}")).to_be_visible()
    return context, page


def scenario_restore_and_drill_down(server, browser, out):
    """Undo after deleting tracks (by keyboard and by mouse) and a playlist; the Recently
    deleted view (newest first, paging, DeletedDate, restoring a selection and a playlist,
    readable errors); drill-down from an album and from an artist to their tracks."""
    print("undo, recently deleted, drill-down")
    token = server.admin("token", "user", "carol").strip()
    catalog = catalog_tracks()
    ram = sorted((t for t in catalog if t["Album"]["Name"] == "Random Access Memories"),
                 key=lambda t: t["TrackNumber"])
    spare = [t["Id"] for t in catalog if t["Album"]["Name"] not in ("Random Access Memories",)]
    status, r = api(server, "POST", "/1/content/music/collection/add", token,
                    {"TrackIds": [t["Id"] for t in ram] + spare[:5]})
    check(status == 200 and "Error" not in r, f"carol's collection: an album and 5 more tracks ({status})")
    spare = spare[5:]
    n = len(ram) + 5
    errors = []
    context, page = sign_in_as(browser, server, "carol")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    expect(page.locator("#counts")).to_have_text(f"{n} tracks · 0 playlists")
    expect(page.locator("#list li[data-id]").first).to_be_visible()

    # Delete a track, then Undo by keyboard: the focus is on Undo once the row is gone.
    first = list_titles(page)[0]
    page.get_by_role("button", name=f"Delete {first}", exact=True).click()
    wait_status(page, r"Deleted 1 track")
    expect(page.locator("#undo-text")).to_have_text(f"Deleted “{first}”.")
    undo = page.get_by_role("button", name="Undo", exact=True)
    expect(undo).to_be_focused()
    axe_check(page, "undo message")
    expect(undo).to_be_focused()
    page.screenshot(path=os.path.join(out, "undo.png"))
    page.keyboard.press("Enter")
    wait_status(page, r"Restored 1 track\.")
    expect(page.locator("#undo")).to_be_hidden()
    expect(page.locator("#counts")).to_have_text(f"{n} tracks · 0 playlists")
    expect(page.locator("#list li[data-id] .title").first).to_have_text(first)
    check(True, "Undo (Enter) brought the deleted track back")

    # Delete two with a selection; Undo with the mouse.
    titles = list_titles(page)
    page.get_by_label(f"Select {titles[1]}").check()
    page.get_by_label(f"Select {titles[2]}").check()
    page.get_by_role("button", name="Delete selected (2)").click()
    wait_status(page, r"Deleted 2 tracks")
    expect(page.locator("#undo-text")).to_have_text("Deleted 2 tracks.")
    expect(page.locator("#counts")).to_have_text(f"{n - 2} tracks · 0 playlists")
    undo.click()
    wait_status(page, r"Restored 2 tracks\.")
    expect(page.locator("#counts")).to_have_text(f"{n} tracks · 0 playlists")
    expect(page.locator("#list li[data-id]")).to_have_count(min(n, 25))
    check(list_titles(page) == titles, "Undo brought both tracks back, in their places")

    # Delete a playlist, then Undo: it comes back with its tracks.
    status, r = api(server, "POST", "/1/content/music/collection/playlists/create", token, {
        "Name": "Mix", "TrackActions": [{"Id": ram[0]["Id"], "Action": "Add"}, {"Id": ram[1]["Id"], "Action": "Add"}]})
    check(status == 200, "a playlist of two tracks")
    page.get_by_role("tab", name="Playlists").click()
    page.get_by_role("button", name="Delete playlist Mix").click()
    wait_status(page, r"Playlist deleted")
    expect(page.locator("#undo-text")).to_have_text("Deleted the playlist “Mix”.")
    expect(page.get_by_role("button", name="Open Mix")).to_have_count(0)
    expect(page.locator("#counts")).to_have_text(f"{n} tracks · 0 playlists")
    page.get_by_role("button", name="Undo", exact=True).click()
    wait_status(page, r"Restored 1 playlist\.")
    expect(page.locator("#counts")).to_have_text(f"{n} tracks · 1 playlists")
    page.get_by_role("button", name="Open Mix").click()
    expect(page.locator("#list li[data-id]")).to_have_count(2)
    check(True, "Undo brought the playlist back with its tracks")

    # Drill-down: an album's tracks, in track order; delete one there and undo.
    page.get_by_role("tab", name="Albums").click()
    page.get_by_role("button", name="Open album Random Access Memories").click()
    expect(page.get_by_role("heading", name="Album: Random Access Memories")).to_be_focused()
    expect(page.locator("#list li[data-id]")).to_have_count(len(ram))
    shown = list_titles(page)
    check(all(s.startswith(t["Name"]) for s, t in zip(shown, ram)), f"the album's tracks in track order: {shown[:3]}...")
    axe_check(page, "album's tracks")
    page.get_by_role("button", name=f"Delete {shown[3]}", exact=True).click()
    wait_status(page, r"Deleted 1 track")
    expect(page.locator("#list li[data-id]")).to_have_count(len(ram) - 1)
    page.get_by_role("button", name="Undo", exact=True).click()
    wait_status(page, r"Restored 1 track\.")
    expect(page.locator("#list li[data-id]")).to_have_count(len(ram))
    page.get_by_role("button", name="← All albums").click()
    expect(page.get_by_role("button", name="Open album Random Access Memories")).to_be_focused()
    # From an artist: its albums, then one album's tracks, and back.
    page.get_by_role("tab", name="Artists").click()
    page.get_by_role("button", name="Open artist Daft Punk").click()
    expect(page.get_by_role("heading", name="Artist: Daft Punk")).to_be_visible()
    expect(page.locator("#list li[data-id]")).to_have_count(1)
    axe_check(page, "artist's albums")
    page.get_by_role("button", name="Open album Random Access Memories").click()
    expect(page.get_by_role("heading", name="Album: Random Access Memories")).to_be_visible()
    expect(page.locator("#list li[data-id]")).to_have_count(len(ram))
    page.get_by_role("button", name="← Artist: Daft Punk").click()
    expect(page.get_by_role("heading", name="Artist: Daft Punk")).to_be_visible()
    page.get_by_role("button", name="← All artists").click()
    expect(page.get_by_role("button", name="Open artist Daft Punk")).to_be_focused()
    check(True, "drill-down from an artist to an album's tracks and back")

    # Recently deleted: 20 more tracks, 27 deleted in two calls; newest deletion first,
    # 25 a page, the rest on scrolling.
    more = spare[:20]
    spare = spare[20:]
    status, r = api(server, "POST", "/1/content/music/collection/add", token, {"TrackIds": more})
    added = [x.get("Id") for x in r["TrackActionResults"]]
    check(status == 200 and len(added) == 20 and all(added), "20 more tracks")
    originals = [i for i in all_track_ids(server, token) if i not in added]
    older, newer = added[:18] + originals[:7], added[18:]
    status, _ = api(server, "POST", "/1/content/music/collection/delete", token, {"TrackIds": older})
    check(status == 200, f"{len(older)} tracks deleted")
    time.sleep(0.01)  # DeletedDate counts milliseconds: the second call is the newer one
    status, _ = api(server, "POST", "/1/content/music/collection/delete", token, {"TrackIds": newer})
    deleted_count = len(older) + len(newer)
    check(deleted_count > 25, f"{deleted_count} tracks deleted, more than a page")
    page.get_by_role("tab", name="Recently deleted").click()
    expect(page.get_by_role("heading", name="Recently deleted")).to_be_visible()
    expect(page.locator("#list li[data-id]")).to_have_count(25)
    rows = page.locator("#list li[data-id]")
    check(sorted(rows.nth(i).get_attribute("data-id") for i in range(2)) == sorted(newer),
          "the newest deletion comes first")
    _, d = api(server, "GET", "/1/content/music/collection/deleted/tracks/browse?maxItems=1", token)
    first_deleted = d["Tracks"]["Items"][0]
    when = rows.first.locator("time")
    check(when.get_attribute("datetime") == first_deleted["DeletedDate"], "each row carries its DeletedDate")
    expect(when).to_have_text(re.compile(r"^Deleted \S.*\d"))
    check(not re.search(r"\d{4}-\d\d-\d\dT", when.text_content()), f"the date reads as a date: {when.text_content()!r}")
    axe_check(page, "recently deleted")
    page.screenshot(path=os.path.join(out, "deleted.png"))
    page.locator("#more").scroll_into_view_if_needed()
    expect(page.locator("#list li[data-id]")).to_have_count(deleted_count)
    expect(page.locator("#more")).to_be_hidden()
    check(True, "the next page of deleted tracks came on scrolling")

    # Restore a selection: the rows leave the view; the tracks are back in the collection.
    count_before = n + len(more) - deleted_count
    expect(page.locator("#counts")).to_have_text(f"{count_before} tracks · 1 playlists")
    for i in newer:
        page.locator(f'#list li[data-id="{i}"] input[type=checkbox]').check()
    page.get_by_role("button", name="Restore selected (2)").click()
    wait_status(page, r"Restored 2 tracks\.")
    expect(page.locator("#list li[data-id]")).to_have_count(deleted_count - 2)
    expect(page.locator("#counts")).to_have_text(f"{count_before + 2} tracks · 1 playlists")
    page.get_by_role("tab", name="Tracks").click()
    page.get_by_label("Order by").select_option("CollectionDate")
    expect(page.locator("#list li[data-id]").first).to_be_visible()
    back = set(page.locator("#list li[data-id]").evaluate_all("rows => rows.map(r => r.dataset.id)"))
    check(set(newer) <= back, "the restored tracks are in the collection again")

    # A readable error: an item restored elsewhere in the meantime.
    page.get_by_role("tab", name="Recently deleted").click()
    expect(page.locator("#list li[data-id]")).to_have_count(25)
    gone = page.locator("#list li[data-id]").first
    gone_id = gone.get_attribute("data-id")
    gone_title = gone.locator(".title").text_content()
    status, _ = api(server, "POST", "/1/content/music/collection/restore", token, {"TrackIds": [gone_id]})
    check(status == 200, "restored behind the page's back")
    page.get_by_role("button", name=f"Restore {gone_title}", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(f"“{gone_title}” can no longer be restored")
    check("{" not in page.locator("#error-text").text_content(), "the error is a sentence, not JSON")
    expect(page.locator(f'#list li[data-id="{gone_id}"]')).to_have_count(0)
    page.get_by_role("button", name="Dismiss").click()

    # Deleted playlists: restore one.
    status, r = api(server, "POST", "/1/content/music/collection/playlists/create", token, {"Name": "Old mix"})
    pid = r["PlaylistActionResult"]["Id"]
    status, _ = api(server, "POST", "/1/content/music/collection/playlists/delete", token, {"Id": pid})
    page.get_by_label("Show").select_option("playlists")
    expect(page.locator("#list li[data-id]")).to_have_count(1)
    expect(page.locator("#list li[data-id] .title")).to_have_text("Old mix")
    expect(page.locator("#list li[data-id] time")).to_have_text(re.compile(r"^Deleted "))
    axe_check(page, "recently deleted playlists")
    page.get_by_role("button", name="Restore playlist Old mix").click()
    wait_status(page, r"Restored 1 playlist\.")
    expect(page.locator("#list li.empty")).to_have_text("No recently deleted playlists.")
    page.get_by_role("tab", name="Playlists").click()
    expect(page.get_by_role("button", name="Open Old mix")).to_be_visible()

    # A readable error: an item deleted longer ago than the retention period (30 days).
    page.get_by_role("tab", name="Recently deleted").click()
    page.get_by_label("Show").select_option("tracks")
    expect(page.locator("#list li[data-id]").first).to_be_visible()
    old = page.locator("#list li[data-id]").first
    old_id = old.get_attribute("data-id")
    old_title = old.locator(".title").text_content()
    # 31 days in milliseconds, written out: PostgreSQL would multiply 32-bit integers.
    server.sql("UPDATE deleted_tracks SET deleted_at = deleted_at - 2678400000 "
               "WHERE user_id = (SELECT id FROM users WHERE name = 'carol')")
    page.get_by_role("button", name=f"Restore {old_title}", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(f"“{old_title}” can no longer be restored")
    expect(page.locator(f'#list li[data-id="{old_id}"]')).to_have_count(0)
    page.get_by_role("button", name="Dismiss").click()
    page.get_by_label("Show").select_option("tracks")
    expect(page.locator("#list li.empty")).to_have_text("No recently deleted tracks.")
    check(True, "expired deleted tracks can no longer be restored, and leave the view")
    tracks_now = all_track_ids(server, token)
    status, _ = api(server, "POST", "/1/content/music/collection/delete", token, {"TrackIds": tracks_now[:1]})
    check(status == 200, "one more track deleted")

    # COLLECTION-FULL, readable: fill the collection, then restore a deleted track.
    _, profile = api(server, "GET", "/1/user/music/profile", token)
    room = MAX_TRACKS - profile["Collection"]["TrackCount"]
    status, _ = api(server, "POST", "/1/content/music/collection/add", token, {"TrackIds": spare[:room]})
    page.get_by_role("tab", name="Recently deleted").click()
    page.get_by_label("Show").select_option("tracks")
    expect(page.locator("#list li[data-id]").first).to_be_visible()
    full_title = page.locator("#list li[data-id] .title").first.text_content()
    page.get_by_role("button", name=f"Restore {full_title}", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Your collection is full")
    expect(page.locator("#list li[data-id] .title").first).to_have_text(full_title)
    page.screenshot(path=os.path.join(out, "restore-error.png"))
    page.get_by_role("button", name="Dismiss").click()

    # Phone size: the Recently deleted view and the Undo message fit.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("tab", name="Recently deleted").click()
    expect(page.locator("#list li[data-id]").first).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    check(width <= 390, f"no horizontal scrolling on a phone ({width} px)")
    axe_check(page, "recently deleted, phone")
    page.screenshot(path=os.path.join(out, "deleted-phone.png"))
    page.get_by_role("tab", name="Tracks").click()
    expect(page.locator("#list li[data-id]").first).to_be_visible()
    victim = list_titles(page)[0]
    page.get_by_role("button", name=f"Delete {victim}", exact=True).click()
    expect(page.get_by_role("button", name="Undo", exact=True)).to_be_in_viewport()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    check(width <= 390, f"the Undo message fits a phone ({width} px)")
    page.get_by_role("button", name="Undo", exact=True).click()
    wait_status(page, r"Restored 1 track\.")
    check(not errors, f"no error in the console: {errors}")
    context.close()


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    out = os.path.join(HERE, "out")
    if "--out" in sys.argv:
        out = sys.argv[sys.argv.index("--out") + 1]
    database_url = None
    if "--database-url" in sys.argv:
        database_url = sys.argv[sys.argv.index("--database-url") + 1]
    os.makedirs(out, exist_ok=True)
    server = Server(binary, database_url)
    try:
        for user in ("alice", "carol"):
            server.admin("user", "create", user, "--password", stdin=PASSWORD + "\n")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
            try:
                scenario_page(server, browser, out)
                scenario_remember_me(server, browser)
                scenario_app(server, browser, out)
                scenario_restore_and_drill_down(server, browser, out)
            finally:
                browser.close()
    finally:
        server.stop()
    print(f"browser tests passed; screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

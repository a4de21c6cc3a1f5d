#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/) from the examples of
the Groove documentation: request bodies, IDs, query strings and continuation tokens.

    python3 fuzz/seeds.py /path/to/groove-docs

Each seed is a file named by the SHA-1 of its content, as libFuzzer names what it finds.
"""
import base64, hashlib, hmac, json, os, re, sys

docs = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "groove-docs", "rest-reference")
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
pages = {name: open(os.path.join(docs, name), encoding="utf-8").read() for name in sorted(os.listdir(docs))}


def write(target, seeds, limit=60):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    for seed in sorted(set(seeds))[:limit]:
        data = seed.encode("utf-8")
        if 0 < len(data) <= 4096:
            open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb").write(data)


def request_bodies(page_names):
    """The bodies of the request examples: what follows the headers of a request block."""
    bodies = []
    for name in page_names:
        for block in re.findall(r"```(?:http|json|xml)?\n(.*?)```", pages[name], re.S):
            if not re.match(r"\s*(POST|\{|<)", block):
                continue
            start = min((i for i in (block.find("{"), block.find("<")) if i >= 0), default=-1)
            if start >= 0 and not block.lstrip().startswith(("HTTP/", '{\n  "TrackActionResults')):
                bodies.append(block[start:].strip())
    return bodies


track_pages = ["uri-add-track-collection.md", "uri-delete-track-collection.md", "json-trackactionrequest.md"]
playlist_pages = ["uri-create-playlist.md", "uri-update-playlist.md", "uri-delete-playlist.md",
                  "json-playlistaction.md", "json-trackaction.md"]
track_bodies = [b for b in request_bodies(track_pages) if "TrackIds" in b or "<TrackActionRequest" in b]
playlist_bodies = [b for b in request_bodies(playlist_pages) if "TrackActions" in b or "Name" in b or "<PlaylistAction" in b]
# The XML forms of the same requests, as a client of the XML API sends them.
ns = 'xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/Microsoft.Xbox.Music.Platform.Contract.DataModel"'
for b in list(track_bodies):
    if b.startswith("{"):
        try:
            ids = json.loads(b).get("TrackIds", [])[:3]
        except ValueError:
            continue
        items = "".join(f'<a:string>{i}</a:string>' for i in ids)
        track_bodies.append(f'<TrackActionRequest {ns}><TrackIds xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays">{items}</TrackIds></TrackActionRequest>')
for b in list(playlist_bodies):
    if b.startswith("{"):
        try:
            a = json.loads(b)
        except ValueError:
            continue
        acts = "".join(f'<TrackAction><Action>{t.get("Action", "")}</Action><Id>{t.get("Id", "")}</Id></TrackAction>'
                       for t in a.get("TrackActions") or [])
        name = f'<Name>{a["Name"]}</Name>' if "Name" in a else ""
        pid = f'<Id>{a["Id"]}</Id>' if "Id" in a else ""
        playlist_bodies.append(f'<PlaylistAction {ns}>{pid}{name}<TrackActions>{acts}</TrackActions></PlaylistAction>')
write("track_action_body", track_bodies)
write("playlist_action_body", playlist_bodies)

all_text = "\n".join(pages.values())
ids = set(re.findall(r"music(?:\.(?:playlist|isrc|icpn))?\.[A-Za-z0-9_\-]{8,}", all_text))
write("ids", ids, limit=80)

queries = set(q for q in re.findall(r"(?:GET|POST) /[^\s?]*\?([^\s)]+)", all_text) if "{" not in q)
write("query", queries)

tokens = set(re.findall(r'"ContinuationToken": "([A-Za-z0-9_\-]+)"', all_text))
tokens |= set(re.findall(r"continuationToken=([A-Za-z0-9_\-]+)", all_text))
write("continuation", tokens)

# Bearer tokens: the documentation's (truncated) ones, and JWTs of the shape the server
# issues, signed with the key of the fuzz target (fuzz_targets/bearer_token.rs).
def jwt(header, claims, key=bytes([42] * 32)):
    enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
    signing = f"{enc(header)}.{enc(claims)}"
    sig = base64.urlsafe_b64encode(hmac.new(key, signing.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    return f"{signing}.{sig}"

claims = {"iss": "groove-server", "aud": "groove-api", "sub": "alice", "iat": 1700000000, "exp": 1700003600, "kind": "user"}
bearer = set(re.findall(r"Bearer (eyJ[A-Za-z0-9_\-\[\].]+)", all_text))
bearer |= {
    jwt({"alg": "HS256", "typ": "JWT"}, claims),
    jwt({"alg": "HS256", "typ": "JWT"}, dict(claims, kind="app", sub="myapp")),
    jwt({"alg": "none", "typ": "JWT"}, claims).rsplit(".", 1)[0] + ".",
    jwt({"alg": "RS256", "typ": "JWT", "kid": "k1"}, claims),
}
write("bearer_token", bearer)

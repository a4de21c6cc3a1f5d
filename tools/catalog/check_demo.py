#!/usr/bin/env python3
"""Validate catalog/demo.jsonl.

Run from the repository root:  python3 tools/catalog/check_demo.py [FILE]
Exits non-zero and lists the problems when the file is not valid.
"""
import json
import re
import sys
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "catalog" / "demo.jsonl"

ITEM_ID = re.compile(r"^music\.[0-9A-F]{8}-0100-11DB-89CA-0019B92A3933$")
ARTIST_ID = re.compile(r"^music\.[0-9A-F]{8}-0200-11DB-89CA-0019B92A3933$")
DURATION = re.compile(r"^\d{2}:[0-5]\d:[0-5]\d$")
RELEASE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T00:00:00Z$")

TRACK_FIELDS = ["Id", "Name", "ReleaseDate", "Duration", "TrackNumber", "IsExplicit", "Genres",
                "Subgenres", "Rights", "Subtitle", "Album", "Artists", "ImageUrl", "Link", "OtherIds"]
ALBUM_FIELDS = ["Id", "Name", "ReleaseDate", "Duration", "TrackCount", "IsExplicit", "LabelName",
                "Genres", "Subgenres", "AlbumType", "Subtitle", "Artists", "ImageUrl", "Link", "OtherIds"]
ARTIST_FIELDS = ["Id", "Name", "Biography", "Genres", "Subgenres", "ImageUrl", "Link", "OtherIds"]

# Same namespace as build_demo.py: an artist whose Id is uuid5(ns, "artist/<Name>") is a
# generated (non-docs) artist and may carry only Genres.
ID_NAMESPACE = uuid.UUID("6f1c2d3e-4a5b-5c6d-8e7f-0a1b2c3d4e5f")

# Every catalog-form artist to which the Groove reference gives genres, with those genres
# (Subgenres None: the docs give none).  An artist with a docs ID must carry exactly these,
# or no Genres/Subgenres at all when it is not listed here.
DOCS_ARTIST_GENRES = {
    "music.1F154700-0200-11DB-89CA-0019B92A3933": (["Hip Hop"], ["Contemporary Hip Hop"]),     # Iggy Azalea
    "music.26BA0500-0200-11DB-89CA-0019B92A3933": (["Pop"], ["Dance Pop"]),                    # Miley Cyrus
    "music.2F531400-0200-11DB-89CA-0019B92A3933": (["Electronic / Dance"], ["Dance"]),         # Avicii
    "music.5C780000-0200-11DB-89CA-0019B92A3933": (["Pop"], ["Contemporary Pop"]),             # Stardust
    "music.8E2C0300-0200-11DB-89CA-0019B92A3933": (["Hip Hop"], ["Contemporary Hip Hop"]),     # B.o.B
    "music.8F130500-0200-11DB-89CA-0019B92A3933": (["Electronic / Dance"], ["Dance"]),         # Busy P
    "music.A8CE1000-0200-11DB-89CA-0019B92A3933": (["Country"], ["Traditional Country"]),      # Bob DiPiero
    "music.AC660A00-0200-11DB-89CA-0019B92A3933": (["Rock"], ["Indie / Alternative"]),         # Bob
    "music.C61C0000-0200-11DB-89CA-0019B92A3933": (["Electronic / Dance"], ["Dance"]),         # Daft Punk
    "music.CCB70200-0200-11DB-89CA-0019B92A3933": (["Pop"], None),                             # LCD Soundsystem
    "music.CDBE0000-0200-11DB-89CA-0019B92A3933": (["Alternative"], ["Pop Alternative"]),      # Birdy
    "music.DE0E0000-0200-11DB-89CA-0019B92A3933": (["Jazz"], ["Smooth Jazz"]),                 # Bob James
    "music.E6950200-0200-11DB-89CA-0019B92A3933": (["R&B / Soul"], ["R&B"]),                   # Trey Songz
}
# Artists that must be present with exactly this description (json-artist.md sample).
REQUIRED_ARTISTS = {
    "music.C61C0000-0200-11DB-89CA-0019B92A3933": {
        "Id": "music.C61C0000-0200-11DB-89CA-0019B92A3933",
        "Name": "Daft Punk",
        "Biography": "Daft Punk is a French house music group consisting [...]",
        "Genres": ["Electronic / Dance"],
        "Subgenres": ["Dance"],
        "ImageUrl": "https://musicimage.xboxlive.com/content/music.C61C0000-0200-11DB-89CA-0019B92A3933/image?locale=en-US",
        "Link": "https://music.microsoft.com/Artist/C61C0000-0200-11DB-89CA-0019B92A3933?partnerID=AwesomePartner",
        "OtherIds": {"music.amg": "P   168791"},
    },
}

# ID -> (track name, album ID, main artist name); None means "not checked".
REQUIRED = {
    "music.A83EB907-0100-11DB-89CA-0019B92A3933": ("Get Lucky", "music.B13EB907-0100-11DB-89CA-0019B92A3933", "Daft Punk"),
    "music.873FB507-0100-11DB-89CA-0019B92A3933": (None, "music.833FB507-0100-11DB-89CA-0019B92A3933", "Sexy Sushi"),
    "music.9941BE07-0100-11DB-89CA-0019B92A3933": ("Der Alchemyst", None, "Boris Brejcha"),
    "music.2DEBEA07-0100-11DB-89CA-0019B92A3933": ("Aleph", None, "Gesaffelstein"),
}
RAM_ID = "music.B13EB907-0100-11DB-89CA-0019B92A3933"


class Checker:
    def __init__(self):
        self.errors = []
        self.checks = 0

    def ok(self, cond, msg):
        self.checks += 1
        if not cond:
            self.errors.append(msg)
        return cond


def check_order(c, obj, fields, where):
    keys = list(obj)
    c.ok(all(k in fields for k in keys), "%s: unexpected members %s" % (where, [k for k in keys if k not in fields]))
    c.ok(keys == [f for f in fields if f in obj], "%s: members out of order: %s" % (where, keys))


def no_nulls(value):
    if value is None:
        return False
    if isinstance(value, dict):
        return all(no_nulls(v) for v in value.values())
    if isinstance(value, list):
        return all(no_nulls(v) for v in value)
    return True


def valid_release(c, s, where):
    m = RELEASE.match(s) if isinstance(s, str) else None
    if not c.ok(m is not None, "%s: bad ReleaseDate %r" % (where, s)):
        return
    try:
        date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        c.ok(False, "%s: impossible ReleaseDate %r" % (where, s))


def check_contributors(c, lst, where, allow_featured):
    if not c.ok(isinstance(lst, list) and lst, "%s: Artists missing or empty" % where):
        return
    roles = [x.get("Role") for x in lst if isinstance(x, dict)]
    allowed = ("Main", "Featured") if allow_featured else ("Main",)
    c.ok(all(r in allowed for r in roles), "%s: bad roles %s" % (where, roles))
    c.ok(roles and roles[0] == "Main", "%s: first artist is not Main" % where)
    c.ok(roles == sorted(roles, key=lambda r: r != "Main"), "%s: Main artists must come first" % where)
    for x in lst:
        a = x.get("Artist") if isinstance(x, dict) else None
        if c.ok(isinstance(a, dict) and list(a)[:2] == ["Id", "Name"], "%s: bad Artist object %r" % (where, a)):
            check_artist(c, a, where)


def is_generated_artist(a):
    name = a.get("Name")
    if not isinstance(name, str):
        return False
    u = uuid.uuid5(ID_NAMESPACE, "artist/" + name)
    return a.get("Id") == "music." + u.hex[:8].upper() + "-0200-11DB-89CA-0019B92A3933"


def check_artist(c, a, where):
    where = "%s Artist %s" % (where, a.get("Id"))
    check_order(c, a, ARTIST_FIELDS, where)
    c.ok(isinstance(a["Id"], str) and bool(ARTIST_ID.match(a["Id"])), "%s: bad artist Id" % where)
    c.ok(isinstance(a["Name"], str) and a["Name"].strip() != "", "%s: empty artist name" % where)
    if "Biography" in a:
        c.ok(isinstance(a["Biography"], str) and a["Biography"].strip() != "", "%s: bad Biography" % where)
    for f in ("Genres", "Subgenres"):
        if f in a:
            c.ok(isinstance(a[f], list) and a[f] and all(isinstance(x, str) and x for x in a[f]),
                 "%s: bad %s" % (where, f))
    guid = a["Id"][len("music."):] if isinstance(a["Id"], str) else ""
    if "ImageUrl" in a:
        c.ok(isinstance(a["ImageUrl"], str) and a["ImageUrl"].lower().startswith("https://")
             and ("/content/music.%s/image" % guid).lower() in a["ImageUrl"].lower(),
             "%s: ImageUrl is not this artist's image: %r" % (where, a["ImageUrl"]))
    if "Link" in a:
        c.ok(isinstance(a["Link"], str) and a["Link"].lower().startswith("https://")
             and "/artist/" in a["Link"].lower() and guid.lower() in a["Link"].lower(),
             "%s: Link is not this artist's link: %r" % (where, a["Link"]))
    if "OtherIds" in a:
        o = a["OtherIds"]
        c.ok(isinstance(o, dict) and o and all(isinstance(k, str) and k and isinstance(v, str) and v
                                               for k, v in o.items()), "%s: bad OtherIds" % where)
    if is_generated_artist(a):
        extra = [f for f in ("Biography", "Subgenres", "ImageUrl", "Link", "OtherIds") if f in a]
        c.ok(not extra, "%s: generated (non-docs) artist carries %s" % (where, extra))
    else:
        genres, sub = DOCS_ARTIST_GENRES.get(a["Id"], (None, None))
        c.ok(a.get("Genres") == genres and a.get("Subgenres") == sub,
             "%s: docs artist has Genres %r / Subgenres %r, the docs give %r / %r"
             % (where, a.get("Genres"), a.get("Subgenres"), genres, sub))


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    c = Checker()
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        print("not UTF-8: %s" % e)
        return 1
    c.ok(text.endswith("\n"), "file does not end with a newline")
    c.ok("\ufffd" not in text, "file contains U+FFFD replacement characters")
    lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")

    tracks = []
    for n, line in enumerate(lines, 1):
        where = "line %d" % n
        try:
            t = json.loads(line)
        except json.JSONDecodeError as e:
            c.ok(False, "%s: not JSON: %s" % (where, e))
            continue
        if not c.ok(isinstance(t, dict), "%s: not an object" % where):
            continue
        c.ok(json.dumps(t, ensure_ascii=False, separators=(",", ":")) == line,
             "%s: not in compact form (separators, escaping)" % where)
        c.ok(no_nulls(t), "%s: contains null" % where)
        check_order(c, t, TRACK_FIELDS, where)
        where = "line %d (%s)" % (n, t.get("Id"))
        for f in ("Id", "Name", "ReleaseDate", "Duration", "TrackNumber", "Album", "Artists"):
            c.ok(f in t, "%s: missing %s" % (where, f))
        c.ok(isinstance(t.get("Id"), str) and bool(ITEM_ID.match(t["Id"])), "%s: bad track Id" % where)
        c.ok(isinstance(t.get("Name"), str) and t["Name"].strip() != "", "%s: empty Name" % where)
        valid_release(c, t.get("ReleaseDate"), where)
        c.ok(isinstance(t.get("Duration"), str) and bool(DURATION.match(t["Duration"])) and t["Duration"] != "00:00:00",
             "%s: bad Duration %r" % (where, t.get("Duration")))
        tn = t.get("TrackNumber")
        c.ok(isinstance(tn, int) and not isinstance(tn, bool) and tn >= 1, "%s: bad TrackNumber %r" % (where, tn))
        if "IsExplicit" in t:
            c.ok(isinstance(t["IsExplicit"], bool), "%s: IsExplicit is not a boolean" % where)
        for f in ("Genres", "Subgenres", "Rights"):
            if f in t:
                c.ok(isinstance(t[f], list) and all(isinstance(x, str) and x for x in t[f]), "%s: bad %s" % (where, f))
        check_contributors(c, t.get("Artists"), where, allow_featured=True)
        a = t.get("Album")
        if c.ok(isinstance(a, dict), "%s: Album is not an object" % where):
            check_order(c, a, ALBUM_FIELDS, where + " Album")
            c.ok(isinstance(a.get("Id"), str) and bool(ITEM_ID.match(a["Id"])), "%s: bad Album.Id" % where)
            c.ok(isinstance(a.get("Name"), str) and a["Name"].strip() != "", "%s: missing Album.Name" % where)
            if "ReleaseDate" in a:
                valid_release(c, a["ReleaseDate"], where + " Album")
            if "Duration" in a:
                c.ok(bool(DURATION.match(a["Duration"])), "%s: bad Album.Duration" % where)
            if "TrackCount" in a:
                c.ok(isinstance(a["TrackCount"], int) and a["TrackCount"] >= 1, "%s: bad Album.TrackCount" % where)
            check_contributors(c, a.get("Artists"), where + " Album", allow_featured=False)
        tracks.append(t)

    # Cross-line checks
    ids = [t.get("Id") for t in tracks]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    c.ok(not dup, "duplicate track IDs: %s" % dup)
    albums = {}
    for t in tracks:
        a = t.get("Album")
        if isinstance(a, dict):
            albums.setdefault(a.get("Id"), []).append(t)
    c.ok(not (set(ids) & set(albums)), "IDs used both as track and album: %s" % sorted(set(ids) & set(albums)))
    for aid, members in albums.items():
        first = json.dumps(members[0]["Album"], sort_keys=False, ensure_ascii=False)
        c.ok(all(json.dumps(m["Album"], ensure_ascii=False) == first for m in members),
             "album %s: Album object differs between its tracks" % aid)
        nums = [m.get("TrackNumber") for m in members]
        c.ok(len(nums) == len(set(nums)), "album %s: duplicate track numbers %s" % (aid, sorted(nums)))
        tc = members[0]["Album"].get("TrackCount")
        if tc is not None:
            c.ok(len(members) <= tc and max(nums) <= tc,
                 "album %s: %d tracks / max number %s exceed TrackCount %d" % (aid, len(members), max(nums), tc))
    names = {}
    forms = {}
    for t in tracks:
        contribs = list(t.get("Artists") or []) + list((t.get("Album") or {}).get("Artists") or [])
        for x in contribs:
            a = x.get("Artist") or {}
            names.setdefault(a.get("Id"), set()).add(a.get("Name"))
            forms.setdefault(a.get("Id"), set()).add(json.dumps(a, ensure_ascii=False))
    clash = {k: v for k, v in names.items() if len(v) > 1}
    c.ok(not clash, "artist IDs with several names: %s" % clash)
    for aid, variants in sorted(forms.items(), key=lambda x: str(x[0])):
        c.ok(len(variants) == 1, "artist %s is described differently on different lines: %s"
             % (aid, sorted(variants)))
    for aid, want in REQUIRED_ARTISTS.items():
        got = [json.loads(v) for v in forms.get(aid, ())]
        if c.ok(bool(got), "required artist %s is missing" % aid):
            c.ok(all(g == want and list(g) == list(want) for g in got),
                 "required artist %s: %s, expected %s" % (aid, got, want))
    c.ok(not (set(names) & (set(ids) | set(albums))), "artist IDs reused as track/album IDs")
    keys = [((t.get("Album") or {}).get("Id") or "", t.get("TrackNumber") or 0) for t in tracks]
    c.ok(keys == sorted(keys), "lines are not sorted by album Id then TrackNumber")

    by_id = {t.get("Id"): t for t in tracks}
    for tid, (name, album, artist) in REQUIRED.items():
        t = by_id.get(tid)
        if not c.ok(t is not None, "required track %s is missing" % tid):
            continue
        if name:
            c.ok(t["Name"] == name, "required track %s: name %r, expected %r" % (tid, t["Name"], name))
        if album:
            c.ok(t["Album"]["Id"] == album, "required track %s: album %s, expected %s" % (tid, t["Album"]["Id"], album))
        mains = [x["Artist"]["Name"] for x in t["Artists"] if x["Role"] == "Main"]
        c.ok(artist in mains, "required track %s: main artists %s, expected %s" % (tid, mains, artist))
    ram = albums.get(RAM_ID, [])
    c.ok(sorted(t["TrackNumber"] for t in ram) == list(range(1, 14)),
         "Random Access Memories does not have tracks 1-13")

    artist_ids = set(names)
    detailed = sum(1 for v in forms.values() if len(json.loads(next(iter(v)))) > 2)
    print("%s: %d tracks, %d albums, %d artists (%d with more than Id and Name)"
          % (path, len(tracks), len(albums), len(artist_ids), detailed))
    for e in c.errors[:200]:
        print("FAIL: " + e)
    if len(c.errors) > 200:
        print("... %d more" % (len(c.errors) - 200))
    print("%d passed, %d failed" % (c.checks - len(c.errors), len(c.errors)))
    return 1 if c.errors else 0


if __name__ == "__main__":
    sys.exit(main())

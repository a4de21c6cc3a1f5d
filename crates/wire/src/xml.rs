//! The XML form of the wire objects, in the DataContract style of
//! `uri-add-track-collection.md` and `uri-content-lookup.md`.
//!
//! Output: default namespace [`PLATFORM_NS`], no XML declaration, members ordered as
//! `DataContractSerializer` orders them: the base type's members first, then each derived
//! type's, each group alphabetical (class hierarchy of the .NET SDK: `Content` then
//! `TrackContainer` then `Album`, `ActionResult` then `TrackActionResult`, ...).
//! Lists with a collection contract use their item names (`<Genres><Genre>`,
//! `<Rights><Right>`, `<OtherIds><OtherId><Namespace/><Id/></OtherId>`).
//!
//! Input: a small, bounded tree reader over quick-xml that accepts the service's namespace
//! and the SDK's ([`SDK_NS`]), string arrays in [`ARRAYS_NS`] (`<d2p1:string>`) or as the
//! SDK's `<TrackId>` items, and `i:nil="true"`. DTDs and unknown entities are refused.

use crate::duration::Duration;
use crate::error::{Error, ErrorResponse};
use crate::model::{
    Album, Artist, CollectionState, Content, ContentResponse, ContentSource, Contributor, OtherIds,
    PaginatedList, Playlist, PlaylistAction, PlaylistActionResponse, PlaylistActionResult, Track,
    TrackAction, TrackActionRequest, TrackActionResponse, TrackActionResult, UserProfileResponse,
};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// The service's namespace, used on output and accepted on input.
pub const PLATFORM_NS: &str = "http://schemas.microsoft.com/xboxmusic/2013/10/platform";
/// The .NET SDK's namespace (`Constants.Xmlns`), accepted on input.
pub const SDK_NS: &str = "http://schemas.microsoft.com/groovemusic/2016/09/api";
/// Namespace of `string` items of a plain `List<string>`.
pub const ARRAYS_NS: &str = "http://schemas.microsoft.com/2003/10/Serialization/Arrays";
/// XML Schema instance namespace (`i:nil`).
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Builds XML text. Element names are static identifiers; text is escaped.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    pub fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// An element of text. A character XML 1.0 cannot carry (`crate::text`; stored before
    /// such text was refused on input, or imported) is written as U+FFFD, the replacement
    /// character, so that the document stays well-formed.
    pub fn text(&mut self, name: &str, value: &str) {
        self.open(name);
        if value.chars().all(crate::text::is_xml_char) {
            self.out.push_str(&quick_xml::escape::escape(value));
        } else {
            let replaced: String =
                value.chars().map(|c| if crate::text::is_xml_char(c) { c } else { '\u{FFFD}' }).collect();
            self.out.push_str(&quick_xml::escape::escape(&replaced));
        }
        self.close(name);
    }

    pub fn opt_text(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.text(name, v);
        }
    }

    pub fn opt_display(&mut self, name: &str, value: Option<impl std::fmt::Display>) {
        if let Some(v) = value {
            self.text(name, &v.to_string());
        }
    }

    pub fn opt_bool(&mut self, name: &str, value: Option<bool>) {
        if let Some(v) = value {
            self.text(name, if v { "true" } else { "false" });
        }
    }

    pub fn opt_duration(&mut self, name: &str, value: Option<Duration>) {
        if let Some(v) = value {
            self.text(name, &v.to_xs_duration());
        }
    }

    /// A list with a collection contract: `<Genres><Genre>Pop</Genre></Genres>`.
    pub fn opt_string_list(&mut self, name: &str, item: &str, values: Option<&[String]>) {
        if let Some(values) = values {
            self.open(name);
            for v in values {
                self.text(item, v);
            }
            self.close(name);
        }
    }

    pub fn opt_element<T: XmlWrite>(&mut self, name: &str, value: Option<&T>) {
        if let Some(v) = value {
            v.write_element(self, name);
        }
    }

    /// A list of objects, each item named after its type: `<Items><Track>...</Track></Items>`.
    pub fn list<T: XmlWrite>(&mut self, name: &str, values: &[T]) {
        self.open(name);
        for v in values {
            v.write_element(self, T::TYPE_NAME);
        }
        self.close(name);
    }

    pub fn opt_list<T: XmlWrite>(&mut self, name: &str, values: Option<&[T]>) {
        if let Some(values) = values {
            self.list(name, values);
        }
    }

    pub fn into_string(self) -> String {
        self.out
    }
}

/// An object with a DataContract XML form.
pub trait XmlWrite {
    /// The element name of an item of this type in a list.
    const TYPE_NAME: &'static str;

    /// Writes the members, in DataContract order.
    fn write_members(&self, w: &mut XmlWriter);

    fn write_element(&self, w: &mut XmlWriter, name: &str) {
        w.open(name);
        self.write_members(w);
        w.close(name);
    }
}

/// A whole XML document with `value` as its root element, named `root`.
pub fn to_document<T: XmlWrite>(root: &str, value: &T) -> String {
    let mut w = XmlWriter::default();
    w.out.push('<');
    w.out.push_str(root);
    w.out.push_str(" xmlns:i=\"");
    w.out.push_str(XSI_NS);
    w.out.push_str("\" xmlns=\"");
    w.out.push_str(PLATFORM_NS);
    w.out.push_str("\">");
    value.write_members(&mut w);
    w.close(root);
    w.into_string()
}

impl XmlWrite for Error {
    const TYPE_NAME: &'static str = "Error";
    fn write_members(&self, w: &mut XmlWriter) {
        w.text("Description", self.description);
        w.text("ErrorCode", self.error_code);
        w.opt_text("Message", self.message.as_deref());
    }
}

impl XmlWrite for ErrorResponse {
    const TYPE_NAME: &'static str = "ErrorResponse";
    fn write_members(&self, w: &mut XmlWriter) {
        self.error.write_element(w, "Error");
    }
}

impl XmlWrite for TrackActionResult {
    const TYPE_NAME: &'static str = "TrackActionResult";
    fn write_members(&self, w: &mut XmlWriter) {
        // ActionResult, then TrackActionResult.
        w.opt_element("Error", self.error.as_ref());
        w.opt_text("Id", self.id.as_deref());
        w.text("InputId", &self.input_id);
    }
}

impl XmlWrite for TrackActionResponse {
    const TYPE_NAME: &'static str = "TrackActionResponse";
    fn write_members(&self, w: &mut XmlWriter) {
        w.opt_element("Error", self.error.as_ref());
        w.list("TrackActionResults", &self.track_action_results);
    }
}

fn write_other_ids(w: &mut XmlWriter, ids: Option<&OtherIds>) {
    if let Some(ids) = ids {
        w.open("OtherIds");
        for (ns, id) in &ids.0 {
            w.open("OtherId");
            w.text("Namespace", ns);
            w.text("Id", id);
            w.close("OtherId");
        }
        w.close("OtherIds");
    }
}

/// `Content`'s members, alphabetical.
fn write_content(w: &mut XmlWriter, c: &Content) {
    w.opt_text("CompatibleSources", c.compatible_sources.as_deref());
    w.opt_text("Id", c.id.as_deref());
    w.opt_text("ImageUrl", c.image_url.as_deref().map(crate::image_url::absolute).as_deref());
    w.opt_text("Link", c.link.as_deref());
    w.opt_text("Name", c.name.as_deref());
    write_other_ids(w, c.other_ids.as_ref());
    w.opt_text("Source", c.source.map(ContentSource::as_str));
}

impl XmlWrite for Contributor {
    const TYPE_NAME: &'static str = "Contributor";
    fn write_members(&self, w: &mut XmlWriter) {
        self.artist.write_element(w, "Artist");
        w.text("Role", &self.role);
    }
}

impl XmlWrite for Artist {
    const TYPE_NAME: &'static str = "Artist";
    fn write_members(&self, w: &mut XmlWriter) {
        write_content(w, &self.content);
        w.opt_element("Albums", self.albums.as_ref());
        w.opt_text("Biography", self.biography.as_deref());
        w.opt_string_list("Genres", "Genre", self.genres.as_deref());
        w.opt_string_list("Subgenres", "Genre", self.subgenres.as_deref());
        w.opt_element("TopTracks", self.top_tracks.as_ref());
    }
}

impl XmlWrite for Album {
    const TYPE_NAME: &'static str = "Album";
    fn write_members(&self, w: &mut XmlWriter) {
        write_content(w, &self.content);
        // TrackContainer
        w.opt_duration("Duration", self.duration);
        w.opt_display("TrackCount", self.track_count);
        w.opt_element("Tracks", self.tracks.as_ref());
        // Album
        w.opt_text("AlbumType", self.album_type.as_deref());
        w.opt_list("Artists", self.artists.as_deref());
        w.opt_string_list("Genres", "Genre", self.genres.as_deref());
        w.opt_bool("IsExplicit", self.is_explicit);
        w.opt_text("LabelName", self.label_name.as_deref());
        w.opt_text("ReleaseDate", self.release_date.as_deref());
        w.opt_string_list("Subgenres", "Genre", self.subgenres.as_deref());
        w.opt_text("Subtitle", self.subtitle.as_deref());
    }
}

impl XmlWrite for Track {
    const TYPE_NAME: &'static str = "Track";
    fn write_members(&self, w: &mut XmlWriter) {
        write_content(w, &self.content);
        w.opt_element("Album", self.album.as_deref());
        w.opt_list("Artists", self.artists.as_deref());
        w.opt_duration("Duration", self.duration);
        w.opt_string_list("Genres", "Genre", self.genres.as_deref());
        w.opt_bool("IsExplicit", self.is_explicit);
        w.opt_text("ReleaseDate", self.release_date.as_deref());
        w.opt_string_list("Rights", "Right", self.rights.as_deref());
        w.opt_string_list("Subgenres", "Genre", self.subgenres.as_deref());
        w.opt_text("Subtitle", self.subtitle.as_deref());
        w.opt_display("TrackNumber", self.track_number);
    }
}

impl<T: XmlWrite> XmlWrite for PaginatedList<T> {
    const TYPE_NAME: &'static str = "PaginatedList";
    fn write_members(&self, w: &mut XmlWriter) {
        w.opt_text("ContinuationToken", self.continuation_token.as_deref());
        w.list("Items", &self.items);
        w.opt_display("TotalItemCount", self.total_item_count);
    }
}

impl XmlWrite for Playlist {
    const TYPE_NAME: &'static str = "Playlist";
    fn write_members(&self, w: &mut XmlWriter) {
        write_content(w, &self.content);
        // TrackContainer
        w.opt_duration("Duration", self.duration);
        w.opt_display("TrackCount", self.track_count);
        w.opt_element("Tracks", self.tracks.as_ref());
        // Playlist
        w.opt_text("CollectionStateToken", self.collection_state_token.as_deref());
        w.opt_text("Description", self.description.as_deref());
        w.opt_bool("IsPublished", self.is_published);
        w.opt_bool("IsReadOnly", self.is_read_only);
        w.opt_bool("UserIsOwner", self.user_is_owner);
    }
}

impl XmlWrite for ContentResponse {
    const TYPE_NAME: &'static str = "ContentResponse";
    fn write_members(&self, w: &mut XmlWriter) {
        w.opt_element("Error", self.error.as_ref());
        w.opt_element("Albums", self.albums.as_ref());
        w.opt_element("Artists", self.artists.as_ref());
        w.opt_text("Culture", self.culture.as_deref());
        w.opt_element("Playlists", self.playlists.as_ref());
        w.opt_element("Tracks", self.tracks.as_ref());
    }
}

impl XmlWrite for PlaylistActionResult {
    const TYPE_NAME: &'static str = "PlaylistActionResult";
    fn write_members(&self, w: &mut XmlWriter) {
        w.text("Id", &self.id);
        w.opt_bool("IsPublished", self.is_published);
        w.opt_bool("IsReadOnly", self.is_read_only);
        w.opt_text("Name", self.name.as_deref());
        w.opt_list("TrackActionResults", self.track_action_results.as_deref());
    }
}

impl XmlWrite for PlaylistActionResponse {
    const TYPE_NAME: &'static str = "PlaylistActionResponse";
    fn write_members(&self, w: &mut XmlWriter) {
        w.opt_element("Error", self.error.as_ref());
        w.opt_element("PlaylistActionResult", self.playlist_action_result.as_ref());
    }
}

impl XmlWrite for CollectionState {
    const TYPE_NAME: &'static str = "CollectionState";
    fn write_members(&self, w: &mut XmlWriter) {
        let nonzero = |n: i32| (n != 0).then_some(n);
        w.opt_display("PlaylistCount", nonzero(self.playlist_count));
        w.opt_display("RemainingPlaylistCount", nonzero(self.remaining_playlist_count));
        w.opt_display("RemainingTrackCount", nonzero(self.remaining_track_count));
        w.opt_text("Token", self.token.as_deref());
        w.opt_display("TrackCount", nonzero(self.track_count));
    }
}

impl XmlWrite for UserProfileResponse {
    const TYPE_NAME: &'static str = "UserProfileResponse";
    fn write_members(&self, w: &mut XmlWriter) {
        w.opt_element("Error", self.error.as_ref());
        w.opt_element("Collection", self.collection.as_ref());
        w.opt_text("Culture", self.culture.as_deref());
        w.opt_bool("HasSubscription", self.has_subscription);
        w.opt_bool("IsSubscriptionAvailableForPurchase", Some(self.is_subscription_available_for_purchase));
    }
}

// ---------------------------------------------------------------------------------------
// Input

/// Why an XML body was refused. The message is meant for the client's developer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct XmlInputError(pub String);

fn err(msg: impl Into<String>) -> XmlInputError {
    XmlInputError(msg.into())
}

/// Bounds on what the reader accepts, whatever the size of the body.
const MAX_DEPTH: usize = 32;
const MAX_ELEMENTS: usize = 20_000;

/// One element of a parsed body.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct XmlElement {
    pub namespace: Option<String>,
    pub name: String,
    /// `i:nil="true"`.
    pub nil: bool,
    pub text: String,
    pub children: Vec<XmlElement>,
}

impl XmlElement {
    fn in_ns(&self, namespaces: &[&str]) -> bool {
        self.namespace.as_deref().is_some_and(|ns| namespaces.contains(&ns))
    }

    fn is_contract(&self, name: &str) -> bool {
        self.name == name && self.in_ns(&[PLATFORM_NS, SDK_NS])
    }
}

/// Parses a whole document into a tree, within [`MAX_DEPTH`] and [`MAX_ELEMENTS`].
pub fn parse_document(input: &[u8]) -> Result<XmlElement, XmlInputError> {
    let text = std::str::from_utf8(input).map_err(|_| err("the XML body is not UTF-8"))?;
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<XmlElement> = Vec::new();
    let mut elements = 0usize;
    let mut root: Option<XmlElement> = None;
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| err(format!("malformed XML: {e}")))?;
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                if root.is_some() {
                    return Err(err("malformed XML: content after the root element"));
                }
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(err(format!("the XML body has more than {MAX_ELEMENTS} elements")));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(err(format!("the XML body is nested deeper than {MAX_DEPTH} levels")));
                }
                let namespace = match ns {
                    ResolveResult::Bound(n) => Some(String::from_utf8_lossy(n.as_ref()).into_owned()),
                    ResolveResult::Unbound => None,
                    ResolveResult::Unknown(p) => {
                        return Err(err(format!(
                            "undeclared namespace prefix {:?}",
                            String::from_utf8_lossy(&p)
                        )));
                    }
                };
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                let mut nil = false;
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| err(format!("malformed XML attribute: {e}")))?;
                    let (attr_ns, local) = reader.resolve_attribute(attr.key);
                    if local.as_ref() == b"nil"
                        && matches!(attr_ns, ResolveResult::Bound(n) if n.as_ref() == XSI_NS.as_bytes())
                    {
                        nil = attr.value.as_ref() == b"true";
                    }
                }
                let element = XmlElement { namespace, name, nil, ..XmlElement::default() };
                if matches!(event, Event::Empty(_)) {
                    attach(&mut stack, &mut root, element);
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or_else(|| err("malformed XML: unbalanced end tag"))?;
                attach(&mut stack, &mut root, element);
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| err(format!("malformed XML text: {e}")))?;
                push_text(&mut stack, &s)?;
            }
            Event::CData(t) => {
                let s = t.decode().map_err(|e| err(format!("malformed XML text: {e}")))?;
                push_text(&mut stack, &s)?;
            }
            Event::GeneralRef(r) => {
                let resolved = if let Some(c) =
                    r.resolve_char_ref().map_err(|e| err(format!("malformed character reference: {e}")))?
                {
                    c.to_string()
                } else {
                    let name = r.decode().map_err(|e| err(format!("malformed entity reference: {e}")))?;
                    quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| err(format!("unknown entity &{name};")))?
                        .to_owned()
                };
                push_text(&mut stack, &resolved)?;
            }
            Event::DocType(_) => return Err(err("DTDs are not accepted")),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(err("malformed XML: unclosed element"));
    }
    root.ok_or_else(|| err("the XML body has no root element"))
}

fn attach(stack: &mut [XmlElement], root: &mut Option<XmlElement>, element: XmlElement) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

fn push_text(stack: &mut [XmlElement], s: &str) -> Result<(), XmlInputError> {
    match stack.last_mut() {
        Some(e) => {
            e.text.push_str(s);
            Ok(())
        }
        None if s.trim().is_empty() => Ok(()),
        None => Err(err("malformed XML: text outside the root element")),
    }
}

fn expect_root(root: &XmlElement, name: &str) -> Result<(), XmlInputError> {
    if root.is_contract(name) {
        Ok(())
    } else {
        Err(err(format!(
            "expected a <{name}> root element in namespace {PLATFORM_NS} or {SDK_NS}, found <{}>{}",
            root.name,
            root.namespace.as_deref().map(|n| format!(" in namespace {n}")).unwrap_or_default()
        )))
    }
}

/// The items of a string list: `<d2p1:string>` (plain `List<string>`) or `<TrackId>`
/// (the SDK's `TrackIdList`).
fn string_items(list: &XmlElement, item_name: &str) -> Result<Vec<String>, XmlInputError> {
    list.children
        .iter()
        .map(|item| {
            let arrays = item.name == "string" && item.in_ns(&[ARRAYS_NS]);
            if arrays || item.is_contract(item_name) {
                Ok(item.text.trim().to_owned())
            } else {
                Err(err(format!("unexpected <{}> in <{}>", item.name, list.name)))
            }
        })
        .collect()
}

impl TrackActionRequest {
    /// Reads the XML form of `uri-add-track-collection.md`.
    pub fn from_xml(input: &[u8]) -> Result<Self, XmlInputError> {
        let root = parse_document(input)?;
        expect_root(&root, "TrackActionRequest")?;
        let mut req = TrackActionRequest::default();
        for child in &root.children {
            if child.nil {
                continue;
            }
            if child.is_contract("TrackIds") {
                req.track_ids = Some(string_items(child, "TrackId")?);
            } else if child.is_contract("CollectionStateToken") {
                req.collection_state_token = Some(child.text.trim().to_owned());
            }
        }
        Ok(req)
    }
}

fn parse_bool(e: &XmlElement) -> Result<bool, XmlInputError> {
    match e.text.trim() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(err(format!("<{}> must be true or false, not {other:?}", e.name))),
    }
}

impl PlaylistAction {
    /// Reads the XML form of `json-playlistaction.md`.
    pub fn from_xml(input: &[u8]) -> Result<Self, XmlInputError> {
        let root = parse_document(input)?;
        expect_root(&root, "PlaylistAction")?;
        let mut req = PlaylistAction::default();
        let text = |e: &XmlElement| Some(e.text.trim().to_owned());
        for child in root.children.iter().filter(|c| !c.nil) {
            match child.name.as_str() {
                _ if !child.in_ns(&[PLATFORM_NS, SDK_NS]) => {}
                "Id" => req.id = text(child),
                "CollectionStateToken" => req.collection_state_token = text(child),
                "Name" => req.name = Some(child.text.clone()),
                "IsPublished" => req.is_published = Some(parse_bool(child)?),
                "IsReadOnly" => req.is_read_only = Some(parse_bool(child)?),
                "InsertBeforeTrackId" => req.insert_before_track_id = text(child),
                "TrackActions" => {
                    let mut actions = Vec::new();
                    for item in &child.children {
                        if !item.is_contract("TrackAction") {
                            return Err(err(format!("unexpected <{}> in <TrackActions>", item.name)));
                        }
                        let mut action = TrackAction::default();
                        for m in item.children.iter().filter(|m| m.in_ns(&[PLATFORM_NS, SDK_NS]) && !m.nil) {
                            match m.name.as_str() {
                                "Id" => action.id = text(m),
                                "Action" => action.action = text(m),
                                _ => {}
                            }
                        }
                        actions.push(action);
                    }
                    req.track_actions = Some(actions);
                }
                _ => {}
            }
        }
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorCode, ErrorStyle};

    #[test]
    fn reads_a_playlist_action() {
        let doc = r#"<PlaylistAction xmlns="http://schemas.microsoft.com/groovemusic/2016/09/api"><Id>music.playlist.56c99764-800a-00fe-552f-ee11db9370d1</Id><IsPublished>false</IsPublished><Name> Mix </Name><TrackActions><TrackAction><Action>Delete</Action><Id>music.AQQfj</Id></TrackAction><TrackAction><Action>Add</Action><Id>music.2DEBEA07-0100-11DB-89CA-0019B92A3933</Id></TrackAction></TrackActions></PlaylistAction>"#;
        let a = PlaylistAction::from_xml(doc.as_bytes()).unwrap();
        assert_eq!(a.id.as_deref(), Some("music.playlist.56c99764-800a-00fe-552f-ee11db9370d1"));
        assert_eq!(a.name.as_deref(), Some(" Mix "));
        assert_eq!(a.is_published, Some(false));
        let actions = a.track_actions.unwrap();
        assert_eq!(actions[0].action.as_deref(), Some("Delete"));
        assert_eq!(actions[1].id.as_deref(), Some("music.2DEBEA07-0100-11DB-89CA-0019B92A3933"));
        let bad = r#"<PlaylistAction xmlns="http://schemas.microsoft.com/groovemusic/2016/09/api"><IsPublished>maybe</IsPublished></PlaylistAction>"#;
        assert!(PlaylistAction::from_xml(bad.as_bytes()).is_err());
    }

    #[test]
    fn characters_xml_cannot_carry_are_written_as_the_replacement_character() {
        let resp = PlaylistActionResponse {
            playlist_action_result: Some(PlaylistActionResult {
                id: "music.playlist.72d0fb33-8027-00fe-746f-abe4d8374ad1".into(),
                name: Some("a\u{0}b\u{1}\u{1F}c\u{FFFE}\u{FFFF}d\te\u{10000}<&".into()),
                ..PlaylistActionResult::default()
            }),
            error: None,
        };
        let doc = to_document("PlaylistActionResponse", &resp);
        assert!(
            doc.contains("<Name>a\u{FFFD}b\u{FFFD}\u{FFFD}c\u{FFFD}\u{FFFD}d\te\u{10000}&lt;&amp;</Name>"),
            "{doc}"
        );
        assert!(doc.chars().all(crate::text::is_xml_char), "{doc:?}");
        // A conforming parser reads the document.
        let mut reader = quick_xml::Reader::from_str(&doc);
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => break,
                Ok(Event::Text(t)) => assert!(t.decode().is_ok()),
                Ok(_) => {}
                Err(e) => panic!("{e}: {doc}"),
            }
        }
    }

    #[test]
    fn playlist_action_response_in_both_forms() {
        let resp = PlaylistActionResponse {
            playlist_action_result: Some(PlaylistActionResult {
                id: "music.playlist.72d0fb33-8027-00fe-746f-abe4d8374ad1".into(),
                name: Some("Groove is awesome".into()),
                is_published: Some(false),
                ..PlaylistActionResult::default()
            }),
            error: None,
        };
        // uri-create-playlist.md, "Create a playlist without tracks", compacted.
        assert_eq!(
            serde_json::to_string(&resp).unwrap(),
            r#"{"PlaylistActionResult":{"Id":"music.playlist.72d0fb33-8027-00fe-746f-abe4d8374ad1","Name":"Groove is awesome","IsPublished":false}}"#
        );
        assert!(to_document("PlaylistActionResponse", &resp).ends_with(
            "<PlaylistActionResult><Id>music.playlist.72d0fb33-8027-00fe-746f-abe4d8374ad1</Id><IsPublished>false</IsPublished><Name>Groove is awesome</Name></PlaylistActionResult></PlaylistActionResponse>"
        ));
    }
    use crate::model::ContentSource;

    #[test]
    fn track_action_response_matches_uri_add_track_collection_md() {
        let resp = TrackActionResponse {
            track_action_results: vec![TrackActionResult {
                input_id: "music.873FB507-0100-11DB-89CA-0019B92A3933".into(),
                id: Some("music.AQQfuiqlXWaDzk-j0Ht9qB6EWwe1P4cAAQ".into()),
                error: None,
            }],
            error: None,
        };
        // The documented response, without its indentation.
        let expected = concat!(
            r#"<TrackActionResponse xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/xboxmusic/2013/10/platform">"#,
            "<TrackActionResults><TrackActionResult>",
            "<Id>music.AQQfuiqlXWaDzk-j0Ht9qB6EWwe1P4cAAQ</Id>",
            "<InputId>music.873FB507-0100-11DB-89CA-0019B92A3933</InputId>",
            "</TrackActionResult></TrackActionResults></TrackActionResponse>"
        );
        assert_eq!(to_document("TrackActionResponse", &resp), expected);
    }

    #[test]
    fn errors_are_ordered_alphabetically_and_come_first() {
        let resp = TrackActionResponse {
            track_action_results: vec![TrackActionResult {
                input_id: "a<b".into(),
                id: None,
                error: Some(ErrorCode::CollectionInvalidId.with_message(ErrorStyle::Hyphen, "x & y")),
            }],
            error: Some(ErrorCode::CollectionSomeOperationsFailed.to_wire(ErrorStyle::Hyphen)),
        };
        let xml = to_document("TrackActionResponse", &resp);
        assert!(xml.contains(concat!(
            "<Error><Description>Some of the operations failed</Description>",
            "<ErrorCode>COLLECTION-SOME-OPERATIONS-FAILED</ErrorCode></Error><TrackActionResults>"
        )));
        assert!(xml.contains(concat!(
            "<TrackActionResult><Error><Description>Invalid collection id for this operation</Description>",
            "<ErrorCode>COLLECTION-INVALID-ID</ErrorCode><Message>x &amp; y</Message></Error>",
            "<InputId>a&lt;b</InputId></TrackActionResult>"
        )));
    }

    #[test]
    fn track_members_follow_data_contract_order() {
        let track = Track {
            duration: Some(Duration::from_secs(367)),
            track_number: Some(8),
            genres: Some(vec!["Pop".into()]),
            rights: Some(vec!["Purchase".into()]),
            content: Content {
                id: Some("music.A83EB907-0100-11DB-89CA-0019B92A3933".into()),
                name: Some("Get Lucky".into()),
                other_ids: Some(OtherIds(vec![("music.amg".into(), "T 29381286".into())])),
                source: Some(ContentSource::Catalog),
                ..Content::default()
            },
            ..Track::default()
        };
        let mut w = XmlWriter::default();
        track.write_element(&mut w, "Track");
        assert_eq!(
            w.into_string(),
            concat!(
                "<Track><Id>music.A83EB907-0100-11DB-89CA-0019B92A3933</Id><Name>Get Lucky</Name>",
                "<OtherIds><OtherId><Namespace>music.amg</Namespace><Id>T 29381286</Id></OtherId></OtherIds>",
                "<Source>Catalog</Source><Duration>PT6M7S</Duration><Genres><Genre>Pop</Genre></Genres>",
                "<Rights><Right>Purchase</Right></Rights><TrackNumber>8</TrackNumber></Track>"
            )
        );
    }

    #[test]
    fn reads_the_documented_request_and_the_sdk_form() {
        let doc = r#"<TrackActionRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/xboxmusic/2013/10/platform">
  <TrackIds xmlns:d2p1="http://schemas.microsoft.com/2003/10/Serialization/Arrays">
    <d2p1:string>music.873FB507-0100-11DB-89CA-0019B92A3933</d2p1:string>
  </TrackIds>
</TrackActionRequest>"#;
        let req = TrackActionRequest::from_xml(doc.as_bytes()).unwrap();
        assert_eq!(req.track_ids.unwrap(), vec!["music.873FB507-0100-11DB-89CA-0019B92A3933"]);

        let sdk = r#"<?xml version="1.0"?><TrackActionRequest xmlns="http://schemas.microsoft.com/groovemusic/2016/09/api"><TrackIds><TrackId>a&amp;b</TrackId><TrackId>&#x41;</TrackId></TrackIds><CollectionStateToken>1.2</CollectionStateToken></TrackActionRequest>"#;
        let req = TrackActionRequest::from_xml(sdk.as_bytes()).unwrap();
        assert_eq!(req.track_ids.unwrap(), vec!["a&b", "A"]);
        assert_eq!(req.collection_state_token.as_deref(), Some("1.2"));

        let nil = r#"<TrackActionRequest xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/xboxmusic/2013/10/platform"><TrackIds i:nil="true"/></TrackActionRequest>"#;
        assert_eq!(TrackActionRequest::from_xml(nil.as_bytes()).unwrap().track_ids, None);
    }

    #[test]
    fn refuses_bad_documents() {
        let cases = [
            "",
            "<TrackActionRequest>",
            "<TrackActionRequest xmlns=\"urn:other\"/>",
            "<Other xmlns=\"http://schemas.microsoft.com/xboxmusic/2013/10/platform\"/>",
            "<!DOCTYPE x [<!ENTITY a \"b\">]><TrackActionRequest xmlns=\"http://schemas.microsoft.com/xboxmusic/2013/10/platform\"/>",
            "<TrackActionRequest xmlns=\"http://schemas.microsoft.com/xboxmusic/2013/10/platform\">&custom;</TrackActionRequest>",
            "<a:TrackActionRequest/>",
            "<TrackActionRequest xmlns=\"http://schemas.microsoft.com/xboxmusic/2013/10/platform\"><TrackIds><x/></TrackIds></TrackActionRequest>",
        ];
        for c in cases {
            assert!(TrackActionRequest::from_xml(c.as_bytes()).is_err(), "{c}");
        }
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(parse_document(deep.as_bytes()).unwrap_err().0.contains("nested"));
        let wide = format!("<a>{}</a>", "<b/>".repeat(MAX_ELEMENTS + 1));
        assert!(parse_document(wide.as_bytes()).unwrap_err().0.contains("elements"));
    }
}

//! `ImageUrl` of the items this server has pictures of (`json-track.md`, `json-album.md`: "a
//! direct link to the default image associated with this piece of content").
//!
//! The original service pointed them at its image host, `/content/{id}/image?locale=…`; this
//! server serves them at the same path on itself. Where it is reached depends on the request
//! (the host the client called, behind which proxy), so records carry the path alone
//! ([`path`]), and an answer writes it as an absolute URL on the origin of the request being
//! answered ([`with_origin`]), in JSON and XML alike. Other image URLs (an imported catalog's
//! absolute ones) are written as they are.

use crate::ids::CatalogId;
use std::borrow::Cow;
use std::cell::RefCell;

/// Where the image of a catalog item is served, on this server: `/content/{id}/image`.
pub fn path(id: CatalogId) -> String {
    format!("/content/{id}/image")
}

thread_local! {
    /// The origin (`scheme://host`) of the answer being encoded on this thread.
    static ORIGIN: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `encode` with image paths written as URLs on `origin` (`http://host:port`). Encoding
/// is synchronous, so the origin holds for exactly the answer `encode` writes.
pub fn with_origin<R>(origin: Option<&str>, encode: impl FnOnce() -> R) -> R {
    let previous = ORIGIN.with(|o| o.replace(origin.map(str::to_owned)));
    let out = encode();
    ORIGIN.with(|o| *o.borrow_mut() = previous);
    out
}

/// An image URL as an answer writes it: a path of this server on the answer's origin.
pub fn absolute(url: &str) -> Cow<'_, str> {
    if !url.starts_with('/') || url.starts_with("//") {
        return Cow::Borrowed(url);
    }
    ORIGIN.with(|o| match o.borrow().as_deref() {
        Some(origin) => Cow::Owned(format!("{origin}{url}")),
        None => Cow::Borrowed(url),
    })
}

/// `serialize_with` of `Content::image_url`.
#[expect(clippy::ref_option, reason = "the signature serde's serialize_with calls")]
pub(crate) fn serialize<S: serde::Serializer>(url: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match url {
        Some(u) => s.serialize_some(absolute(u).as_ref()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_urls_on_the_origin_only_while_encoding() {
        let id = CatalogId::parse("music.a83eb907-0100-11db-89ca-0019b92a3933").unwrap();
        let p = path(id);
        assert_eq!(p, "/content/music.A83EB907-0100-11DB-89CA-0019B92A3933/image");
        assert_eq!(absolute(&p), p);
        let inside = with_origin(Some("http://h:8080"), || absolute(&p).into_owned());
        assert_eq!(inside, format!("http://h:8080{p}"));
        assert_eq!(absolute(&p), p, "the origin is gone after encoding");
        let other = "https://musicimage.xboxlive.com/content/x/image?locale=en-US";
        assert_eq!(with_origin(Some("http://h"), || absolute(other).into_owned()), other);
        assert_eq!(with_origin(Some("http://h"), || absolute("//evil/x").into_owned()), "//evil/x");
    }
}

//! The web page at `/`: static files embedded in the binary (`crates/service/web/`), plain
//! JavaScript modules with no build step. The page is an OAuth client of this server like
//! any application (client ID [`crate::signin::WEB_CLIENT_ID`], authorization code with PKCE)
//! and uses the public API with the user's token.
//!
//! Every page is sent with a strict Content-Security-Policy: scripts and styles from this
//! server only (no inline script), no framing, forms posted to this server only (and, for
//! the sign-in form, the redirect that follows it to the application).

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// The embedded files: name, content type, content.
const FILES: &[(&str, &str, &str)] = &[
    ("app.js", "text/javascript; charset=utf-8", include_str!("../web/app.js")),
    ("api.js", "text/javascript; charset=utf-8", include_str!("../web/api.js")),
    ("auth.js", "text/javascript; charset=utf-8", include_str!("../web/auth.js")),
    ("app.css", "text/css; charset=utf-8", include_str!("../web/app.css")),
    ("signin.css", "text/css; charset=utf-8", include_str!("../web/signin.css")),
];

const INDEX: &str = include_str!("../web/index.html");

/// HTML-escapes text for an element or a quoted attribute.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The origin (`scheme://host[:port]`) of an absolute URI, if it has one.
fn origin(uri: &str) -> Option<String> {
    let parsed: http::Uri = uri.parse().ok()?;
    let scheme = parsed.scheme_str()?;
    let authority = parsed.authority()?;
    (scheme == "http" || scheme == "https").then(|| format!("{scheme}://{authority}"))
}

/// The Content-Security-Policy of the server's pages; `redirects` are where a form of the
/// page may end up after the server's redirect (the sign-in form's application, and the
/// identity provider's sign-in page).
pub fn content_security_policy(redirects: &[&str]) -> String {
    let mut form_action = "'self'".to_owned();
    for o in redirects.iter().filter_map(|r| origin(r)) {
        if !form_action.split(' ').any(|known| known == o) {
            form_action.push(' ');
            form_action.push_str(&o);
        }
    }
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
}

fn security_headers(r: &mut Response, redirects: &[&str]) {
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_security_policy(redirects)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // The page's address may carry an authorization code for a moment: never sent on.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

/// An HTML page with the security headers, never cached.
pub fn with_page_headers(status: StatusCode, body: String, redirect: Option<&str>) -> Response {
    with_page_headers_to(status, body, redirect.as_slice())
}

/// [`with_page_headers`] for a page whose form may end up at any of `redirects`.
pub fn with_page_headers_to(status: StatusCode, body: String, redirects: &[&str]) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    security_headers(&mut r, redirects);
    r
}

/// `GET /`: the page.
pub async fn index() -> Response {
    with_page_headers(StatusCode::OK, INDEX.to_owned(), None)
}

/// `GET /web/{file}`: a script or a style sheet of the page.
pub async fn asset(Path(name): Path<String>) -> Response {
    let Some((_, content_type, body)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        let mut r = (StatusCode::NOT_FOUND, "no such file\n").into_response();
        security_headers(&mut r, &[]);
        return r;
    };
    let mut r = (StatusCode::OK, *body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The files change with the binary: a restart may bring new ones.
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    security_headers(&mut r, &[]);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html() {
        assert_eq!(
            html_escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn policy_allows_the_redirect_origin_only() {
        let p = content_security_policy(&["https://app.example:8443/cb?x=1"]);
        assert!(p.contains("form-action 'self' https://app.example:8443;"), "{p}");
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(!content_security_policy(&["javascript:alert(1)"]).contains("javascript"));
        let both = content_security_policy(&[
            "https://app.example/cb",
            "https://id.example/auth",
            "https://app.example/x",
        ]);
        assert!(both.contains("form-action 'self' https://app.example https://id.example;"), "{both}");
    }
}

//! `GET/POST /oauth/authorize`: the sign-in and consent page of the authorization-code flow
//! (RFC 6749 section 4.1, PKCE with S256 required). A plain HTML form that needs no script:
//! the user names an account and its password and allows (or denies) the application; the
//! answer is a `303` to the application's redirect URI with `code` and `state`, or `error`.
//!
//! Errors of the client ID or redirect URI are shown on the page and never redirected
//! (section 4.1.2.1); the others are sent back to the application. The form carries an
//! anti-forgery token ([`crate::signin::form_token`]).
//!
//! With sign-in at an identity provider ([`crate::provider`]) the page asks for no password:
//! the web page's sign-in goes to the provider at once, and an application's shows the
//! consent form (allow or deny), whose "allow" goes to the provider. The provider's answer
//! comes back to [`callback`], which ends the flow as a password sign-in does.

use crate::ClientAddr;
use crate::app::read_limited;
use crate::provider::{AppRequest, CALLBACK_PATH, PENDING_TTL_SECS, Provider, SignInError, cookie_name};
use crate::signin::{self, FORM_COOKIE, WEB_CLIENT_ID};
use crate::state::AppState;
use crate::web::{html_escape, with_page_headers, with_page_headers_to};
use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use groove_store::{StoreError, User};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use std::fmt::Write as _;

/// The parameters of an authorization request.
#[derive(Debug, Default, Clone)]
struct Request {
    response_type: String,
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
    code_challenge: String,
    code_challenge_method: String,
    scope: Option<String>,
}

impl Request {
    fn from_pairs(pairs: &[(String, String)]) -> Request {
        let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        Request {
            response_type: get("response_type").unwrap_or_default(),
            client_id: get("client_id").unwrap_or_default(),
            redirect_uri: get("redirect_uri").unwrap_or_default(),
            state: get("state"),
            code_challenge: get("code_challenge").unwrap_or_default(),
            code_challenge_method: get("code_challenge_method").unwrap_or_default(),
            scope: get("scope"),
        }
    }

    /// The request an application made, as a sign-in at the provider keeps it.
    fn app_request(&self) -> AppRequest {
        AppRequest {
            client_id: self.client_id.clone(),
            redirect_uri: self.redirect_uri.clone(),
            state: self.state.clone(),
            code_challenge: self.code_challenge.clone(),
        }
    }

    /// The request again, from what a sign-in at the provider kept.
    fn from_app_request(a: AppRequest) -> Request {
        Request {
            response_type: "code".into(),
            client_id: a.client_id,
            redirect_uri: a.redirect_uri,
            state: a.state,
            code_challenge: a.code_challenge,
            code_challenge_method: "S256".into(),
            scope: None,
        }
    }

    fn hidden_fields(&self) -> String {
        let mut out = String::new();
        let mut field = |name: &str, value: &str| {
            let _ = writeln!(out, "<input type=\"hidden\" name=\"{name}\" value=\"{}\">", html_escape(value));
        };
        field("response_type", &self.response_type);
        field("client_id", &self.client_id);
        field("redirect_uri", &self.redirect_uri);
        if let Some(s) = &self.state {
            field("state", s);
        }
        field("code_challenge", &self.code_challenge);
        field("code_challenge_method", &self.code_challenge_method);
        if let Some(s) = &self.scope {
            field("scope", s);
        }
        out
    }

    /// The redirect URI with `params` (and `state`) added to its query.
    fn redirect(&self, params: &[(&str, &str)]) -> Response {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            query.append_pair(k, v);
        }
        if let Some(s) = &self.state {
            query.append_pair("state", s);
        }
        let sep = if self.redirect_uri.contains('?') { '&' } else { '?' };
        let location = format!("{}{sep}{}", self.redirect_uri, query.finish());
        let mut r = StatusCode::SEE_OTHER.into_response();
        if let Ok(v) = HeaderValue::from_str(&location) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

/// A page that says what went wrong, with no way onward (bad client or redirect URI).
fn problem_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Sign-in problem – Groove</title>\n<link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"/web/signin.css\">\n</head>\n\
         <body>\n<main class=\"signin\">\n<h1>Sign-in problem</h1>\n<p role=\"alert\">{}</p>\n</main>\n</body>\n</html>\n",
        html_escape(message)
    );
    with_page_headers(status, body, None)
}

/// The consent form of an application when people sign in at the identity provider: no
/// password; "allow" goes on to the provider.
fn provider_form_page(state: &AppState, provider: &Provider, req: &Request, app_name: &str) -> Response {
    let token = signin::form_token(state);
    let body = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Sign in – Groove</title>\n<link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"/web/signin.css\">\n</head>\n\
         <body>\n<main class=\"signin\">\n<h1>Sign in</h1>\n\
         <p><strong>{app}</strong> asks to see and change your music collection and playlists.</p>\n\
         <p>You sign in at your identity provider, {issuer}.</p>\n\
         <form method=\"post\" action=\"/oauth/authorize\">\n{hidden}\
         <input type=\"hidden\" name=\"csrf\" value=\"{token}\">\n\
         <div class=\"actions\">\n\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Sign in and allow</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">Deny</button>\n\
         </div>\n</form>\n</main>\n</body>\n</html>\n",
        app = html_escape(app_name),
        issuer = html_escape(provider.issuer()),
        hidden = req.hidden_fields(),
    );
    // "Allow" is redirected to the provider, "deny" to the application.
    let targets = [req.redirect_uri.as_str(), provider.authorization_endpoint()];
    let mut r = with_page_headers_to(StatusCode::OK, body, &targets);
    set_form_cookie(&mut r, &token);
    r
}

fn set_form_cookie(r: &mut Response, token: &str) {
    let cookie =
        format!("{FORM_COOKIE}={token}; Path=/oauth/authorize; HttpOnly; SameSite=Strict; Max-Age=1800");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Sends the person to the provider's sign-in page, remembering the application's request
/// in a sealed cookie of this browser until the provider sends them back.
fn to_provider(provider: &Provider, req: &Request, headers: &HeaderMap) -> Response {
    let callback = provider.callback_url(&crate::reply::origin(headers));
    let Some((url, pending, sealed)) = provider.begin(req.app_request(), callback) else {
        return problem_page(
            StatusCode::BAD_REQUEST,
            "The application's request is too long to be carried through the identity provider.",
        );
    };
    let mut r = StatusCode::SEE_OTHER.into_response();
    let secure = if pending.callback.starts_with("https:") { "; Secure" } else { "" };
    // SameSite=Lax: the provider's redirect back is a top-level navigation from its site.
    let cookie = format!(
        "{}={sealed}; Path={CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age={PENDING_TTL_SECS}{secure}",
        cookie_name(&pending.state)
    );
    match (HeaderValue::from_str(&url), HeaderValue::from_str(&cookie)) {
        (Ok(location), Ok(cookie)) => {
            r.headers_mut().insert(header::LOCATION, location);
            r.headers_mut().append(header::SET_COOKIE, cookie);
        }
        _ => {
            return problem_page(
                StatusCode::BAD_REQUEST,
                "The application's request cannot be carried through the identity provider.",
            );
        }
    }
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

/// The sign-in and consent form.
fn form_page(
    state: &AppState,
    req: &Request,
    app_name: &str,
    username: &str,
    message: Option<&str>,
    status: StatusCode,
) -> Response {
    let token = signin::form_token(state);
    let alert = message
        .map(|m| format!("<p class=\"error\" role=\"alert\" id=\"signin-error\">{}</p>\n", html_escape(m)))
        .unwrap_or_default();
    let described = if message.is_some() { " aria-describedby=\"signin-error\"" } else { "" };
    let who = if req.client_id == WEB_CLIENT_ID {
        "Sign in to see and change your music collection.".to_owned()
    } else {
        format!(
            "<strong>{}</strong> asks to see and change your music collection and playlists.",
            html_escape(app_name)
        )
    };
    let body = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Sign in – Groove</title>\n<link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"/web/signin.css\">\n</head>\n\
         <body>\n<main class=\"signin\">\n<h1>Sign in</h1>\n<p>{who}</p>\n{alert}\
         <form method=\"post\" action=\"/oauth/authorize\">\n{hidden}\
         <input type=\"hidden\" name=\"csrf\" value=\"{token}\">\n\
         <label for=\"username\">User name</label>\n\
         <input id=\"username\" name=\"username\" autocomplete=\"username\" required value=\"{user}\"{described}>\n\
         <label for=\"password\">Password</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required{described}>\n\
         <div class=\"actions\">\n\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Sign in and allow</button>\n\
         <button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate class=\"secondary\">Deny</button>\n\
         </div>\n</form>\n</main>\n</body>\n</html>\n",
        hidden = req.hidden_fields(),
        user = html_escape(username),
    );
    let mut r = with_page_headers(status, body, Some(&req.redirect_uri));
    set_form_cookie(&mut r, &token);
    r
}

/// The page with OpenID Connect: users are the provider's.
fn provider_page(issuer: &str) -> Response {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Sign in – Groove</title>\n<link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"/web/signin.css\">\n</head>\n\
         <body>\n<main class=\"signin\">\n<h1>Sign in</h1>\n\
         <p>This server's users sign in with their identity provider: \
         <a href=\"{0}\">{0}</a>. Applications obtain a user's token from the provider.</p>\n\
         </main>\n</body>\n</html>\n",
        html_escape(issuer)
    );
    with_page_headers(StatusCode::OK, body, None)
}

fn host(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::HOST).and_then(|h| h.to_str().ok())
}

/// Checks what must be checked before anything is redirected: the client and its redirect
/// URI. `Ok(name)`: the application's name.
async fn check_client(state: &AppState, req: &Request, headers: &HeaderMap) -> Result<String, Response> {
    if req.client_id.is_empty() || req.redirect_uri.is_empty() {
        return Err(problem_page(
            StatusCode::BAD_REQUEST,
            "The request names no client_id or no redirect_uri.",
        ));
    }
    match signin::redirect_allowed(state, &req.client_id, &req.redirect_uri, host(headers)).await {
        Ok(Some(true)) => {}
        Ok(Some(false)) => {
            return Err(problem_page(
                StatusCode::BAD_REQUEST,
                "This redirect_uri is not registered for the application.",
            ));
        }
        Ok(None) => {
            return Err(problem_page(
                StatusCode::BAD_REQUEST,
                "There is no application with this client_id.",
            ));
        }
        Err(e) => {
            tracing::warn!(error = %e, "sign-in: cannot look up an application");
            return Err(problem_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server cannot sign you in now; try again later.",
            ));
        }
    }
    if req.client_id == WEB_CLIENT_ID {
        return Ok("this server's web page".to_owned());
    }
    match state.store.find_app(&req.client_id).await {
        Ok(Some(app)) => Ok(app.name),
        Ok(None) => {
            Err(problem_page(StatusCode::BAD_REQUEST, "There is no application with this client_id."))
        }
        Err(e) => {
            tracing::warn!(error = %e, "sign-in: cannot look up an application");
            Err(problem_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server cannot sign you in now; try again later.",
            ))
        }
    }
}

/// The errors sent back to the application (section 4.1.2.1), checked once the client is known.
fn request_error(req: &Request) -> Option<Response> {
    let error = |description: &str| {
        Some(req.redirect(&[("error", "invalid_request"), ("error_description", description)]))
    };
    if req.response_type != "code" {
        return Some(req.redirect(&[
            ("error", "unsupported_response_type"),
            ("error_description", "response_type must be code"),
        ]));
    }
    if req.code_challenge.is_empty() {
        return error("PKCE is required: send code_challenge and code_challenge_method=S256");
    }
    if req.code_challenge_method != "S256" {
        return error("code_challenge_method must be S256");
    }
    if !signin::valid_challenge(&req.code_challenge) {
        return error("code_challenge must be the base64url SHA-256 of the code_verifier");
    }
    None
}

/// `GET /oauth/authorize`.
pub async fn page(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    if let (None, Some(oidc)) = (&state.provider, &state.oidc) {
        return provider_page(oidc.issuer());
    }
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    if let Err(e) = crate::text::check_form(&pairs) {
        return problem_page(
            StatusCode::BAD_REQUEST,
            e.message.as_deref().unwrap_or("The request is not valid."),
        );
    }
    let req = Request::from_pairs(&pairs);
    let app_name = match check_client(&state, &req, &headers).await {
        Ok(name) => name,
        Err(r) => return r,
    };
    if let Some(r) = request_error(&req) {
        return r;
    }
    match &state.provider {
        // The server's own page needs no consent.
        Some(provider) if req.client_id == WEB_CLIENT_ID => to_provider(provider, &req, &headers),
        Some(provider) => provider_form_page(&state, provider, &req, &app_name),
        None => form_page(&state, &req, &app_name, "", None, StatusCode::OK),
    }
}

/// `POST /oauth/authorize`: the form's answer.
pub async fn submit(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    debug_assert_eq!(method, Method::POST);
    if let (None, Some(oidc)) = (&state.provider, &state.oidc) {
        return provider_page(oidc.issuer());
    }
    let addr = client.map(|Extension(ClientAddr(a))| a.ip());
    if let Some(ip) = addr
        && let Err(wait) = state.limits.check_address(ip)
    {
        return too_many(crate::limits::retry_after_secs(wait));
    }
    let body = match read_limited(body, &headers, state.config.max_body_bytes, state.config.body_timeout)
        .await
    {
        Ok(b) => b,
        Err(e) => {
            return problem_page(e.status(), e.message.as_deref().unwrap_or("The form could not be read."));
        }
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    if let Err(e) = crate::text::check_form(&pairs) {
        return problem_page(
            StatusCode::BAD_REQUEST,
            e.message.as_deref().unwrap_or("The form is not valid."),
        );
    }
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let req = Request::from_pairs(&pairs);
    let app_name = match check_client(&state, &req, &headers).await {
        Ok(name) => name,
        Err(r) => return r,
    };
    if !signin::form_token_valid(
        &state,
        get("csrf").unwrap_or_default(),
        signin::cookie(&headers, FORM_COOKIE),
    ) {
        return problem_page(
            StatusCode::FORBIDDEN,
            "The sign-in form expired or did not come from this server. Go back to the application and start again.",
        );
    }
    if let Some(r) = request_error(&req) {
        return r;
    }
    if get("decision") != Some("allow") {
        return req
            .redirect(&[("error", "access_denied"), ("error_description", "the user denied the request")]);
    }
    // With a provider, a password is never checked here, whatever the form carries.
    if let Some(provider) = &state.provider {
        return to_provider(provider, &req, &headers);
    }
    let username = get("username").unwrap_or_default();
    let password = get("password").unwrap_or_default();
    if username.is_empty() || password.is_empty() {
        let msg = "Enter your user name and password.";
        return form_page(&state, &req, &app_name, username, Some(msg), StatusCode::BAD_REQUEST);
    }
    if let Some(wait) = signin::sign_in_blocked(&state, username, addr) {
        return too_many(crate::limits::retry_after_secs(wait));
    }
    if password.len() > signin::MAX_PASSWORD_BYTES {
        signin::sign_in_failed(&state, username, addr);
        let msg = "Wrong user name or password.";
        return form_page(&state, &req, &app_name, username, Some(msg), StatusCode::UNAUTHORIZED);
    }
    let user = match signin::check_password(&state, username, password).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            signin::sign_in_failed(&state, username, addr);
            let msg = "Wrong user name or password.";
            return form_page(&state, &req, &app_name, username, Some(msg), StatusCode::UNAUTHORIZED);
        }
        Err(e) => {
            tracing::warn!(error = %e, "sign-in: cannot check a password");
            return problem_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server cannot sign you in now; try again later.",
            );
        }
    };
    signin::sign_in_succeeded(&state, username);
    match signin::issue_code(&state, user, &req.client_id, &req.redirect_uri, &req.code_challenge).await {
        Ok(code) => req.redirect(&[("code", &code)]),
        Err(e) => {
            tracing::warn!(error = %e, "sign-in: cannot store a code");
            req.redirect(&[("error", "temporarily_unavailable"), ("error_description", "try again later")])
        }
    }
}

fn too_many(secs: u64) -> Response {
    let mut r = problem_page(
        StatusCode::TOO_MANY_REQUESTS,
        &format!("Too many attempts to sign in. Try again in {} minutes.", secs.div_ceil(60)),
    );
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}

/// `GET /oauth/callback`: the identity provider sends the person back here
/// ([`crate::provider`]). The sign-in under way is the one of the cookie named after
/// `state`; its ID token is checked, its identity mapped to a user, and the application
/// gets a code of this server, as after a password sign-in. Every failure is a page that
/// says what happened (never a 500), and the cookie is cleared whatever the outcome.
pub async fn callback(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(provider) = &state.provider else {
        return problem_page(
            StatusCode::NOT_FOUND,
            "This server does not sign people in at an identity provider.",
        );
    };
    if let Some(Extension(ClientAddr(addr))) = client
        && let Err(wait) = state.limits.check_address(addr.ip())
    {
        return too_many(crate::limits::retry_after_secs(wait));
    }
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    if let Err(e) = crate::text::check_form(&pairs) {
        return problem_page(
            StatusCode::BAD_REQUEST,
            e.message.as_deref().unwrap_or("The request is not valid."),
        );
    }
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let Some(sent_state) = get("state") else {
        return problem_page(
            StatusCode::BAD_REQUEST,
            "The identity provider's answer names no sign-in (no state).",
        );
    };
    let name = cookie_name(sent_state);
    let mut r = finish(&state, provider, &headers, &name, sent_state, &pairs).await;
    let clear = format!("{name}=; Path={CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&clear) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

async fn finish(
    state: &AppState,
    provider: &Provider,
    headers: &HeaderMap,
    cookie: &str,
    sent_state: &str,
    pairs: &[(String, String)],
) -> Response {
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let Some(pending) = signin::cookie(headers, cookie).and_then(|c| provider.open(c, sent_state)) else {
        return problem_page(
            StatusCode::BAD_REQUEST,
            "This sign-in did not start in this browser, or it took too long. Go back to the application and sign in again.",
        );
    };
    let req = Request::from_app_request(pending.request.clone());
    if let Some(error) = get("error") {
        if error == "access_denied" {
            return req.redirect(&[
                ("error", "access_denied"),
                ("error_description", "the user did not sign in at the identity provider"),
            ]);
        }
        let detail = get("error_description").map(|d| format!(": {d}")).unwrap_or_default();
        let message = format!("The identity provider did not sign you in ({error}{detail}).");
        return problem_page(StatusCode::BAD_REQUEST, &message.chars().take(500).collect::<String>());
    }
    let Some(code) = get("code").filter(|c| !c.is_empty()) else {
        return problem_page(StatusCode::BAD_REQUEST, "The identity provider's answer carries no code.");
    };
    let checked = match provider.redeem(code, &pending).await {
        Ok(id_token) => provider.verify(&id_token, &pending).await,
        Err(e) => Err(e),
    };
    let identity = match checked {
        Ok(identity) => identity,
        Err(e) => {
            tracing::warn!(error = %e, "sign-in at the identity provider failed");
            return sign_in_failed(&e);
        }
    };
    let user = match user_of(state, provider, &identity).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            return problem_page(
                StatusCode::FORBIDDEN,
                "You signed in at the identity provider, but no account of this server is linked to you. \
                 Ask the server's operator to link one (groove-server user link).",
            );
        }
        Err(e) => {
            tracing::warn!(error = %e, "sign-in: cannot find or create the provider's user");
            return problem_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server cannot sign you in now; try again later.",
            );
        }
    };
    match signin::issue_code(state, user, &req.client_id, &req.redirect_uri, &req.code_challenge).await {
        Ok(code) => req.redirect(&[("code", &code)]),
        Err(e) => {
            tracing::warn!(error = %e, "sign-in: cannot store a code");
            req.redirect(&[("error", "temporarily_unavailable"), ("error_description", "try again later")])
        }
    }
}

fn sign_in_failed(e: &SignInError) -> Response {
    problem_page(e.status(), &e.to_string())
}

/// The user of an identity: the one linked to it, else a new one when the server creates
/// users (`None`: neither).
async fn user_of(
    state: &AppState,
    provider: &Provider,
    identity: &crate::provider::Identity,
) -> Result<Option<User>, StoreError> {
    let issuer = provider.issuer();
    if let Some(user) = state.store.identity_user(issuer, &identity.subject).await? {
        return Ok(Some(user));
    }
    if !provider.create_users() {
        return Ok(None);
    }
    state.store.create_identity_user(issuer, &identity.subject, &identity.name).await.map(Some)
}

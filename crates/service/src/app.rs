//! The HTTP application: a few plain routes (`/healthz`, the token endpoint) and one
//! dispatcher for the whole Groove surface, which names the operation with
//! [`Endpoint::parse`], negotiates the format, authenticates the caller and runs the handler.

use crate::ClientAddr;
use crate::caller::{self, Caller};
use crate::culture;
use crate::handlers::{authorize, collection, content, oauth, playlists, profile, restore, search, stream};
use crate::idempotency;
use crate::limits;
use crate::observe;
use crate::reply::{self, ApiError, Ctx, Format};
use crate::state::AppState;
use crate::text;
use axum::Extension;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use groove_store::User;
use groove_wire::ErrorCode;
use groove_wire::endpoint::{self, Endpoint, RouteError};
use groove_wire::query::Query;
use http::{HeaderMap, HeaderName, Method, StatusCode, Uri, header};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tracing::Instrument as _;

/// The whole service, ready to serve.
pub fn router(state: AppState) -> Router {
    let mut routes = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/oauth/token", post(oauth::token))
        .route("/accesstoken.srf", post(oauth::token));
    // Sign-in (`crate::signin`) and the web page (`crate::web`).
    routes = routes
        .route("/oauth/authorize", get(authorize::page).post(authorize::submit))
        .route("/oauth/callback", get(authorize::callback))
        .route("/oauth/revoke", post(oauth::revoke))
        .route("/", get(crate::web::index))
        .route("/web/{file}", get(crate::web::asset));
    if state.metrics.is_some() {
        routes = routes.route("/metrics", get(observe::metrics));
    }
    // The API's description (crates/service/openapi.json; every route here is in it).
    routes = routes.route("/openapi.json", get(crate::openapi::document));
    let routes = routes
        .fallback(dispatch)
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe::observe))
        .with_state(state.clone());
    with_layers(routes).merge(stream_routes(state.clone())).merge(image_routes(state))
}

/// Pictures of library items (`crate::art`): outside the compression layer (JPEG and PNG
/// do not compress), with CORS for `<img>` and canvas use, the access log and the panic guard.
fn image_routes(state: AppState) -> Router {
    Router::new()
        .route("/content/{id}/image", get(crate::art::serve))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe::observe))
        .with_state(state)
        .layer(CorsLayer::new().allow_origin(Any).allow_methods([Method::GET]).allow_headers(Any))
        .layer(CatchPanicLayer::custom(panic_response))
}

/// Stream links (`crate::stream`): outside the compression layer (audio does not compress,
/// and ranges must count the file's own bytes), with CORS and the panic guard.
fn stream_routes(state: AppState) -> Router {
    let path = format!("{}{{guid}}", crate::stream::PATH_PREFIX);
    Router::new()
        .route(&path, get(stream::serve_file))
        .with_state(state)
        .layer(CorsLayer::new().allow_origin(Any).allow_methods([Method::GET]).allow_headers(Any))
        .layer(CatchPanicLayer::custom(panic_response))
}

/// The middleware every answer goes through: compression, CORS, and a 500 in the
/// documented shape if a handler panics. (The benchmark's ceiling server serves through the
/// same layers.)
pub fn with_layers(routes: Router) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("x-client-name"),
            HeaderName::from_static("x-client-version"),
            HeaderName::from_static("idempotency-key"),
        ])
        .max_age(Duration::from_hours(24));
    routes.layer(CompressionLayer::new()).layer(cors).layer(CatchPanicLayer::custom(panic_response))
}

/// `GET /healthz`: 200 when the store answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.health().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response()
        }
    }
}

/// Key of the row `/readyz` writes.
const READY_PROBE_KEY: &str = "ready_probe";

/// `GET /readyz`: 200 when the store answers and takes a write (a small row of its own,
/// rewritten each time), 503 otherwise, saying why: a store that cannot write, because its
/// disk is full for example, is alive (`/healthz`) but not ready.
async fn readyz(State(state): State<AppState>) -> Response {
    let unready = |why: &'static str| (StatusCode::SERVICE_UNAVAILABLE, why).into_response();
    if let Err(e) = state.store.health().await {
        tracing::warn!(error = %e, "readiness: the store does not answer");
        return unready("store unavailable\n");
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .to_be_bytes()
        .to_vec();
    match state.store.set_meta(READY_PROBE_KEY, stamp).await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) if e.is_out_of_space() => {
            tracing::warn!(error = %e, "readiness: the store is out of space");
            let mut r = unready("store cannot write: out of space\n");
            r.headers_mut().insert(header::RETRY_AFTER, crate::state::OUT_OF_SPACE_RETRY_SECS.into());
            r
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the store cannot write");
            unready("store cannot write\n")
        }
    }
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    let body = r#"{"Error":{"ErrorCode":"INTERNAL-SERVER-ERROR","Description":"Oops, something went seriously wrong"}}"#;
    (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "application/json; charset=utf-8")], body)
        .into_response()
}

fn route_error(e: RouteError) -> ApiError {
    match e {
        RouteError::UnknownPath => {
            ApiError::with(ErrorCode::UnauthorizedApiMethod, "No API method at this path")
        }
        RouteError::WrongMethod { expected } => ApiError::with(
            ErrorCode::UnauthorizedApiMethod,
            match expected {
                endpoint::Method::Get => "This API method must be called with GET",
                endpoint::Method::Post => "This API method must be called with POST",
            },
        ),
        RouteError::UnknownNamespace(ns) => ApiError::with(
            ErrorCode::InvalidInputParameter,
            format!("Unknown namespace {ns:?}; the only namespace is music"),
        ),
    }
}

/// Every Groove path, in a span named `request` whose `endpoint` field is
/// [`Endpoint::name`] once the path is known, so that every log line of a request says which
/// operation it served.
async fn dispatch(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let span = tracing::info_span!("request", endpoint = tracing::field::Empty);
    let response = answer(&state, client, method, &uri, &headers, body).instrument(span.clone()).await;
    span.in_scope(|| tracing::debug!(status = response.status().as_u16(), "answered"));
    response
}

async fn answer(
    state: &AppState,
    client: Option<Extension<ClientAddr>>,
    method: Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let query = Query::parse(uri.query());
    let style = state.config.error_style;
    let asked = match reply::response_format(&query, headers) {
        Ok(f) => f,
        Err(e) => {
            let ctx =
                Ctx { format: Format::Json, style, root: "ErrorResponse", body_decides: false, origin: None };
            return e.render(&ctx);
        }
    };
    let body_decides = asked.is_none() && method == Method::POST;
    // Until the body is read, its `Content-Type` tells its format.
    let format = match asked {
        Some(f) => f,
        None if body_decides && reply::content_type_is_xml(headers) == Some(true) => Format::Xml,
        None => Format::Json,
    };
    if let Some(Extension(ClientAddr(addr))) = client
        && let Err(wait) = state.limits.check_address(addr.ip())
    {
        let ctx = Ctx { format, style, root: "ErrorResponse", body_decides, origin: None };
        return too_many_requests(wait, "this address").render(&ctx);
    }
    let method = match method {
        Method::GET | Method::HEAD => Some(endpoint::Method::Get),
        Method::POST => Some(endpoint::Method::Post),
        _ => None,
    };
    let parsed = match method {
        Some(m) => Endpoint::parse(m, uri.path()),
        None => Err(RouteError::UnknownPath),
    };
    let endpoint = match parsed {
        Ok(e) => {
            tracing::Span::current().record("endpoint", e.name());
            e
        }
        Err(e) => {
            let ctx = Ctx { format, style, root: "ErrorResponse", body_decides, origin: None };
            return route_error(e).render(&ctx);
        }
    };
    let origin = Some(reply::origin(headers));
    let mut ctx = Ctx { format, style, root: endpoint.response_root(), body_decides, origin };
    if let Err(e) = text::check_request(uri.path(), &query) {
        return e.render(&ctx);
    }
    match handle(state, &endpoint, &mut ctx, &query, headers, body).await {
        Ok(response) => response,
        Err(e) => e.render(&ctx),
    }
}

/// `429 TOO-MANY-REQUESTS` with `Retry-After`.
pub(crate) fn too_many_requests(wait: Duration, from: &str) -> ApiError {
    let secs = limits::retry_after_secs(wait);
    ApiError {
        retry_after: Some(secs),
        ..ApiError::with(
            ErrorCode::TooManyRequests,
            format!("Too many requests from {from}; try again in {secs} s"),
        )
    }
}

fn user(caller: Caller) -> Result<User, ApiError> {
    match caller {
        Caller::User(u) => Ok(u),
        Caller::App(_) => Err(ApiError::new(ErrorCode::InvalidAuthorizationHeader)),
    }
}

/// Reads a request body of at most `limit` bytes (a larger one is refused with 413), and
/// answers in its format if nothing asked for another.
async fn read_body(
    state: &AppState,
    body: Body,
    headers: &HeaderMap,
    ctx: &mut Ctx,
) -> Result<bytes::Bytes, ApiError> {
    let bytes = read_limited(body, headers, state.config.max_body_bytes, state.config.body_timeout).await?;
    ctx.follow_request_body(reply::request_is_xml(headers, &bytes));
    text::check_body(&bytes)?;
    Ok(bytes)
}

/// Reads a request body of at most `limit` bytes within `timeout`; a larger one is refused
/// with 413, a slower one with 408 (and the connection is closed: the rest of the body is
/// never read).
pub(crate) async fn read_limited(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    timeout: Duration,
) -> Result<bytes::Bytes, ApiError> {
    let too_large = || ApiError {
        status: Some(StatusCode::PAYLOAD_TOO_LARGE),
        ..ApiError::with(ErrorCode::InvalidInputParameter, format!("The request body exceeds {limit} bytes"))
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let Ok(read) = tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await else {
        return Err(ApiError {
            status: Some(StatusCode::REQUEST_TIMEOUT),
            ..ApiError::with(
                ErrorCode::InvalidInputParameter,
                format!("The request body did not arrive within {} s", timeout.as_secs_f64()),
            )
        });
    };
    match read {
        Ok(bytes) => Ok(bytes),
        Err(e) => {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(err) = source {
                if err.is::<http_body_util::LengthLimitError>() {
                    return Err(too_large());
                }
                source = err.source();
            }
            Err(ApiError::with(ErrorCode::InvalidInputParameter, "The request body could not be read"))
        }
    }
}

async fn handle(
    state: &AppState,
    endpoint: &Endpoint,
    ctx: &mut Ctx,
    query: &Query,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let caller = caller::authenticate(state, endpoint.auth(), headers, query).await?;
    let (key, who) = match &caller {
        Caller::User(u) => (format!("user:{}", u.name), "this user"),
        Caller::App(id) => (format!("app:{id}"), "this application"),
    };
    state.limits.check_caller(&key).map_err(|wait| too_many_requests(wait, who))?;
    // `language` and `country` are parameters of every call (`common-parameters.md`).
    let culture = culture::culture(query)?;
    match endpoint {
        Endpoint::CollectionAdd
        | Endpoint::CollectionDelete
        | Endpoint::PlaylistCreate
        | Endpoint::PlaylistUpdate
        | Endpoint::PlaylistDelete
        | Endpoint::CollectionRestore => {
            let body = read_body(state, body, headers, ctx).await?;
            let user = user(caller)?;
            let (ctx, body) = (&*ctx, &body);
            idempotency::guarded(state, user.id, endpoint.name(), headers, body, |keyed| async move {
                let keyed = keyed.as_ref();
                match endpoint {
                    Endpoint::CollectionAdd => collection::add(state, ctx, &user, headers, body, keyed).await,
                    Endpoint::CollectionDelete => {
                        collection::delete(state, ctx, &user, headers, body, keyed).await
                    }
                    Endpoint::PlaylistDelete => {
                        playlists::delete(state, ctx, &user, headers, body, keyed).await
                    }
                    Endpoint::CollectionRestore => {
                        restore::restore(state, ctx, &user, headers, body, keyed).await
                    }
                    _ => {
                        let create = *endpoint == Endpoint::PlaylistCreate;
                        playlists::write(state, ctx, &user, create, headers, body, keyed).await
                    }
                }
            })
            .await
        }
        Endpoint::CollectionBrowse { item_type } => match item_type.as_str() {
            "playlists" => playlists::browse(state, ctx, &user(caller)?, false, query).await,
            "playlistsforyou" => playlists::browse(state, ctx, &user(caller)?, true, query).await,
            other => collection::browse(state, ctx, &user(caller)?, other, query).await,
        },
        Endpoint::Lookup { ids } => content::lookup(state, ctx, &caller, ids, query).await,
        Endpoint::SubBrowse { id, source, browse_type, extra } => {
            let path = content::SubBrowsePath { id, source, browse_type, extra };
            content::sub_browse(state, ctx, &caller, path, query).await
        }
        Endpoint::NotServed(n) => Err(ApiError::with(n.error(), n.message())),
        Endpoint::Search => search::search(state, ctx, &caller, query, culture).await,
        Endpoint::UserProfile => {
            let user = match &caller {
                Caller::User(u) => Some(u),
                Caller::App(_) => None,
            };
            profile::profile(state, ctx, user, culture).await
        }
        Endpoint::CatalogBrowse { item_type } => {
            crate::handlers::catalog::browse(state, ctx, &caller, item_type, query).await
        }
        Endpoint::Stream { id, .. } => stream::stream(state, ctx, &caller, id, query, headers).await,
        // --- the project's own extensions (SPEC §6) ---
        Endpoint::DeletedBrowse { item_type } => {
            restore::browse(state, ctx, &user(caller)?, &item_type.to_ascii_lowercase(), query).await
        }
        Endpoint::CollectionChanges => {
            crate::handlers::changes::changes(state, ctx, &user(caller)?, query).await
        }
    }
}

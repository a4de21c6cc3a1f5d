//! Who is calling: the user token of `Authorization: Bearer` and the developer token of the
//! `accessToken` query parameter (`user-authentication.md`, SPEC section 4), checked
//! against what the operation requires. Every refusal is a documented error.

use crate::auth::{Principal, TokenError, TokenKind};
use crate::reply::ApiError;
use crate::state::AppState;
use groove_store::{StoreError, User};
use groove_wire::ErrorCode;
use groove_wire::endpoint::AuthClass;
use groove_wire::query::Query;
use http::{HeaderMap, header};

/// The authenticated party of a request.
#[derive(Clone, Debug)]
pub enum Caller {
    User(User),
    App(String),
}

const NEED_USER: &str = "You need user authentication to use this API";

/// The token of `Authorization: Bearer <token>`; `Err` if the header is there but is not
/// a bearer token.
fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
    let invalid = || {
        ApiError::with(
            ErrorCode::InvalidAuthorizationHeader,
            "The Authorization header must be Bearer <token>",
        )
    };
    let value = value.to_str().map_err(|_| invalid())?.trim();
    let (scheme, token) = value.split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(invalid());
    }
    Ok(Some(token.trim()))
}

/// The developer token of `accessToken`, with or without a `Bearer ` prefix.
fn access_token(query: &Query) -> Option<&str> {
    let raw = query.get("accesstoken")?.trim();
    let token = match raw.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => raw[7..].trim(),
        _ => raw,
    };
    Some(token)
}

fn app_token_error(e: TokenError) -> ApiError {
    match e {
        TokenError::Expired(TokenKind::App) => ApiError::new(ErrorCode::AccessTokenExpired),
        _ => ApiError::new(ErrorCode::AccessTokenInvalid),
    }
}

fn user_token_error(e: TokenError) -> ApiError {
    match e {
        TokenError::Expired(TokenKind::User) => ApiError::new(ErrorCode::AuthorizationTokenExpired),
        TokenError::Expired(TokenKind::App) => ApiError::new(ErrorCode::AccessTokenExpired),
        // uri-add-track-collection.md: "missing or invalid" answer alike, message included.
        TokenError::Invalid | TokenError::Revoked => {
            ApiError::with(ErrorCode::InvalidAuthorizationHeader, NEED_USER)
        }
    }
}

/// The party of an `Authorization: Bearer` token.
enum Bearer {
    /// A token signed by this server.
    Own(Principal),
    /// A user token of the external identity provider, by subject.
    External(String),
}

async fn verify_bearer(state: &AppState, token: &str) -> Result<Bearer, ApiError> {
    match &state.oidc {
        Some(oidc) if crate::oidc::OidcVerifier::claims_token(token) => {
            oidc.verify(token).await.map(Bearer::External).map_err(user_token_error)
        }
        // With a provider's tokens and no sign-in at the provider, users are the provider's:
        // the server's own user tokens are not accepted. With sign-in at the provider, the
        // server's tokens are what a sign-in gives.
        Some(_) if state.provider.is_none() => {
            match crate::signin::verify_own(state, token).await.map_err(user_token_error)? {
                Principal::User(_) => Err(ApiError::with(ErrorCode::InvalidAuthorizationHeader, NEED_USER)),
                app @ Principal::App(_) => Ok(Bearer::Own(app)),
            }
        }
        _ => crate::signin::verify_own(state, token).await.map(Bearer::Own).map_err(user_token_error),
    }
}

pub async fn authenticate(
    state: &AppState,
    class: AuthClass,
    headers: &HeaderMap,
    query: &Query,
) -> Result<Caller, ApiError> {
    // A developer token, when present, must be valid, whatever else the request carries.
    let app = match access_token(query) {
        Some(token) => match crate::signin::verify_own(state, token).await {
            Ok(Principal::App(client)) => Some(client),
            Ok(Principal::User(_)) => return Err(app_token_error(TokenError::Invalid)),
            Err(e) => return Err(app_token_error(e)),
        },
        None => None,
    };
    let header_principal = match bearer(headers)? {
        Some(token) => Some(verify_bearer(state, token).await?),
        None => None,
    };
    match (class, header_principal, app) {
        (_, Some(Bearer::External(subject)), _) => Ok(Caller::User(provision_user(state, &subject).await?)),
        (_, Some(Bearer::Own(Principal::User(name))), _) => {
            Ok(Caller::User(resolve_user(state, &name).await?))
        }
        (AuthClass::User, _, _) => Err(ApiError::with(ErrorCode::InvalidAuthorizationHeader, NEED_USER)),
        (AuthClass::UserOrApp, Some(Bearer::Own(Principal::App(client))), _)
        | (AuthClass::UserOrApp, None, Some(client)) => Ok(Caller::App(client)),
        (AuthClass::UserOrApp, None, None) => Err(ApiError::new(ErrorCode::AccessTokenMissing)),
    }
}

/// The user of an external provider's token: the user linked to its subject, else (with
/// `--oidc-create-users`, the default) the user named by the subject, created on first
/// sight and linked to it, so that the same person signing in at the provider is the same
/// user.
async fn provision_user(state: &AppState, subject: &str) -> Result<User, ApiError> {
    let key = crate::state::identity_cache_key(subject);
    if let Some(user) = state.cached_user(&key) {
        return Ok(user);
    }
    let Some(oidc) = &state.oidc else {
        return Err(ApiError::with(ErrorCode::InvalidAuthorizationHeader, NEED_USER));
    };
    let issuer = oidc.issuer();
    let user = match state.store.identity_user(issuer, subject).await? {
        Some(user) => user,
        None if oidc.create_users() => {
            let user = state.store.ensure_user(subject).await?;
            match state.store.link_identity(issuer, subject, &user.name).await {
                Ok(user) => user,
                // Linked to another user meanwhile (a sign-in at the provider): that one.
                Err(StoreError::AlreadyExists(_)) => {
                    state.store.identity_user(issuer, subject).await?.unwrap_or(user)
                }
                Err(e) => return Err(e.into()),
            }
        }
        None => {
            return Err(ApiError::with(
                ErrorCode::InvalidAuthorizationHeader,
                "No user of this server is linked to this identity",
            ));
        }
    };
    state.cache_user_as(key, &user);
    Ok(user)
}

/// The user a valid token names. Users of the server's own tokens are created by the admin
/// command; a token naming no user is refused.
async fn resolve_user(state: &AppState, name: &str) -> Result<User, ApiError> {
    if let Some(user) = state.cached_user(name) {
        return Ok(user);
    }
    match state.store.find_user(name).await {
        Ok(Some(user)) => {
            state.cache_user(&user);
            Ok(user)
        }
        Ok(None) => {
            Err(ApiError::with(ErrorCode::InvalidAuthorizationHeader, "The token names an unknown user"))
        }
        Err(e) => Err(crate::state::store_error(&e, ErrorCode::CollectionOperationUnknownError)),
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        crate::state::store_error(&e, ErrorCode::CollectionOperationUnknownError)
    }
}

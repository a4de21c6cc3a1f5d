//! `groove-ceiling`: the HTTP stack of groove-server with nothing behind it.
//!
//! axum on tokio (the versions and features of the workspace), with the same middleware
//! layers as the real service (compression, CORS, panic catching). Each request's whole body
//! is read, as the real server reads it, and answered with a fixed body of the same size
//! and shape as the real answer: a `TrackActionResponse` of 10 results with collection IDs
//! for `collection/add`, the same without IDs for `collection/delete`. No token is checked,
//! no JSON parsed, no storage touched: what `groove-load` measures against it is the most
//! the stack, the load generator and this machine can do together.

use anyhow::Context as _;
use axum::Router;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use clap::Parser;
use groove_wire::ids::{CollectionId, CollectionKind};
use groove_wire::model::{TrackActionResponse, TrackActionResult};
use http::{HeaderValue, Method, StatusCode, Uri, header};
use std::net::SocketAddr;

#[derive(Debug, Parser)]
#[command(name = "groove-ceiling", about = "Fixed answers on groove-server's HTTP stack")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// Results in each answer (the load generator sends 10 IDs a request).
    #[arg(long, default_value_t = 10)]
    results: usize,
    /// Largest request body read, in bytes (the real server's limit).
    #[arg(long, default_value_t = 1024 * 1024)]
    max_body_bytes: usize,
}

#[derive(Clone, Debug)]
struct Bodies {
    add: Bytes,
    delete: Bytes,
    max_body_bytes: usize,
}

fn bodies(n: usize, max_body_bytes: usize) -> anyhow::Result<Bodies> {
    let catalog: Vec<String> = (0..n).map(|i| groove_bench::catalog::track_id(i as u64)).collect();
    let collection: Vec<String> =
        (0..n).map(|_| CollectionId::new(CollectionKind::Track).to_string()).collect();
    let add = TrackActionResponse {
        track_action_results: catalog
            .iter()
            .zip(&collection)
            .map(|(input, id)| TrackActionResult {
                input_id: input.clone(),
                id: Some(id.clone()),
                error: None,
            })
            .collect(),
        error: None,
    };
    let delete = TrackActionResponse {
        track_action_results: collection
            .iter()
            .map(|input| TrackActionResult { input_id: input.clone(), id: None, error: None })
            .collect(),
        error: None,
    };
    Ok(Bodies {
        add: Bytes::from(serde_json::to_vec(&add)?),
        delete: Bytes::from(serde_json::to_vec(&delete)?),
        max_body_bytes,
    })
}

fn json(status: StatusCode, body: Bytes) -> Response {
    let mut response = (status, Body::from(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

async fn answer(
    axum::extract::State(bodies): axum::extract::State<Bodies>,
    method: Method,
    uri: Uri,
    body: Body,
) -> Response {
    if axum::body::to_bytes(body, bodies.max_body_bytes).await.is_err() {
        return json(
            StatusCode::BAD_REQUEST,
            Bytes::from_static(br#"{"Error":{"ErrorCode":"INVALID-INPUT-PARAMETER"}}"#),
        );
    }
    let path = uri.path().to_ascii_lowercase();
    match method {
        Method::POST if path.ends_with("/collection/add") => json(StatusCode::OK, bodies.add.clone()),
        Method::POST if path.ends_with("/collection/delete") => json(StatusCode::OK, bodies.delete.clone()),
        _ => json(
            StatusCode::FORBIDDEN,
            Bytes::from_static(br#"{"Error":{"ErrorCode":"UNAUTHORIZED-API-METHOD"}}"#),
        ),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let bodies = bodies(args.results, args.max_body_bytes)?;
    // The same middleware as the real service.
    let app = groove_service::app::with_layers(
        Router::new().route("/healthz", get(|| async { "ok\n" })).fallback(answer).with_state(bodies),
    );
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    eprintln!("groove-ceiling: serving on {}", listener.local_addr()?);
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("groove-ceiling: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("groove-ceiling: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

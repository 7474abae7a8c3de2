//! The health and metrics endpoints, served on `BACKCARE_HTTP_ADDR`: `GET /healthz` (200 once
//! the index is loaded and a shard is connected, 503 otherwise, with a JSON body saying which)
//! and `GET /metrics` (Prometheus text format).
//!
//! Read-only: it reports what the service and the Discord layer record and changes nothing.

use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use serde_json::json;
use tokio::net::TcpListener;

use crate::health::metric;
use crate::service::Service;

/// Reply-latency buckets in seconds: answers take well under a millisecond to tens of
/// milliseconds, and anything past a second is a problem worth seeing.
const REPLY_SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// How often histogram samples are folded into buckets between scrapes, so they cannot pile
/// up when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the process-wide Prometheus recorder (once; later calls return the same handle).
pub fn metrics_recorder() -> Result<PrometheusHandle, BuildError> {
    // A lock, not a OnceLock check: two first callers must not both try to install.
    static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
    let mut installed = HANDLE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = installed.as_ref() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(metric::REPLY_SECONDS.to_owned()),
            REPLY_SECONDS_BUCKETS,
        )?
        .install_recorder()?;
    describe_metrics();
    *installed = Some(handle.clone());
    Ok(handle)
}

fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(metric::QUESTIONS, "Questions answered, by outcome.");
    describe_counter!(
        metric::ESCALATIONS,
        "Questions answered with a seek-care reply, by red-flag tier."
    );
    describe_histogram!(
        metric::REPLY_SECONDS,
        Unit::Seconds,
        "Time to compose a reply, from question to answer."
    );
    describe_counter!(metric::RELOADS, "Knowledge reloads that went live.");
    describe_counter!(
        metric::RELOADS_FAILED,
        "Knowledge reloads refused; the previous knowledge kept serving."
    );
    describe_gauge!(metric::SECTIONS, "Knowledge sections in the live index.");
    describe_gauge!(
        metric::SHARDS_CONNECTED,
        "Gateway shards of this process that are connected."
    );
}

/// What the endpoints read. The service slot is empty until the index is loaded.
#[derive(Clone)]
pub struct HttpState {
    pub service: Arc<OnceLock<Arc<Service>>>,
    pub metrics: PrometheusHandle,
}

/// Serves the endpoints on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: HttpState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let metrics = state.metrics.clone();
    let upkeep = tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP_EVERY);
        loop {
            every.tick().await;
            metrics.run_upkeep();
        }
    });
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(render_metrics))
        .with_state(state);
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    upkeep.abort();
    result
}

async fn healthz(State(state): State<HttpState>) -> impl IntoResponse {
    let service = state.service.get();
    let index_loaded = service.is_some();
    let shards_connected = service.map_or(0, |s| s.health.shards_connected());
    let draining = service.is_some_and(|s| s.health.is_draining());
    let status = if draining {
        "stopping"
    } else if !index_loaded {
        "loading index"
    } else if shards_connected == 0 {
        "no shard connected"
    } else {
        "ok"
    };
    let code = if status == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": status,
        "index_loaded": index_loaded,
        "shards_connected": shards_connected,
    });
    (code, Json(body))
}

async fn render_metrics(State(state): State<HttpState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

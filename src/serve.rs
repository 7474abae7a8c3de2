//! `backcare serve`: loads the index, serves health and metrics, runs the bot, and stops them
//! together.
//!
//! The order is what `/healthz` reports: the HTTP server comes up first (503 while the index
//! loads), then the service, then the gateway (200 once a shard is connected).

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::config::Config;
use crate::http::{self, HttpState};
use crate::service::Service;

/// How long the HTTP server may take to finish its last requests once the bot has stopped.
const HTTP_GRACE: Duration = Duration::from_secs(1);

/// Runs until `shutdown` completes (then returns `Ok` once questions in flight are answered),
/// or until loading or the gateway fails. `http` is a listener bound beforehand (tests bind
/// 127.0.0.1:0); without one, `BACKCARE_HTTP_ADDR` is bound if set.
pub async fn run(
    config: Config,
    http: Option<TcpListener>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let listener = match (http, config.http_addr) {
        (Some(listener), _) => Some(listener),
        (None, Some(addr)) => Some(
            TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on BACKCARE_HTTP_ADDR {addr}"))?,
        ),
        (None, None) => None,
    };
    let slot: Arc<OnceLock<Arc<Service>>> = Arc::default();
    let (stop_http, http_stopped) = oneshot::channel::<()>();
    let http_task = match listener {
        Some(listener) => {
            let metrics = http::metrics_recorder().context("cannot set up the metrics")?;
            let addr = listener
                .local_addr()
                .context("the HTTP listener has no address")?;
            tracing::info!(%addr, "serving /healthz and /metrics");
            let state = HttpState {
                service: Arc::clone(&slot),
                metrics,
            };
            Some(tokio::spawn(http::serve(listener, state, async move {
                let _ = http_stopped.await;
            })))
        }
        None => None,
    };

    let mut shutdown = std::pin::pin!(shutdown);
    let paths = (
        config.knowledge_dir.clone(),
        config.index_dir.clone(),
        config.data_dir.clone(),
    );
    // Building the index blocks; keep it off the async workers.
    let open = tokio::task::spawn_blocking(move || Service::open(&paths.0, &paths.1, &paths.2));
    let result = tokio::select! {
        opened = open => match opened.context("loading the index panicked") {
            Ok(Ok(service)) => {
                let _ = slot.set(Arc::clone(&service));
                tracing::info!(
                    sections = service.engine().knowledge().sections().count(),
                    "index loaded"
                );
                crate::discord::run(config, service, shutdown).await
            }
            Ok(Err(err)) | Err(err) => Err(err),
        },
        () = &mut shutdown => {
            tracing::info!("shutting down before the index was loaded");
            Ok(())
        }
    };

    let _ = stop_http.send(());
    if let Some(task) = http_task {
        match tokio::time::timeout(HTTP_GRACE, task).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(err))) => tracing::warn!(error = %err, "the HTTP server failed"),
            Ok(Err(err)) => tracing::warn!(error = %err, "the HTTP server panicked"),
            Err(_) => tracing::warn!("the HTTP server did not stop in time"),
        }
    }
    result
}

//! Trying a send to Discord again when Discord (or the proxy in front of it) says "not now":
//! a 5xx, a 429, or a connection that could not be opened.
//!
//! Against discord.com serenity's own rate limiter waits out 429s before they reach us, but
//! it never retries a 5xx; behind `DISCORD_API_URL` its rate limiter is off, so this is the
//! only retry there. Every other failure (403 Missing Permissions, 404 Unknown Interaction,
//! 400) comes back at once: sending the same thing again would fail the same way. Knows
//! nothing of what is sent.

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable as _};
use poise::serenity_prelude as serenity;
use serenity::http::HttpError;

/// Tries after the first: four attempts in all.
const RETRIES: usize = 3;
/// The first wait; each further wait doubles, plus up to as much again of jitter: about
/// 0.25 s, 0.5 s and 1 s.
const FIRST_DELAY: Duration = Duration::from_millis(250);
/// The least wait after a 429. serenity 0.12 keeps neither the `Retry-After` header nor the
/// body's `retry_after` in its error, so the wait cannot follow them; Discord's per-route
/// limits on messages reset within a few seconds, which the waits add up to.
const RATE_LIMITED_DELAY: Duration = Duration::from_secs(1);
/// All waits together stay under this, so a reply is sent or given up within seconds (a
/// shutdown waits 3 s for questions in flight).
pub const MAX_TOTAL_WAIT: Duration = Duration::from_secs(4);

/// Why a failed send is worth trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transient {
    /// 5xx: Discord or the proxy had a problem.
    ServerError,
    /// 429: too many requests.
    RateLimited,
    /// The connection could not be opened, so nothing was sent.
    Unreachable,
}

/// Whether `err` is worth another try, and why; `None` for a failure that would repeat.
pub fn transient(err: &serenity::Error) -> Option<Transient> {
    let serenity::Error::Http(err) = err else {
        return None;
    };
    match err {
        HttpError::UnsuccessfulRequest(response) if response.status_code.as_u16() == 429 => {
            Some(Transient::RateLimited)
        }
        HttpError::UnsuccessfulRequest(response) if response.status_code.is_server_error() => {
            Some(Transient::ServerError)
        }
        HttpError::Request(err) if err.is_connect() => Some(Transient::Unreachable),
        _ => None,
    }
}

/// Runs `send` until it succeeds, fails for good, or has been tried four times; each retry is
/// logged with `what` (never the content). `send` builds the request afresh each time.
pub async fn send_with_retry<T, Fut>(
    what: &'static str,
    send: impl FnMut() -> Fut,
) -> Result<T, serenity::Error>
where
    Fut: Future<Output = Result<T, serenity::Error>>,
{
    let backoff = ExponentialBuilder::new()
        .with_min_delay(FIRST_DELAY)
        .with_factor(2.0)
        .with_jitter()
        .with_max_times(RETRIES);
    send.retry(backoff)
        .when(|err| transient(err).is_some())
        .adjust(|err, delay| match transient(err) {
            // At most 1 s + 1 s + 2 s: within MAX_TOTAL_WAIT.
            Some(Transient::RateLimited) => delay.map(|d| d.max(RATE_LIMITED_DELAY)),
            _ => delay,
        })
        .notify(|err, delay| {
            tracing::warn!(
                what,
                reason = ?transient(err),
                error = %err,
                retry_in_ms = delay.as_millis() as u64,
                "Discord refused a send for now; trying again"
            );
        })
        .await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::http;

    use super::*;

    /// A serenity error for a response with this status, built the way serenity builds one.
    async fn status(code: u16) -> serenity::Error {
        let response = http::Response::builder()
            .status(code)
            .body(r#"{"message": "fake", "code": 0}"#)
            .expect("a response");
        let response =
            serenity::http::ErrorResponse::from_response(response.into(), http::Method::POST).await;
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response))
    }

    #[tokio::test]
    async fn only_server_errors_and_rate_limits_are_worth_another_try() {
        assert_eq!(transient(&status(500).await), Some(Transient::ServerError));
        assert_eq!(transient(&status(502).await), Some(Transient::ServerError));
        assert_eq!(transient(&status(429).await), Some(Transient::RateLimited));
        for code in [400, 403, 404] {
            assert_eq!(transient(&status(code).await), None, "{code}");
        }
        assert_eq!(transient(&serenity::Error::Other("no")), None);
    }

    /// Runs `send_with_retry` over a send that fails with `failures` in turn, then succeeds;
    /// returns the result, the attempts made and the time waited (on a paused clock).
    async fn run(failures: &[u16]) -> (Result<(), u16>, usize, Duration) {
        let mut errors = Vec::new();
        for &code in failures.iter().rev() {
            errors.push(status(code).await);
        }
        let errors = std::sync::Mutex::new(errors);
        let attempts = AtomicUsize::new(0);
        let started = tokio::time::Instant::now();
        let result = send_with_retry("test", || async {
            attempts.fetch_add(1, Ordering::SeqCst);
            match errors.lock().expect("errors").pop() {
                Some(err) => Err(err),
                None => Ok(()),
            }
        })
        .await
        .map_err(|err| match err {
            serenity::Error::Http(err) => err.status_code().map_or(0, |s| s.as_u16()),
            _ => 0,
        });
        (result, attempts.into_inner(), started.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn a_send_refused_with_500_once_is_sent_again_and_succeeds() {
        let (result, attempts, waited) = run(&[500]).await;
        assert_eq!(result, Ok(()));
        assert_eq!(attempts, 2);
        assert!(waited >= FIRST_DELAY, "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_limited_send_waits_at_least_a_second_before_the_next_try() {
        let (result, attempts, waited) = run(&[429]).await;
        assert_eq!(result, Ok(()));
        assert_eq!(attempts, 2);
        assert!(waited >= RATE_LIMITED_DELAY, "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_forbidden_send_is_not_tried_again() {
        let (result, attempts, _) = run(&[403]).await;
        assert_eq!(result, Err(403));
        assert_eq!(attempts, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_send_that_keeps_failing_gives_up_after_four_tries_within_the_bound() {
        for failures in [[500, 503, 502, 500], [429, 429, 429, 429]] {
            let (result, attempts, waited) = run(&failures).await;
            assert_eq!(result, Err(failures[3]));
            assert_eq!(attempts, RETRIES + 1);
            assert!(waited <= MAX_TOTAL_WAIT, "{waited:?}");
        }
    }
}

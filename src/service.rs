//! The answering service a running bot uses: the live engine plus what every answer leaves
//! behind (usage stats, metrics and one log span per question).
//!
//! The single place a front end gets an answer from, so counting and logging cannot be
//! forgotten on one path. Knows nothing of Discord; logs no message text at info level.

use std::sync::Arc;
use std::time::Instant;

use crate::engine::{Answer, Engine};
use crate::health::{metric, Health};
use crate::live::Live;
use crate::reply::Reply;
use crate::store::Store;
use crate::triage::Confidence;

/// Where a question came from, for the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Command,
    Mention,
    DirectMessage,
    WatchedChannel,
    /// A menu entry or button under an earlier answer.
    Component,
    /// A moderator checked someone's message ("Check for red flags").
    Moderator,
}

impl Via {
    /// How the store and the logs name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Command => "command",
            Via::Mention => "mention",
            Via::DirectMessage => "direct_message",
            Via::WatchedChannel => "watched_channel",
            Via::Component => "component",
            Via::Moderator => "moderator",
        }
    }
}

pub struct Service {
    pub live: Live,
    /// Usage counts, votes and unanswered questions (SQLite in the data folder).
    pub store: Store,
    /// Shards connected and shutdown state, for `/healthz`.
    pub health: Health,
}

impl Service {
    pub fn new(live: Live, store: Store) -> Arc<Service> {
        let service = Service {
            live,
            store,
            health: Health::default(),
        };
        service.record_sections();
        Arc::new(service)
    }

    /// Opens the knowledge (building the index when needed) and the usage stats.
    pub fn open(
        knowledge_dir: &std::path::Path,
        index_dir: &std::path::Path,
        data_dir: &std::path::Path,
    ) -> anyhow::Result<Arc<Service>> {
        let (engine, _) = Engine::open(knowledge_dir, index_dir)?;
        // Stats are not worth an outage: a store that cannot be opened is logged and tried
        // again at each write while the bot answers.
        let store = Store::open_or_log(data_dir);
        Ok(Service::new(
            Live::new(engine, knowledge_dir, index_dir),
            store,
        ))
    }

    /// The engine for the next question.
    pub fn engine(&self) -> Arc<Engine> {
        self.live.current()
    }

    /// Answers a question someone asked the bot; `after` is the section of the answer it
    /// replies to, if any ([`Engine::ask_in_context`]).
    pub fn answer(&self, question: &str, after: Option<&str>, via: Via) -> Answer {
        let started = Instant::now();
        let engine = self.engine();
        let answer = match after {
            Some(section) => engine.ask_in_context(question, section),
            None => engine.ask(question),
        };
        self.record(question, &answer, via, started);
        answer
    }

    /// A section (or the overview) a member chose by name, a menu or a button; `None` when
    /// a reload removed it. Counted like any answer.
    pub fn choose(&self, id: &str, via: Via) -> Option<Answer> {
        let started = Instant::now();
        let answer = self.engine().choose(id)?;
        self.record(id, &answer, via, started);
        Some(answer)
    }

    /// Triage only: for watched channels, where only red flags get a reply and only strong
    /// evidence counts, and before the rate limit for every question.
    pub fn check_red_flags(&self, message: &str, via: Via) -> Option<Answer> {
        let started = Instant::now();
        let confidence = match via {
            Via::WatchedChannel => Confidence::Strong,
            _ => Confidence::Weak,
        };
        let answer = self.engine().check_red_flags(message, confidence)?;
        self.record(message, &answer, via, started);
        Some(answer)
    }

    fn record(&self, question: &str, answer: &Answer, via: Via, started: Instant) {
        let outcome = answer.reply.kind();
        let elapsed = started.elapsed();
        self.store.record(question, answer, via.as_str());
        metrics::counter!(metric::QUESTIONS, "outcome" => outcome).increment(1);
        if let Reply::SeekCare(care) = &answer.reply {
            metrics::counter!(metric::ESCALATIONS, "tier" => care.tier.as_str()).increment(1);
        }
        metrics::histogram!(metric::REPLY_SECONDS).record(elapsed.as_secs_f64());
        tracing::info!(
            outcome,
            via = ?via,
            tier = answer.tier().map(|t| t.as_str()),
            section = answer.section.as_ref().map(|s| s.id.as_str()),
            latency_us = elapsed.as_micros() as u64,
            "question answered"
        );
        tracing::debug!(question, "question text");
    }

    /// Reloads the knowledge (blocking: run it off the async workers) and counts the result.
    pub fn reload(&self) -> Result<crate::live::Reloaded, crate::live::ReloadError> {
        let result = self.live.reload();
        match &result {
            Ok(reloaded) => {
                metrics::counter!(metric::RELOADS).increment(1);
                self.record_sections();
                tracing::info!(changes = %reloaded.changes, failures = reloaded.failures.len(), "knowledge reloaded");
            }
            Err(err) => {
                metrics::counter!(metric::RELOADS_FAILED).increment(1);
                tracing::error!(error = %err, "knowledge reload refused; the previous knowledge keeps serving");
            }
        }
        result
    }

    /// See [`Live::first_to_report`]. Blocking.
    pub fn first_to_report(&self) -> bool {
        self.live.first_to_report()
    }

    fn record_sections(&self) {
        let sections = self.engine().knowledge().sections().count();
        metrics::gauge!(metric::SECTIONS).set(sections as f64);
    }
}

//! The per-member limit on questions (`BACKCARE_RATE_LIMIT`), so one member or a script
//! cannot flood a channel with answers, and the short notice a limited member gets.
//!
//! Only decides whether a question may be answered now. Callers triage first: a red-flag
//! message is answered whatever the limit says, so nothing here can hold back a seek-care
//! reply. Remembers member ids only while they are limited, and never any text.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use poise::serenity_prelude::UserId;

use crate::config::RateLimit;
use crate::health::metric;
use crate::reply::Reply;
use crate::service::{Service, Via};

type Limiter<C> =
    RateLimiter<UserId, DashMapStateStore<UserId>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// How often members who are no longer limited are forgotten, so memory stays bounded by
/// the members who asked recently.
pub const FORGET_EVERY: Duration = Duration::from_secs(60);

/// The limits of a running bot: questions per member, and notices per member.
pub struct QuestionLimits<C: Clock = DefaultClock> {
    questions: Limiter<C>,
    /// At most one "you're asking quickly" per member per period, so flooding the bot
    /// cannot make it flood the channel with notices instead.
    notices: Limiter<C>,
    clock: C,
}

/// Whether a member's question is answered now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Answer,
    /// Over the limit. `notify` is true for the first refusal in a period: tell them once,
    /// then stay silent.
    Wait {
        retry_in: Duration,
        notify: bool,
    },
}

impl QuestionLimits {
    pub fn new(limit: RateLimit) -> QuestionLimits {
        QuestionLimits::with_clock(limit, DefaultClock::default())
    }
}

impl<C: Clock + Clone> QuestionLimits<C> {
    /// Limits on `clock`, so tests can move time by hand.
    pub fn with_clock(limit: RateLimit, clock: C) -> QuestionLimits<C> {
        // `questions` at once, then one more every `per / questions`: a member who waited a
        // whole period has their full allowance back.
        let questions = quota(limit.per / limit.questions.get(), limit.questions);
        let notices = quota(limit.per, NonZeroU32::MIN);
        QuestionLimits {
            questions: RateLimiter::dashmap_with_clock(questions, clock.clone()),
            notices: RateLimiter::dashmap_with_clock(notices, clock.clone()),
            clock,
        }
    }

    /// Counts a question from `member` (never call it for a red-flag message) and says
    /// whether to answer it.
    pub fn check(&self, member: UserId) -> Verdict {
        match self.questions.check_key(&member) {
            Ok(()) => Verdict::Answer,
            Err(not_until) => Verdict::Wait {
                retry_in: not_until.wait_time_from(self.clock.now()),
                notify: self.notices.check_key(&member).is_ok(),
            },
        }
    }

    /// Forgets members whose limits are back to a fresh state. Run every [`FORGET_EVERY`].
    pub fn forget_idle(&self) {
        for limiter in [&self.questions, &self.notices] {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// How many members are remembered (for tests and logs).
    pub fn remembered(&self) -> usize {
        self.questions.len().max(self.notices.len())
    }
}

/// What the bot does with a question someone asked it.
#[derive(Debug)]
pub enum Asked {
    Reply(Box<Reply>),
    /// Over the limit: no answer now (see [`Verdict::Wait`]).
    Wait {
        retry_in: Duration,
        notify: bool,
    },
    /// The bot is shutting down: only warning signs are answered now; the member is told
    /// to ask again ([`RESTARTING`]).
    Restarting,
}

/// Shown to a member whose ordinary question arrives while the bot is shutting down.
pub const RESTARTING: &str = "The bot is restarting; please ask again in a minute. Messages about warning signs are still answered.";

/// Triage first, then the limit, then the search: a red-flag message always gets its
/// seek-care reply however fast its author is asking, and does not count against the limit,
/// even while the bot shuts down (triage takes microseconds); only ordinary questions wait.
pub fn ask(
    service: &Service,
    limits: &QuestionLimits,
    member: UserId,
    question: &str,
    after: Option<&str>,
    via: Via,
) -> Asked {
    if let Some(care) = service.check_red_flags(question, via) {
        return Asked::Reply(Box::new(care.reply));
    }
    if service.health.is_draining() {
        tracing::debug!(?via, "shutting down; an ordinary question is declined");
        return Asked::Restarting;
    }
    match limits.check(member) {
        Verdict::Answer => Asked::Reply(Box::new(service.answer(question, after, via).reply)),
        Verdict::Wait { retry_in, notify } => {
            metrics::counter!(metric::QUESTIONS_LIMITED).increment(1);
            // Once per member and period at info: a flood must not become a log flood.
            if notify {
                tracing::info!(?via, "a member is over the rate limit; questions wait");
            } else {
                tracing::debug!(?via, "question over the rate limit; not answered");
            }
            Asked::Wait { retry_in, notify }
        }
    }
}

/// `burst` at once, then one every `every`. Config refuses a zero period; were one to get
/// here anyway, it becomes one per second rather than no limit.
fn quota(every: Duration, burst: NonZeroU32) -> Quota {
    Quota::with_period(every)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// What a limited member is told: when to ask again, and that warning signs still get
/// through.
pub fn notice(retry_in: Duration) -> String {
    let secs = retry_in.as_secs() + u64::from(retry_in.subsec_nanos() > 0);
    let secs = secs.max(1);
    let unit = if secs == 1 { "second" } else { "seconds" };
    format!(
        "You're asking quickly; please try again in {secs} {unit}. Messages about warning signs are always answered at once."
    )
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn limits(
        questions: u32,
        per_secs: u64,
    ) -> (QuestionLimits<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        let limit = RateLimit {
            questions: NonZeroU32::new(questions).expect("non-zero"),
            per: Duration::from_secs(per_secs),
        };
        (QuestionLimits::with_clock(limit, clock.clone()), clock)
    }

    #[test]
    fn five_questions_are_answered_then_the_sixth_waits_with_one_notice() {
        let (limits, clock) = limits(5, 30);
        let member = UserId::new(1);
        for _ in 0..5 {
            assert_eq!(limits.check(member), Verdict::Answer);
        }
        let Verdict::Wait { retry_in, notify } = limits.check(member) else {
            panic!("the sixth question was answered");
        };
        assert!(notify, "the first refusal is told");
        assert_eq!(retry_in, Duration::from_secs(6));
        for _ in 0..100 {
            assert!(matches!(
                limits.check(member),
                Verdict::Wait { notify: false, .. }
            ));
        }
        // Another member is not held back by the first.
        assert_eq!(limits.check(UserId::new(2)), Verdict::Answer);

        // One question back every six seconds; the next notice only a period later.
        clock.advance(Duration::from_secs(6));
        assert_eq!(limits.check(member), Verdict::Answer);
        assert!(matches!(
            limits.check(member),
            Verdict::Wait { notify: false, .. }
        ));
        clock.advance(Duration::from_secs(30));
        for _ in 0..5 {
            assert_eq!(limits.check(member), Verdict::Answer);
        }
        assert!(matches!(
            limits.check(member),
            Verdict::Wait { notify: true, .. }
        ));
    }

    #[test]
    fn members_back_to_a_fresh_state_are_forgotten() {
        let (limits, clock) = limits(5, 30);
        for id in 1..=1000 {
            limits.check(UserId::new(id));
        }
        assert_eq!(limits.remembered(), 1000);
        limits.forget_idle();
        assert_eq!(limits.remembered(), 1000, "still within their period");
        clock.advance(Duration::from_secs(31));
        limits.forget_idle();
        assert_eq!(limits.remembered(), 0);
    }

    #[test]
    fn the_notice_rounds_up_to_whole_seconds() {
        assert!(notice(Duration::from_millis(5200)).contains("in 6 seconds"));
        assert!(notice(Duration::from_millis(10)).contains("in 1 second."));
        assert!(notice(Duration::ZERO).contains("in 1 second."));
    }
}

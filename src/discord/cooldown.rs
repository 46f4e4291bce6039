//! Anti-spam state: a per-user cooldown and a memory of recent answers per channel.
//! Pure (time is passed in) so the rules are unit-tested without a clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Whether a person may ask now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ready,
    /// Too soon; `first_warning` is true only once per cooldown, so public notes are not spammed.
    Wait {
        remaining: Duration,
        first_warning: bool,
    },
}

#[derive(Debug)]
pub struct Cooldowns {
    period: Duration,
    /// User id -> when they last got an answer, and whether they were warned since.
    last: HashMap<u64, (Instant, bool)>,
}

impl Cooldowns {
    pub fn new(period: Duration) -> Self {
        Cooldowns {
            period,
            last: HashMap::new(),
        }
    }

    /// Checks `user` and, when ready, starts a new cooldown for them.
    pub fn check(&mut self, user: u64, now: Instant) -> Verdict {
        if self.period.is_zero() {
            return Verdict::Ready;
        }
        // Bound memory: forget everyone whose cooldown is over.
        if self.last.len() > 10_000 {
            let period = self.period;
            self.last
                .retain(|_, (t, _)| now.saturating_duration_since(*t) < period);
        }
        match self.last.get_mut(&user) {
            Some((t, warned)) if now.saturating_duration_since(*t) < self.period => {
                let remaining = self.period - now.saturating_duration_since(*t);
                let first_warning = !*warned;
                *warned = true;
                Verdict::Wait {
                    remaining,
                    first_warning,
                }
            }
            _ => {
                self.last.insert(user, (now, false));
                Verdict::Ready
            }
        }
    }
}

/// Where an earlier answer can be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earlier {
    pub link: String,
}

/// Answers given recently, keyed by channel and normalised question.
#[derive(Debug)]
pub struct RecentAnswers {
    window: Duration,
    seen: HashMap<(u64, String), (Instant, String)>,
}

/// The memory key for a question: folded (case, accents, quotes), whitespace collapsed,
/// closing punctuation ignored ("How many?" and "how many" are the same question).
pub fn question_key(question: &str, report: Option<&str>) -> String {
    let folded = crate::matcher::fold(question);
    let folded = folded.trim().trim_end_matches(['?', '!', '.', '？', ' ']);
    let words: Vec<&str> = folded.split_whitespace().collect();
    format!("{}|{}", report.unwrap_or(""), words.join(" "))
}

impl RecentAnswers {
    pub fn new(window: Duration) -> Self {
        RecentAnswers {
            window,
            seen: HashMap::new(),
        }
    }

    /// The earlier answer to the same question in this channel, if still within the window.
    pub fn earlier(&self, channel: u64, key: &str, now: Instant) -> Option<Earlier> {
        let (t, link) = self.seen.get(&(channel, key.to_string()))?;
        (now.saturating_duration_since(*t) < self.window).then(|| Earlier { link: link.clone() })
    }

    pub fn remember(&mut self, channel: u64, key: String, link: String, now: Instant) {
        if self.window.is_zero() {
            return;
        }
        if self.seen.len() > 10_000 {
            let window = self.window;
            self.seen
                .retain(|_, (t, _)| now.saturating_duration_since(*t) < window);
        }
        self.seen.insert((channel, key), (now, link));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooldown_blocks_then_releases_and_warns_once() {
        let mut c = Cooldowns::new(Duration::from_secs(3));
        let t0 = Instant::now();
        assert_eq!(c.check(1, t0), Verdict::Ready);
        assert_eq!(
            c.check(2, t0),
            Verdict::Ready,
            "other users are independent"
        );
        assert_eq!(
            c.check(1, t0 + Duration::from_secs(1)),
            Verdict::Wait {
                remaining: Duration::from_secs(2),
                first_warning: true
            }
        );
        assert!(matches!(
            c.check(1, t0 + Duration::from_secs(2)),
            Verdict::Wait {
                first_warning: false,
                ..
            }
        ));
        assert_eq!(c.check(1, t0 + Duration::from_secs(3)), Verdict::Ready);
    }

    #[test]
    fn zero_cooldown_never_blocks() {
        let mut c = Cooldowns::new(Duration::ZERO);
        let t0 = Instant::now();
        assert_eq!(c.check(1, t0), Verdict::Ready);
        assert_eq!(c.check(1, t0), Verdict::Ready);
    }

    #[test]
    fn same_question_same_channel_within_window() {
        let mut r = RecentAnswers::new(Duration::from_secs(300));
        let t0 = Instant::now();
        let key = question_key("How many  migrants?", None);
        assert_eq!(key, question_key("how many migrants", None));
        assert_ne!(key, question_key("how many migrants", Some("other")));
        r.remember(7, key.clone(), "https://link".into(), t0);
        assert_eq!(
            r.earlier(7, &key, t0 + Duration::from_secs(10))
                .unwrap()
                .link,
            "https://link"
        );
        assert_eq!(r.earlier(8, &key, t0), None, "another channel");
        assert_eq!(
            r.earlier(7, &key, t0 + Duration::from_secs(300)),
            None,
            "window over"
        );
    }
}

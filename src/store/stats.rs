//! What moderators read: questions, rates, top entries, votes, top unanswered.

use std::fmt;

use serde::Serialize;

use super::clusters::{self, Cluster};
use super::Snapshot;
use crate::matcher::Matcher;

/// Unanswered clusters shown in the stats.
const TOP_UNANSWERED: usize = 5;
/// Entries shown as the most asked.
pub(super) const TOP_ENTRIES: i64 = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryCount {
    pub entry: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryVotes {
    pub entry: String,
    pub up: u64,
    pub down: u64,
}

/// The log over the last `days` days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub days: u32,
    pub questions: u64,
    pub answered: u64,
    pub suggested: u64,
    /// Declines, small talk included.
    pub declined: u64,
    pub small_talk: u64,
    /// Distinct people who asked.
    pub askers: u64,
    /// Clicks on suggested questions.
    pub clicks: u64,
    pub mean_matching_micros: f64,
    /// Most answered entries, most first (at most 10).
    pub top_entries: Vec<EntryCount>,
    /// 👍/👎 per entry, most 👎 first.
    pub votes: Vec<EntryVotes>,
    /// The biggest unanswered clusters (at most 5) and how many there are.
    pub top_unanswered: Vec<Cluster>,
    pub unanswered_clusters: usize,
}

fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

impl Stats {
    pub fn answer_rate(&self) -> f64 {
        rate(self.answered, self.questions)
    }
    pub fn suggestion_rate(&self) -> f64 {
        rate(self.suggested, self.questions)
    }
    pub fn decline_rate(&self) -> f64 {
        rate(self.declined, self.questions)
    }
}

/// The figures a back end counts for [`Stats`], from one snapshot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counts {
    /// (status, questions, of which small talk).
    pub by_status: Vec<(String, u64, u64)>,
    pub askers: u64,
    pub mean_matching_micros: f64,
    pub clicks: u64,
    pub top_entries: Vec<EntryCount>,
    pub votes: Vec<EntryVotes>,
}

/// The stats from a snapshot: counts as read, unanswered clusters with `matcher`'s normalisation.
pub(super) fn build(snap: Snapshot, matcher: &Matcher, days: u32) -> Stats {
    let c = snap.counts;
    let mut s = Stats {
        days,
        questions: 0,
        answered: 0,
        suggested: 0,
        declined: 0,
        small_talk: 0,
        askers: c.askers,
        clicks: c.clicks,
        mean_matching_micros: c.mean_matching_micros,
        top_entries: c.top_entries,
        votes: c.votes,
        top_unanswered: Vec::new(),
        unanswered_clusters: 0,
    };
    for (status, count, small_talk) in c.by_status {
        s.questions += count;
        match status.as_str() {
            "answered" => s.answered += count,
            "suggested" => s.suggested += count,
            _ => {
                s.declined += count;
                s.small_talk += small_talk;
            }
        }
    }
    let all = clusters::all(&snap.rows, &snap.dismissed, matcher);
    s.unanswered_clusters = all.len();
    s.top_unanswered = all.into_iter().take(TOP_UNANSWERED).collect();
    s
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM UTC`.
pub(super) fn fmt_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

fn pct(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day_word = if self.days == 1 { "day" } else { "days" };
        writeln!(
            f,
            "Last {} {day_word}: {} question(s) from {} people",
            self.days, self.questions, self.askers
        )?;
        writeln!(
            f,
            "  answered   {:>6}  {}",
            self.answered,
            pct(self.answer_rate())
        )?;
        writeln!(
            f,
            "  suggested  {:>6}  {}",
            self.suggested,
            pct(self.suggestion_rate())
        )?;
        writeln!(
            f,
            "  declined   {:>6}  {} ({} small talk)",
            self.declined,
            pct(self.decline_rate()),
            self.small_talk
        )?;
        writeln!(
            f,
            "  suggestion clicks {}; mean matching time {:.0} µs",
            self.clicks, self.mean_matching_micros
        )?;
        if !self.top_entries.is_empty() {
            writeln!(f, "\nMost answered:")?;
            for e in &self.top_entries {
                writeln!(f, "  {:>6}  {}", e.count, e.entry)?;
            }
        }
        if !self.votes.is_empty() {
            writeln!(f, "\nVotes (👍 / 👎), most 👎 first:")?;
            for v in self.votes.iter().take(10) {
                writeln!(f, "  {:>4} / {:<4} {}", v.up, v.down, v.entry)?;
            }
            if self.votes.len() > 10 {
                writeln!(f, "  … and {} more entries", self.votes.len() - 10)?;
            }
        }
        if !self.top_unanswered.is_empty() {
            writeln!(
                f,
                "\nTop unanswered ({} cluster(s) in all):",
                self.unanswered_clusters
            )?;
            for c in &self.top_unanswered {
                writeln!(f, "  {c}")?;
            }
        }
        Ok(())
    }
}

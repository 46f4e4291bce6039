//! What moderators read: questions, rates, top entries, votes, top unanswered: the
//! store's counts, with its unanswered questions clustered.

use std::fmt;

use serde::Serialize;

use super::clusters::{self, Cluster};
use crate::matcher::Matcher;
use crate::store::{EntryCount, EntryVotes, Snapshot};

/// Unanswered clusters shown in the stats.
const TOP_UNANSWERED: usize = 5;

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

/// The stats from a snapshot: counts as read, unanswered clusters with `matcher`'s normalisation.
pub fn build(snap: Snapshot, matcher: &Matcher) -> Stats {
    let all = clusters::all(&snap, matcher);
    let c = snap.counts;
    let mut s = Stats {
        days: snap.days,
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
    s.unanswered_clusters = all.len();
    s.top_unanswered = all.into_iter().take(TOP_UNANSWERED).collect();
    s
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

//! How a report's phrasings fare when each is left out in turn: the one definition of a
//! collision that `kb coverage`, `kb lint` and `/faq-admin coverage` all show, each
//! entry's estimated answer rate, and what to change.
//!
//! Each phrasing is asked within its report as the bot is configured, scored as if it were
//! not written down: it stands for the unseen questions worded like it. The reply *leads*
//! with an entry: the one it answers with, the first it suggests, or the gap it declines
//! with. Then the phrasing is
//! - **kept** when the reply is what its entry is for: answered with its entry, or for a
//!   gap, declined with that gap's note;
//! - a **collision** when the reply leads with another entry. It is an *error* when the
//!   bot answers with that other entry (a wrong answer, or for a gap any answer) and a
//!   *warning* when it only offers it first (a suggestion, or another gap's note);
//! - otherwise **unanswered**: nothing leads, or its own entry is only suggested. Not a
//!   collision: the entry needs more phrasings, not different ones.
//!
//! An entry's estimated answer rate is the share of its phrasings kept.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::desk::Desk;
use crate::matcher::{LeftOut, Outcome};

/// An entry that answers this many phrasings of other entries is an attractor.
pub const ATTRACTOR: usize = 3;

/// One report's phrasings, each left out in turn.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// Phrasings asked (every entry's question, variants and keywords).
    pub phrasings: usize,
    /// Phrasings kept: answered with their entry, or declined with their gap.
    pub kept: usize,
    /// Phrasings nothing else leads for, their own entry not answering either.
    pub unanswered: usize,
    /// `kept / phrasings`: the report's estimated answer rate.
    pub estimated_rate: f64,
    /// Every entry's estimate, worst first.
    pub entries: Vec<EntryRate>,
    pub collisions: Vec<Collision>,
    /// Phrasings made of stop words alone, as (entry, phrasing): the matcher reads
    /// nothing in them, so they never find their entry, not even typed word for word.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub silent: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntryRate {
    pub entry: String,
    pub gap: bool,
    pub kept: usize,
    pub phrasings: usize,
    /// `kept / phrasings`.
    pub rate: f64,
    /// For a gap, phrasings declined without its note: no wrong answer, only a plainer
    /// "the report doesn't say".
    #[serde(skip_serializing_if = "is_zero")]
    pub declined: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A phrasing of `entry` whose reply, the phrasing left out, leads with `lands_on`.
#[derive(Debug, Clone, Serialize)]
pub struct Collision {
    pub entry: String,
    pub phrasing: String,
    pub lands_on: String,
    pub severity: Severity,
    /// Words of the phrasing that `lands_on` has and `entry` lacks: what pulled it.
    pub words: Vec<String>,
    /// Words both have, `lands_on` in more of its phrasings (shown when `words` is empty).
    pub shared: Vec<String>,
    /// Words of the phrasing that `entry` has and `lands_on` lacks: none, and nothing
    /// ties the phrasing to its entry.
    pub own: Vec<String>,
    /// Kinds of fact the phrasing asks for ("date") that `entry`'s answer does not state
    /// and `lands_on`'s does.
    pub unstated: Vec<String>,
    /// What to change, most telling first.
    pub advice: Vec<Advice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The bot answers with the other entry.
    Error,
    /// The bot offers the other entry first (a suggestion, or another gap's note).
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Advice {
    /// Make the answer of `entry` state the kinds of fact asked for.
    StateKind { entry: String, kinds: Vec<String> },
    /// Add a phrasing to `entry` with `words`; `shared` when both entries have them and
    /// the other uses them in more phrasings; `full` when the entry already has as many
    /// phrasings as an afternoon allows, so rewording one is the other way.
    AddPhrasing {
        entry: String,
        words: Vec<String>,
        shared: bool,
        full: bool,
    },
    /// Nothing in the phrasing is `entry`'s own: it may ask what `to` answers.
    Move { entry: String, to: String },
    /// The two entries collide both ways: one fact written twice is one entry.
    Merge { entry: String, with: String },
}

impl Diagnosis {
    /// Collisions where the bot answers with the other entry.
    pub fn errors(&self) -> usize {
        self.collisions
            .iter()
            .filter(|c| c.severity == Severity::Error)
            .count()
    }

    /// Entries that lead the replies to at least [`ATTRACTOR`] phrasings of others, with
    /// how many.
    pub fn attractors(&self) -> Vec<(&str, usize)> {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &self.collisions {
            *by.entry(c.lands_on.as_str()).or_default() += 1;
        }
        let mut found: Vec<(&str, usize)> =
            by.into_iter().filter(|(_, n)| *n >= ATTRACTOR).collect();
        found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        found
    }
}

/// Every phrasing of report `r`'s entries, left out in turn.
pub fn diagnose(desk: &Desk, r: usize) -> Diagnosis {
    let kb = desk.knowledge();
    let matcher = desk.matcher();
    let config = matcher.config();
    let mut entries = Vec::new();
    let mut collisions = Vec::new();
    let mut unanswered = 0;
    let mut silent = Vec::new();
    // The title's words name what every entry is about: never the word to add.
    let title: Vec<String> = matcher
        .analyzer()
        .terms(&kb.reports[r].title)
        .into_iter()
        .map(|t| t.words)
        .collect();
    for (index, entry) in kb.entries.iter().enumerate() {
        if entry.report != r {
            continue;
        }
        let mut kept = 0;
        let mut declined = 0;
        let mut total = 0;
        for (i, phrasing) in entry.phrasings().enumerate() {
            total += 1;
            if matcher.analyzer().terms(phrasing).is_empty() {
                silent.push((entry.id.clone(), phrasing.clone()));
            }
            let left = LeftOut {
                entry: index,
                phrasing: i,
            };
            let found = matcher.ask_leaving_out(phrasing, Some(r), &config, Some(left));
            let (leads, severity) = match &found.outcome {
                Outcome::Answered { entry } => (Some(*entry), Severity::Error),
                Outcome::Suggested { entries } => (entries.first().copied(), Severity::Warning),
                Outcome::Declined { gap, .. } => (*gap, Severity::Warning),
            };
            let own = match found.outcome {
                Outcome::Answered { .. } => !entry.is_gap(),
                Outcome::Declined { .. } => entry.is_gap(),
                Outcome::Suggested { .. } => false,
            };
            match leads {
                Some(e) if e == index && own => kept += 1,
                Some(other) if other != index => {
                    let mut pull = matcher.pull(phrasing, Some(index), other, Some(left));
                    pull.shared.retain(|w| !title.contains(w));
                    collisions.push(Collision {
                        entry: entry.id.clone(),
                        phrasing: phrasing.clone(),
                        lands_on: kb.entries[other].id.clone(),
                        severity,
                        words: pull.words,
                        shared: pull.shared,
                        own: pull.own,
                        unstated: pull.unstated,
                        advice: Vec::new(),
                    });
                }
                None if entry.is_gap() && matches!(found.outcome, Outcome::Declined { .. }) => {
                    declined += 1;
                    unanswered += 1;
                }
                _ => unanswered += 1,
            }
        }
        entries.push(EntryRate {
            entry: entry.id.clone(),
            gap: entry.is_gap(),
            kept,
            phrasings: total,
            rate: share(kept, total),
            declined,
        });
    }
    let kinds: BTreeMap<&str, (bool, usize)> = entries
        .iter()
        .map(|e| (e.entry.as_str(), (e.gap, e.phrasings)))
        .collect();
    advise(&mut collisions, |id| {
        kinds.get(id).copied().unwrap_or((false, 0))
    });
    entries.sort_by(|a, b| {
        a.rate
            .total_cmp(&b.rate)
            .then_with(|| a.entry.cmp(&b.entry))
    });
    let phrasings = entries.iter().map(|e| e.phrasings).sum();
    let kept = entries.iter().map(|e| e.kept).sum();
    Diagnosis {
        phrasings,
        kept,
        unanswered,
        estimated_rate: share(kept, phrasings),
        entries,
        collisions,
        silent,
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Each way of a pair must carry at least this share of its entry's phrasings, and
/// [`MERGE_LEAST`] of them, for the two to be told to merge: entries of one story share
/// words, and a few collisions both ways say only that.
const MERGE_SHARE: f64 = 0.2;
const MERGE_LEAST: usize = 2;

/// Fills each collision's advice; `entry(id)` is (is a gap, phrasings). Two entries of the
/// same kind (two facts, two gaps) that collide both ways, each way for at least
/// [`MERGE_SHARE`] of its phrasings, are told to merge when they answer the same thing.
fn advise(collisions: &mut [Collision], entry: impl Fn(&str) -> (bool, usize)) {
    let mut ways: BTreeMap<(String, String), usize> = BTreeMap::new();
    for c in collisions.iter() {
        *ways
            .entry((c.entry.clone(), c.lands_on.clone()))
            .or_default() += 1;
    }
    let heavy = |from: &str, to: &str| {
        let n = ways
            .get(&(from.to_string(), to.to_string()))
            .copied()
            .unwrap_or(0);
        n >= MERGE_LEAST && n as f64 >= MERGE_SHARE * entry(from).1 as f64
    };
    for c in collisions.iter_mut() {
        if !c.unstated.is_empty() {
            c.advice.push(Advice::StateKind {
                entry: c.entry.clone(),
                kinds: c.unstated.clone(),
            });
        }
        let shared = c.words.is_empty();
        // A sign alone ("$") is no word an editor can write a phrasing around.
        let words = if shared { &c.shared } else { &c.words };
        c.advice.push(Advice::AddPhrasing {
            entry: c.entry.clone(),
            words: words
                .iter()
                .filter(|w| w.chars().any(char::is_alphanumeric))
                .cloned()
                .collect(),
            shared,
            full: entry(&c.entry).1 >= AFTERNOON_PHRASINGS,
        });
        if c.own.is_empty() {
            c.advice.push(Advice::Move {
                entry: c.entry.clone(),
                to: c.lands_on.clone(),
            });
        }
        let both_ways = heavy(&c.entry, &c.lands_on) && heavy(&c.lands_on, &c.entry);
        if both_ways && entry(&c.entry).0 == entry(&c.lands_on).0 {
            c.advice.push(Advice::Merge {
                entry: c.entry.clone(),
                with: c.lands_on.clone(),
            });
        }
    }
}

/// Phrasings an entry written in an afternoon has at most (`docs/adding-a-report.md`):
/// past it, advice to add one also offers to reword one.
const AFTERNOON_PHRASINGS: usize = 6;

/// The other way, for an entry that has all the phrasings an afternoon allows.
fn reword(f: &mut fmt::Formatter<'_>, full: bool) -> fmt::Result {
    if full {
        write!(
            f,
            "; it has {AFTERNOON_PHRASINGS} or more already, so instead you may reword the one least like what readers ask"
        )?;
    }
    Ok(())
}

/// Words quoted and joined: "new", "libraries".
fn quoted(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Advice::StateKind { entry, kinds } => write!(
                f,
                "make `{entry}`'s answer state its {} (the question asks for one)",
                kinds.join(" or ")
            ),
            Advice::AddPhrasing {
                entry,
                words,
                shared: false,
                full,
            } if !words.is_empty() => {
                write!(f, "add a phrasing to `{entry}` with {}", quoted(words))?;
                reword(f, *full)
            }
            Advice::AddPhrasing {
                entry,
                words,
                shared: true,
                full,
            } if !words.is_empty() => {
                write!(
                    f,
                    "add phrasings to `{entry}` with {} (both entries have them; the other uses them in more phrasings)",
                    quoted(words)
                )?;
                reword(f, *full)
            }
            Advice::AddPhrasing { entry, full, .. } => {
                write!(
                    f,
                    "add a phrasing to `{entry}` worded like this one, with a word of the fact that sets it apart"
                )?;
                reword(f, *full)
            }
            Advice::Move { entry, to } => write!(
                f,
                "or, if it asks what `{to}` answers, move this phrasing there (no word of it is `{entry}`'s alone)"
            ),
            Advice::Merge { entry, with } => write!(
                f,
                "if `{entry}` and `{with}` answer the same thing, merge them (they collide both ways)"
            ),
        }
    }
}

impl Diagnosis {
    /// "12 collision(s) (3 answer with another entry, 9 offer one first)".
    pub fn count(&self) -> String {
        let errors = self.errors();
        format!(
            "{} collision(s) ({errors} answer with another entry, {} offer one first)",
            self.collisions.len(),
            self.collisions.len() - errors
        )
    }
}

/// The estimate, each entry's (worst first) and every collision with its advice, indented
/// under a report's heading: what `kb coverage` and `kb lint` both print.
/// Pairs listed at the top of the diagnosis.
const PAIRS_SHOWN: usize = 8;

impl Diagnosis {
    /// Collisions by the two entries involved, whichever way: (one, other, collisions,
    /// errors), most collisions first. Fixing the first pairs fixes most of the list.
    pub fn pairs(&self) -> Vec<(String, String, usize, usize)> {
        let mut counts: std::collections::BTreeMap<(String, String), (usize, usize)> =
            Default::default();
        for c in &self.collisions {
            let key = if c.entry <= c.lands_on {
                (c.entry.clone(), c.lands_on.clone())
            } else {
                (c.lands_on.clone(), c.entry.clone())
            };
            let count = counts.entry(key).or_default();
            count.0 += 1;
            if c.severity == Severity::Error {
                count.1 += 1;
            }
        }
        let mut pairs: Vec<_> = counts
            .into_iter()
            .map(|((a, b), (n, errors))| (a, b, n, errors))
            .collect();
        pairs.sort_by(|x, y| y.2.cmp(&x.2).then(y.3.cmp(&x.3)));
        pairs
    }
}

/// Which collisions to show: one entry's, only errors, or all.
#[derive(Debug, Clone, Default)]
pub struct Focus {
    pub entry: Option<String>,
    pub errors: bool,
}

impl Focus {
    fn keeps(&self, c: &Collision) -> bool {
        self.entry
            .as_deref()
            .is_none_or(|id| c.entry == id || c.lands_on == id)
            && (!self.errors || c.severity == Severity::Error)
    }
}

impl Diagnosis {
    /// The diagnosis with only the collisions (and entry rates) `focus` asks for; the
    /// report's figures stay whole, and a line says how many collisions are shown.
    pub fn focused(&self, focus: &Focus) -> String {
        if focus.entry.is_none() && !focus.errors {
            return self.to_string();
        }
        let shown = Diagnosis {
            entries: self
                .entries
                .iter()
                .filter(|e| focus.entry.as_deref().is_none_or(|id| e.entry == id))
                .cloned()
                .collect(),
            collisions: self
                .collisions
                .iter()
                .filter(|c| focus.keeps(c))
                .cloned()
                .collect(),
            ..self.clone()
        };
        format!(
            "{shown}  showing {} of {} collision(s){}{}\n",
            shown.collisions.len(),
            self.collisions.len(),
            focus
                .entry
                .as_deref()
                .map(|id| format!(", those of `{id}`"))
                .unwrap_or_default(),
            if focus.errors { ", errors only" } else { "" }
        )
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  estimated answer rate {:.2}: {} of {} phrasings, each left out, get their entry's reply ({} unanswered, {} colliding)",
            self.estimated_rate,
            self.kept,
            self.phrasings,
            self.unanswered,
            self.collisions.len()
        )?;
        let pairs = self.pairs();
        if !pairs.is_empty() {
            writeln!(
                f,
                "  pairs of entries that take each other's questions, most first (start here):"
            )?;
            for p in pairs.iter().take(PAIRS_SHOWN) {
                writeln!(
                    f,
                    "    {} ↔ {}: {} collision(s) ({} errors)",
                    p.0, p.1, p.2, p.3
                )?;
            }
            if pairs.len() > PAIRS_SHOWN {
                writeln!(f, "    … and {} more pairs", pairs.len() - PAIRS_SHOWN)?;
            }
        }
        writeln!(f, "  per entry, worst first:")?;
        for e in &self.entries {
            let gap = match (e.gap, e.declined) {
                (false, _) => String::new(),
                (true, 0) => " (gap)".to_string(),
                (true, n) => format!(" (gap; {n} more declined, without its note)"),
            };
            writeln!(
                f,
                "    {:.2} ({}/{}) {}{gap}",
                e.rate, e.kept, e.phrasings, e.entry
            )?;
        }
        for c in &self.collisions {
            let label = match c.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            writeln!(
                f,
                "  {label}: \"{}\" ({}) {} {}: {}",
                c.phrasing,
                c.entry,
                c.verb(),
                c.lands_on,
                c.why()
            )?;
            for a in &c.advice {
                writeln!(f, "      fix: {a}")?;
            }
        }
        Ok(())
    }
}

impl Collision {
    /// "answered with" for an error, "offered" for a warning.
    pub fn verb(&self) -> &'static str {
        match self.severity {
            Severity::Error => "is answered with",
            Severity::Warning => "offers first",
        }
    }

    /// What pulled it, for one line: "pulled by "libraries", "next year"".
    pub fn why(&self) -> String {
        let mut why = Vec::new();
        if !self.words.is_empty() {
            why.push(format!("pulled by {}", quoted(&self.words)));
        } else if !self.shared.is_empty() {
            why.push(format!("both have {}", quoted(&self.shared)));
        }
        if !self.unstated.is_empty() {
            why.push(format!(
                "asks for a {} its answer lacks",
                self.unstated.join(" or ")
            ));
        }
        if why.is_empty() {
            why.push(format!(
                "no word tells them apart; a phrasing of {} is closer to it",
                self.lands_on
            ));
        }
        why.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collision(entry: &str, lands_on: &str, words: &[&str]) -> Collision {
        Collision {
            entry: entry.into(),
            phrasing: "q".into(),
            lands_on: lands_on.into(),
            severity: Severity::Error,
            words: words.iter().map(|w| w.to_string()).collect(),
            shared: vec!["park".into()],
            own: vec!["river".into()],
            unstated: Vec::new(),
            advice: Vec::new(),
        }
    }

    #[test]
    fn collisions_both_ways_between_facts_are_told_to_merge() {
        let mut c = vec![
            collision("a", "b", &["cost"]),
            collision("a", "b", &["price"]),
            collision("b", "a", &[]),
            collision("b", "a", &["park"]),
            collision("a", "gap-c", &["when"]),
            collision("a", "gap-c", &["date"]),
            collision("gap-c", "a", &["bridge"]),
            collision("gap-c", "a", &["span"]),
            collision("c", "d", &["one"]),
            collision("d", "c", &["way"]),
        ];
        advise(&mut c, |id| (id.starts_with("gap"), 5));
        assert!(c[0].advice.contains(&Advice::Merge {
            entry: "a".into(),
            with: "b".into()
        }));
        assert_eq!(
            c[2].advice[0],
            Advice::AddPhrasing {
                entry: "b".into(),
                words: vec!["park".into()],
                shared: true,
                full: false
            }
        );
        // A gap and a fact are never one entry; once each way is not a pattern.
        assert!(!c[4..]
            .iter()
            .flat_map(|c| &c.advice)
            .any(|a| matches!(a, Advice::Merge { .. })));
        assert_eq!(
            c[0].advice[0].to_string(),
            "add a phrasing to `a` with \"cost\""
        );
    }

    #[test]
    fn a_sign_alone_is_not_offered_as_a_word_to_write() {
        let mut c = vec![
            collision("a", "b", &["$", "wage"]),
            collision("c", "d", &["$"]),
        ];
        advise(&mut c, |_| (false, 5));
        assert_eq!(
            c[0].advice[0].to_string(),
            "add a phrasing to `a` with \"wage\""
        );
        assert_eq!(
            c[1].advice[0].to_string(),
            "add a phrasing to `c` worded like this one, with a word of the fact that sets it apart"
        );
    }

    #[test]
    fn an_entry_with_six_phrasings_is_also_told_it_may_reword_one() {
        let mut c = vec![collision("a", "b", &["wage"])];
        advise(&mut c, |_| (false, 6));
        assert_eq!(
            c[0].advice[0].to_string(),
            "add a phrasing to `a` with \"wage\"; it has 6 or more already, so instead you may reword the one least like what readers ask"
        );
    }
}

//! Question files an editor writes by hand: one `question<TAB>entry-id` a line, `-` for a
//! question the reports should decline. Scored on which entry each question went to; a
//! wrong answer comes with the words that pulled it there.

use std::path::Path;

use serde::Serialize;

use super::{metrics, EvalError, Evaluation, Expect, Outcome, Verdict};
use crate::desk::{Answered, AskError, Desk};
use crate::knowledge::KnowledgeBase;
use crate::matcher::Config;
use crate::metadata::Detail;
use crate::reply::Status;

/// What a plain line says, for error messages.
pub const PLAIN_FORMAT: &str = "each line is a question, a tab, then the id of the entry that should answer it, `-` when the reports should decline it, or a gap's id when they should decline it with that gap; blank lines and lines starting with # are skipped";

/// Ids suggested for one that does not exist.
const CLOSEST: usize = 3;

/// What a line expects of its question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// Answered with this entry (an index into the knowledge base).
    Entry(usize),
    /// Declined; ideally with this gap.
    Gap(usize),
    /// Declined (`-`).
    Decline,
    /// Answered from the report's details (`@byline`, `@outlet`, `@published`, `@link`).
    Detail(Detail),
}

/// The expectation `@byline` and the like name: a detail of `report.toml`.
fn detail_named(id: &str) -> Option<Detail> {
    match id {
        "@byline" => Some(Detail::Byline),
        "@outlet" => Some(Detail::Outlet),
        "@published" | "@date" => Some(Detail::Published),
        "@link" | "@url" => Some(Detail::Link),
        _ => None,
    }
}

/// How a reply's answer is named in the output: its entry, or `@byline` and the like.
fn answered_with(reply: &crate::reply::Reply) -> String {
    match (&reply.entry, reply.citation.as_ref().and_then(|c| c.detail)) {
        (Some(entry), _) => entry.clone(),
        (None, Some(detail)) => format!("@{}", detail_id(detail)),
        (None, None) => String::new(),
    }
}

fn detail_id(detail: Detail) -> &'static str {
    match detail {
        Detail::Byline => "byline",
        Detail::Outlet => "outlet",
        Detail::Published => "published",
        Detail::Link => "link",
    }
}

#[derive(Debug, Clone)]
pub struct PlainItem {
    /// Line number in the file, from 1.
    pub line: usize,
    pub question: String,
    pub expected: Expected,
}

/// A plain question file, its entry ids checked against a knowledge base.
#[derive(Debug, Clone)]
pub struct PlainSet {
    pub items: Vec<PlainItem>,
}

impl PlainSet {
    pub fn load(path: &Path, kb: &KnowledgeBase) -> Result<Self, EvalError> {
        let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string(), kb)
    }

    pub fn parse(text: &str, path: &str, kb: &KnowledgeBase) -> Result<Self, EvalError> {
        let mut items = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let problem = |problem: String| EvalError::PlainLine {
                path: path.to_string(),
                line: i + 1,
                problem,
                example: example(kb),
            };
            let Some((question, id)) = line.split_once('\t') else {
                let hint = line
                    .split_whitespace()
                    .last()
                    .filter(|w| kb.entry_index(w).is_some() || *w == "-")
                    .map(|w| format!(" (`{w}` looks like the id: put a tab before it, not spaces)"))
                    .unwrap_or_default();
                return Err(problem(format!(
                    "no tab between the question and the entry id{hint}"
                )));
            };
            let (question, id) = (question.trim(), id.trim());
            if id.contains('\t') {
                return Err(problem(
                    "more than one tab: only the question and the entry id".into(),
                ));
            }
            if question.is_empty() {
                return Err(problem("the question before the tab is empty".into()));
            }
            if id.is_empty() {
                return Err(problem(
                    "no entry id after the tab (write `-` when the reports should decline it)"
                        .into(),
                ));
            }
            let expected = if id == "-" {
                Expected::Decline
            } else if let Some(detail) = detail_named(id) {
                Expected::Detail(detail)
            } else {
                match kb.entry_index(id) {
                    Some(at) if kb.entries[at].is_gap() => Expected::Gap(at),
                    Some(at) => Expected::Entry(at),
                    None => {
                        return Err(EvalError::UnknownEntry {
                            path: path.to_string(),
                            line: i + 1,
                            id: id.to_string(),
                            closest: closest_ids(kb, id),
                        })
                    }
                }
            };
            items.push(PlainItem {
                line: i + 1,
                question: question.to_string(),
                expected,
            });
        }
        Ok(Self { items })
    }
}

/// A line of the knowledge base's own, to show the format with a real id.
fn example(kb: &KnowledgeBase) -> String {
    match kb.entries.iter().find(|e| !e.is_gap()) {
        Some(e) => format!("{}<TAB>{}", e.question, e.id),
        None => "How many libraries will the town open?<TAB>libraries-count".into(),
    }
}

/// The ids nearest `id` in spelling, nearest first.
fn closest_ids(kb: &KnowledgeBase, id: &str) -> Vec<String> {
    let mut scored: Vec<(f64, &str)> = kb
        .entries
        .iter()
        .map(|e| {
            (
                strsim::normalized_damerau_levenshtein(id, &e.id),
                e.id.as_str(),
            )
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(CLOSEST)
        .map(|(_, id)| id.to_string())
        .collect()
}

/// What the bot did with a question.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "did", rename_all = "lowercase")]
pub enum Did {
    Answered {
        entry: String,
        confidence: f32,
    },
    Suggested {
        entries: Vec<String>,
    },
    /// `gap` when a gap explained the decline.
    Declined {
        gap: Option<String>,
    },
}

/// Where one question went.
#[derive(Debug, Clone, Serialize)]
pub struct Routed {
    pub line: usize,
    pub question: String,
    /// Answered, or declined (`-` or a gap).
    pub expect: Expect,
    /// The entry or gap id expected; `None` for `-`.
    pub expected: Option<String>,
    pub verdict: Verdict,
    #[serde(flatten)]
    pub did: Did,
    /// For a question expected to be declined with a gap and declined: whether it was
    /// that gap (a decline without it is still right, but says less).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reached_gap: Option<bool>,
    /// For a wrong answer: words of the question in the answering entry's phrasings and
    /// not in the expected entry's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pulled_by: Vec<String>,
    /// For a wrong answer: the answering entry's phrasing closest to the question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closest_phrasing: Option<String>,
}

/// A plain file scored: the figures of any evaluation, and where each question went.
#[derive(Debug, Clone)]
pub struct PlainEvaluation {
    pub evaluation: Evaluation,
    pub routed: Vec<Routed>,
}

impl PlainEvaluation {
    pub fn failures(&self) -> impl Iterator<Item = &Routed> {
        self.routed.iter().filter(|r| r.verdict != Verdict::Correct)
    }

    /// (reached, declined) over questions expected to be declined with a gap.
    pub fn gaps_reached(&self) -> (usize, usize) {
        let declined: Vec<bool> = self.routed.iter().filter_map(|r| r.reached_gap).collect();
        (declined.iter().filter(|r| **r).count(), declined.len())
    }
}

/// Asks every question and scores where it went.
pub fn run(
    desk: &Desk,
    set: &PlainSet,
    report: Option<&str>,
    config: &Config,
) -> Result<PlainEvaluation, EvalError> {
    score(desk, set, |q| desk.ask_timed(q, report, config))
}

/// As [`run`], each question asked without the phrasing that repeats it word for word
/// (see [`super::run_unseen`]).
pub fn run_unseen(
    desk: &Desk,
    set: &PlainSet,
    report: Option<&str>,
    config: &Config,
) -> Result<PlainEvaluation, EvalError> {
    score(desk, set, |q| desk.ask_unseen(q, report, config))
}

fn score(
    desk: &Desk,
    set: &PlainSet,
    ask: impl Fn(&str) -> Result<Answered, AskError>,
) -> Result<PlainEvaluation, EvalError> {
    let kb = desk.knowledge();
    let mut outcomes = Vec::with_capacity(set.items.len());
    let mut routed = Vec::with_capacity(set.items.len());
    for item in &set.items {
        let asked = ask(&item.question)?;
        let reply = &asked.reply;
        let expected_id = match item.expected {
            Expected::Entry(at) | Expected::Gap(at) => Some(kb.entries[at].id.clone()),
            Expected::Detail(detail) => Some(format!("@{}", detail_id(detail))),
            Expected::Decline => None,
        };
        let did = match reply.status {
            Status::Answered => Did::Answered {
                entry: answered_with(reply),
                confidence: reply.confidence,
            },
            Status::Suggested => Did::Suggested {
                entries: reply.suggestions.iter().map(|s| s.entry.clone()).collect(),
            },
            Status::Declined => Did::Declined {
                gap: reply.entry.clone(),
            },
        };
        // A message asking several questions answers each: the expected entry among them counts.
        let answered_expected = reply.status == Status::Answered
            && expected_id.as_ref().is_some_and(|id| {
                answered_with(reply) == *id || reply.also.iter().any(|a| answered_with(a) == *id)
            });
        let (expect, kind) = match item.expected {
            Expected::Entry(_) => (Expect::Answer, "entry"),
            Expected::Detail(_) => (Expect::Answer, "detail"),
            Expected::Gap(_) => (Expect::Decline, "gap"),
            Expected::Decline => (Expect::Decline, "decline"),
        };
        let verdict = match (expect, reply.status == Status::Answered) {
            (Expect::Answer, true) if answered_expected => Verdict::Correct,
            (_, true) => Verdict::Wrong,
            (Expect::Answer, false) => Verdict::Missed,
            (Expect::Decline, false) => Verdict::Correct,
        };
        let reached_gap = match (&item.expected, &did) {
            (Expected::Gap(_), Did::Declined { gap }) => Some(*gap == expected_id),
            _ => None,
        };
        let mut pulled_by = Vec::new();
        let mut closest_phrasing = None;
        if verdict == Verdict::Wrong {
            if let Some(answered) = reply.entry.as_deref().and_then(|id| kb.entry_index(id)) {
                let instead = match item.expected {
                    Expected::Entry(at) | Expected::Gap(at) => Some(at),
                    Expected::Decline | Expected::Detail(_) => None,
                };
                let pull = desk.matcher().pull(&item.question, instead, answered, None);
                pulled_by = pull.words;
                closest_phrasing = pull
                    .closest
                    .and_then(|i| kb.entries[answered].phrasings().nth(i).cloned());
            }
        }
        let top_right = asked.found.candidate.map(|best| match item.expected {
            Expected::Entry(at) => best == at,
            _ => false,
        });
        outcomes.push(Outcome {
            id: format!("line {}", item.line),
            question: item.question.clone(),
            kind: kind.into(),
            expect,
            status: reply.status,
            entry: reply.entry.clone(),
            answer: reply.answer.clone(),
            confidence: reply.confidence,
            verdict,
            micros: asked.elapsed.as_secs_f64() * 1e6,
            features: asked.found.features,
            top_right,
        });
        routed.push(Routed {
            line: item.line,
            question: item.question.clone(),
            expect,
            expected: expected_id,
            verdict,
            did,
            reached_gap,
            pulled_by,
            closest_phrasing,
        });
    }
    Ok(PlainEvaluation {
        evaluation: Evaluation {
            metrics: metrics(&outcomes),
            outcomes,
        },
        routed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> KnowledgeBase {
        KnowledgeBase::bundled().expect("the bundled knowledge base")
    }

    #[test]
    fn lines_expect_an_entry_a_gap_or_a_decline() {
        let kb = kb();
        let text = "# a comment\n\nWho is Stephen Miller?\tmiller-works-with-dhs\nWhat will it cost?\tgap-cost\r\nWhat is the weather?\t-\n";
        let set = PlainSet::parse(text, "q.tsv", &kb).unwrap();
        let expected: Vec<_> = set.items.iter().map(|i| (i.line, &i.expected)).collect();
        let miller = kb.entry_index("miller-works-with-dhs").unwrap();
        let gap = kb.entry_index("gap-cost").unwrap();
        assert_eq!(
            expected,
            [
                (3, &Expected::Entry(miller)),
                (4, &Expected::Gap(gap)),
                (5, &Expected::Decline)
            ]
        );
    }

    #[test]
    fn a_line_without_a_tab_names_the_line_and_the_format() {
        let err = PlainSet::parse("Who is Stephen Miller?\tmiller-works-with-dhs\nWho is Miller?  miller-works-with-dhs\n", "q.tsv", &kb())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("q.tsv:2: no tab"), "{err}");
        assert!(err.contains("put a tab before it"), "{err}");
        assert!(err.contains("each line is a question, a tab"), "{err}");
    }

    #[test]
    fn an_unknown_id_names_the_closest() {
        let err =
            PlainSet::parse("Who is Miller?\tmiller-works-with-dsh\n", "q.tsv", &kb()).unwrap_err();
        match err {
            EvalError::UnknownEntry {
                line, id, closest, ..
            } => {
                assert_eq!((line, id.as_str()), (1, "miller-works-with-dsh"));
                assert_eq!(closest[0], "miller-works-with-dhs");
            }
            other => panic!("{other}"),
        }
    }
}

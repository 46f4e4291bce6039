//! Scores a question set (one JSON object a line, the format of each report's
//! `questions.jsonl`): accuracy, answer recall, decline accuracy, wrong-answer rate,
//! per kind, and matching time. An editor's plain files (`question<TAB>entry-id`) are
//! read and scored in [`plain`].

use std::collections::BTreeMap;
use std::path::Path;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use crate::desk::{Answered, AskError, Desk};
use crate::knowledge::KnowledgeBase;
use crate::matcher::{Config, Features, LeftOut, Outcome as Decided, Reliability};
use crate::reply::Status;

pub mod plain;

pub use plain::{PlainEvaluation, PlainSet, PLAIN_FORMAT};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    Answer,
    Decline,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    pub id: String,
    pub q: String,
    pub expect: Expect,
    #[serde(default)]
    pub facts: Vec<String>,
    #[serde(default)]
    pub fact: Option<String>,
    #[serde(default)]
    pub kind: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a question item ({message}); in a JSON-lines file each line is {{\"id\",\"q\",\"expect\",\"facts\",\"kind\"}}. For a plain file, name it .tsv or .txt: {PLAIN_FORMAT}")]
    Format {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}:{line} [{id}]: bad fact pattern: {message}")]
    Pattern {
        path: String,
        line: usize,
        id: String,
        message: String,
    },
    #[error("{path}:{line}: {problem}; {PLAIN_FORMAT}, e.g.\n  {example}")]
    PlainLine {
        path: String,
        line: usize,
        problem: String,
        /// A line in the right format, with a real entry.
        example: String,
    },
    #[error("{path}:{line}: unknown entry id `{id}`; closest: {}. Not scored: fix the id (ids are in each report's entries.toml and gaps.toml)", closest.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "))]
    UnknownEntry {
        path: String,
        line: usize,
        id: String,
        closest: Vec<String>,
    },
    #[error(transparent)]
    Ask(#[from] AskError),
}

/// A question file in either format.
pub enum QuestionFile {
    /// JSON lines with fact patterns (the reports' `questions.jsonl`).
    Json(QuestionSet),
    /// An editor's plain file.
    Plain(PlainSet),
}

impl QuestionFile {
    /// Reads `path`: plain when it ends in `.tsv` or `.txt`, JSON lines when in `.jsonl`
    /// or `.json`; otherwise JSON lines when its first line that says anything opens
    /// with `{`, else plain. Entry ids of a plain file are checked against `kb`.
    pub fn load(path: &Path, kb: &KnowledgeBase) -> Result<Self, EvalError> {
        let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let name = path.display().to_string();
        let extension = path.extension().map(|e| e.to_string_lossy().to_lowercase());
        let plain = match extension.as_deref() {
            Some("tsv" | "txt") => true,
            Some("jsonl" | "json") => false,
            _ => !text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'))
                .is_some_and(|l| l.starts_with('{')),
        };
        Ok(if plain {
            Self::Plain(PlainSet::parse(&text, &name, kb)?)
        } else {
            Self::Json(QuestionSet::parse(&text, &name)?)
        })
    }
}

/// A question set with its patterns compiled.
pub struct QuestionSet {
    pub items: Vec<(Item, Vec<Regex>)>,
}

impl QuestionSet {
    pub fn load(path: &Path) -> Result<Self, EvalError> {
        let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, path: &str) -> Result<Self, EvalError> {
        let mut items = Vec::new();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let item: Item = serde_json::from_str(line).map_err(|e| EvalError::Format {
                path: path.to_string(),
                line: i + 1,
                message: e.to_string(),
            })?;
            let patterns = item
                .facts
                .iter()
                .map(|f| RegexBuilder::new(f).case_insensitive(true).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| EvalError::Pattern {
                    path: path.to_string(),
                    line: i + 1,
                    id: item.id.clone(),
                    message: e.to_string(),
                })?;
            items.push((item, patterns));
        }
        Ok(Self { items })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Correct,
    /// Answered, but wrongly: the costly failure.
    Wrong,
    /// Should have answered, did not.
    Missed,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: String,
    pub question: String,
    pub kind: String,
    pub expect: Expect,
    pub status: Status,
    pub entry: Option<String>,
    pub answer: Option<String>,
    pub confidence: f32,
    pub verdict: Verdict,
    pub micros: f64,
    /// What the scorer measured about its best candidate.
    pub features: Features,
    /// Would answering the best candidate have been right? `None` when the best
    /// candidate is a gap (the bot never answers with one) or there is none.
    pub top_right: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    pub correct: usize,
    pub total: usize,
}

impl Tally {
    pub fn rate(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.correct as f64 / self.total as f64
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub items: usize,
    pub accuracy: f64,
    pub answer_recall: f64,
    pub decline_accuracy: f64,
    pub wrong_answer_rate: f64,
    pub wrong_answers: usize,
    pub per_kind: BTreeMap<String, Tally>,
    pub mean_micros: f64,
    pub p99_micros: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub metrics: Metrics,
    pub outcomes: Vec<Outcome>,
}

impl Evaluation {
    pub fn failures(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes
            .iter()
            .filter(|o| o.verdict != Verdict::Correct)
    }

    /// (features, would answering the best candidate be right) for every question whose
    /// best candidate is an answer: what the calibration is fitted on.
    pub fn calibration_rows(&self) -> Vec<(Features, bool)> {
        self.outcomes
            .iter()
            .filter_map(|o| o.top_right.map(|right| (o.features, right)))
            .collect()
    }

    /// Reliability of the confidence shown, over questions whose best candidate is an answer.
    pub fn reliability(&self, bins: usize) -> Reliability {
        let points: Vec<(f32, bool)> = self
            .outcomes
            .iter()
            .filter_map(|o| o.top_right.map(|right| (o.confidence, right)))
            .collect();
        Reliability::of(&points, bins)
    }
}

/// Every phrasing of the knowledge base asked without itself.
#[derive(Debug, Clone, Serialize)]
pub struct LeaveOneOut {
    /// Per entry id: phrasings answered with their own entry (a gap's: not answered),
    /// out of all its phrasings.
    pub per_entry: BTreeMap<String, Tally>,
    pub phrasings: Vec<PhrasingOutcome>,
    pub metrics: Metrics,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhrasingOutcome {
    pub entry: String,
    pub phrasing: String,
    pub status: Status,
    /// The entry answered, or the best candidate when not answered.
    pub landed: Option<String>,
    pub probability: f32,
    pub verdict: Verdict,
    pub features: Features,
    pub top_right: Option<bool>,
}

impl LeaveOneOut {
    pub fn calibration_rows(&self) -> Vec<(Features, bool)> {
        self.phrasings
            .iter()
            .filter_map(|o| o.top_right.map(|right| (o.features, right)))
            .collect()
    }

    pub fn reliability(&self, bins: usize) -> Reliability {
        let points: Vec<(f32, bool)> = self
            .phrasings
            .iter()
            .filter_map(|o| o.top_right.map(|right| (o.probability, right)))
            .collect();
        Reliability::of(&points, bins)
    }
}

/// Asks every phrasing of every entry (optionally of one report) against the knowledge
/// base without that phrasing. An entry's phrasing is right when it is answered with
/// its entry; a gap's when it is not answered.
pub fn leave_one_out(desk: &Desk, report: Option<usize>, config: &Config) -> LeaveOneOut {
    let kb = desk.knowledge();
    let mut per_entry: BTreeMap<String, Tally> = BTreeMap::new();
    let mut phrasings = Vec::new();
    let mut outcomes = Vec::new();
    for (index, entry) in kb.entries.iter().enumerate() {
        if report.is_some_and(|r| r != entry.report) {
            continue;
        }
        for (i, text) in entry.phrasings().enumerate() {
            let left = LeftOut {
                entry: index,
                phrasing: i,
            };
            let start = std::time::Instant::now();
            let found =
                desk.matcher()
                    .ask_leaving_out(text, Some(entry.report), config, Some(left));
            let micros = start.elapsed().as_secs_f64() * 1e6;
            let answered = match found.outcome {
                Decided::Answered { entry } => Some(entry),
                _ => None,
            };
            let verdict = match (entry.is_gap(), answered) {
                (false, Some(e)) if e == index => Verdict::Correct,
                (_, Some(_)) => Verdict::Wrong,
                (false, None) => Verdict::Missed,
                (true, None) => Verdict::Correct,
            };
            let top_right = found.candidate.map(|b| !entry.is_gap() && b == index);
            let t = per_entry.entry(entry.id.clone()).or_default();
            t.total += 1;
            t.correct += usize::from(verdict == Verdict::Correct);
            let status = match answered {
                Some(_) => Status::Answered,
                None if matches!(found.outcome, Decided::Suggested { .. }) => Status::Suggested,
                None => Status::Declined,
            };
            let landed = answered
                .or(found.ranked.first().map(|b| b.entry))
                .map(|e| kb.entries[e].id.clone());
            outcomes.push(Outcome {
                id: format!("{}#{i}", entry.id),
                question: text.clone(),
                kind: if entry.is_gap() { "gap" } else { "entry" }.into(),
                expect: if entry.is_gap() {
                    Expect::Decline
                } else {
                    Expect::Answer
                },
                status,
                entry: landed.clone(),
                answer: None,
                confidence: found.probability,
                verdict,
                micros,
                features: found.features,
                top_right,
            });
            phrasings.push(PhrasingOutcome {
                entry: entry.id.clone(),
                phrasing: text.clone(),
                status,
                landed,
                probability: found.probability,
                verdict,
                features: found.features,
                top_right,
            });
        }
    }
    LeaveOneOut {
        per_entry,
        phrasings,
        metrics: metrics(&outcomes),
    }
}

/// Asks every question and scores the replies.
pub fn run(
    desk: &Desk,
    set: &QuestionSet,
    report: Option<&str>,
    config: &Config,
) -> Result<Evaluation, EvalError> {
    score(desk, set, |q| desk.ask_timed(q, report, config))
}

/// As [`run`], each question asked without the phrasing that repeats it word for word:
/// how a set whose questions have joined the phrasings (`kb adopt`) is still scored as
/// unseen, and fitted on (`factdesk calibrate`). A first, blind score uses [`run`]: a
/// phrasing someone else wrote that happens to repeat a question counts there.
pub fn run_unseen(
    desk: &Desk,
    set: &QuestionSet,
    report: Option<&str>,
    config: &Config,
) -> Result<Evaluation, EvalError> {
    score(desk, set, |q| desk.ask_unseen(q, report, config))
}

fn score(
    desk: &Desk,
    set: &QuestionSet,
    ask: impl Fn(&str) -> Result<Answered, AskError>,
) -> Result<Evaluation, EvalError> {
    let mut outcomes = Vec::with_capacity(set.items.len());
    for (item, patterns) in &set.items {
        let asked = ask(&item.q)?;
        let top_right = asked.found.candidate.and_then(|best| {
            let answer = desk.knowledge().entries[best].answer()?;
            Some(item.expect == Expect::Answer && patterns.iter().all(|p| p.is_match(answer)))
        });
        let reply = asked.reply;
        let answered = reply.status == Status::Answered;
        // A message asking several questions is scored on every answer it got.
        let text = reply.answers().collect::<Vec<_>>().join("\n");
        let verdict = match (item.expect, answered) {
            (Expect::Answer, true) if patterns.iter().all(|p| p.is_match(&text)) => {
                Verdict::Correct
            }
            (Expect::Answer, true) | (Expect::Decline, true) => Verdict::Wrong,
            (Expect::Answer, false) => Verdict::Missed,
            (Expect::Decline, false) => Verdict::Correct,
        };
        outcomes.push(Outcome {
            id: item.id.clone(),
            question: item.q.clone(),
            kind: item.kind.clone(),
            expect: item.expect,
            status: reply.status,
            entry: reply.entry.clone(),
            answer: reply.answer.clone(),
            confidence: reply.confidence,
            verdict,
            micros: asked.elapsed.as_secs_f64() * 1e6,
            features: asked.found.features,
            top_right,
        });
    }
    Ok(Evaluation {
        metrics: metrics(&outcomes),
        outcomes,
    })
}

fn metrics(outcomes: &[Outcome]) -> Metrics {
    let n = outcomes.len().max(1) as f64;
    let correct = outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Correct)
        .count();
    let wrong = outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Wrong)
        .count();
    let tally = |expect: Expect| {
        let of: Vec<_> = outcomes.iter().filter(|o| o.expect == expect).collect();
        Tally {
            correct: of.iter().filter(|o| o.verdict == Verdict::Correct).count(),
            total: of.len(),
        }
    };
    let mut per_kind: BTreeMap<String, Tally> = BTreeMap::new();
    for o in outcomes {
        let t = per_kind.entry(o.kind.clone()).or_default();
        t.total += 1;
        t.correct += usize::from(o.verdict == Verdict::Correct);
    }
    let mut times: Vec<f64> = outcomes.iter().map(|o| o.micros).collect();
    times.sort_by(f64::total_cmp);
    let p99 = times
        .get(((times.len() as f64 * 0.99).ceil() as usize).saturating_sub(1))
        .copied()
        .unwrap_or(0.0);
    Metrics {
        items: outcomes.len(),
        accuracy: correct as f64 / n,
        answer_recall: tally(Expect::Answer).rate(),
        decline_accuracy: tally(Expect::Decline).rate(),
        wrong_answer_rate: wrong as f64 / n,
        wrong_answers: wrong,
        per_kind,
        mean_micros: times.iter().sum::<f64>() / n,
        p99_micros: p99,
    }
}

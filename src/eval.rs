//! Scores a question set (one JSON object a line, the format of each report's
//! `questions.jsonl`): accuracy, answer recall, decline accuracy, wrong-answer rate,
//! per kind, and matching time.

use std::collections::BTreeMap;
use std::path::Path;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use crate::desk::{AskError, Desk};
use crate::matcher::Config;
use crate::reply::Status;

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
    #[error("{path}:{line}: not a question item ({message}); each line is {{\"id\",\"q\",\"expect\",\"facts\",\"kind\"}}")]
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
    #[error(transparent)]
    Ask(#[from] AskError),
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
}

/// Asks every question and scores the replies.
pub fn run(
    desk: &Desk,
    set: &QuestionSet,
    report: Option<&str>,
    config: &Config,
) -> Result<Evaluation, EvalError> {
    let mut outcomes = Vec::with_capacity(set.items.len());
    for (item, patterns) in &set.items {
        let asked = desk.ask_timed(&item.q, report, config)?;
        let reply = asked.reply;
        let answered = reply.status == Status::Answered;
        let text = reply.answer.clone().unwrap_or_default();
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

//! The answering service: a validated knowledge base with its matcher, behind one call
//! that every front end uses.

use std::time::{Duration, Instant};

use crate::knowledge::KnowledgeBase;
use crate::matcher::{Config, Match, Matcher};
use crate::reply::{Reply, Suggestion};

/// Why a question could not be asked as given.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AskError {
    #[error("unknown report `{0}`; `factdesk kb export` lists the report ids")]
    UnknownReport(String),
}

/// Completions of an unfinished last word tried in autocomplete.
const COMPLETIONS: usize = 3;

pub struct Desk {
    kb: KnowledgeBase,
    matcher: Matcher,
}

/// A reply with the time matching took, for logs and `eval`.
pub struct Answered {
    pub reply: Reply,
    pub found: Match,
    pub elapsed: Duration,
}

impl Desk {
    pub fn new(kb: KnowledgeBase) -> Self {
        Self::with_config(kb, Config::DEFAULT)
    }

    /// With other matcher settings (for tuning and calibration).
    pub fn with_config(kb: KnowledgeBase, config: Config) -> Self {
        let matcher = Matcher::with_config(&kb, config);
        Self { kb, matcher }
    }

    pub fn knowledge(&self) -> &KnowledgeBase {
        &self.kb
    }

    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    pub fn report_filter(&self, report: Option<&str>) -> Result<Option<usize>, AskError> {
        report
            .map(|id| {
                self.kb
                    .report_index(id)
                    .ok_or_else(|| AskError::UnknownReport(id.to_string()))
            })
            .transpose()
    }

    pub fn ask(&self, question: &str, report: Option<&str>) -> Result<Reply, AskError> {
        Ok(self
            .ask_timed(question, report, &self.matcher.config())?
            .reply)
    }

    pub fn ask_timed(
        &self,
        question: &str,
        report: Option<&str>,
        config: &Config,
    ) -> Result<Answered, AskError> {
        let filter = self.report_filter(report)?;
        let start = Instant::now();
        let found = self.matcher.ask_with(question, filter, config);
        let elapsed = start.elapsed();
        let reply = Reply::from_match(&self.kb, question, &found, filter);
        Ok(Answered {
            reply,
            found,
            elapsed,
        })
    }

    /// Questions to offer while a person types `partial`: best matches first, then
    /// questions containing the typed text; an empty box gets one question per topic.
    /// Gaps are never offered. At most `limit` choices.
    pub fn autocomplete(
        &self,
        partial: &str,
        report: Option<usize>,
        limit: usize,
    ) -> Vec<Suggestion> {
        let kb = &self.kb;
        let offer =
            |i: usize| report.is_none_or(|r| kb.entries[i].report == r) && !kb.entries[i].is_gap();
        let mut picked: Vec<usize> = Vec::new();
        let typed = crate::matcher::fold(partial.trim());
        if typed.is_empty() {
            let mut topics: Vec<&str> = Vec::new();
            for (i, e) in kb.entries.iter().enumerate().filter(|(i, _)| offer(*i)) {
                if !topics.contains(&e.topic.as_str()) {
                    topics.push(&e.topic);
                    picked.push(i);
                }
            }
        } else {
            for (entry, _) in self.typed_so_far(partial, report) {
                if offer(entry) && !picked.contains(&entry) {
                    picked.push(entry);
                }
            }
            for (i, e) in kb.entries.iter().enumerate() {
                if offer(i)
                    && !picked.contains(&i)
                    && crate::matcher::fold(&e.question).contains(&typed)
                {
                    picked.push(i);
                }
            }
        }
        picked
            .into_iter()
            .take(limit)
            .map(|i| Suggestion {
                entry: kb.entries[i].id.clone(),
                question: kb.entries[i].question.clone(),
            })
            .collect()
    }

    /// Entries ranked for text still being typed: the last word, unless followed by a
    /// space, may be the start of a longer word ("deprtation ord", "guant"), so the
    /// question is also tried with each likely completion of it, and every entry keeps
    /// its best score.
    fn typed_so_far(&self, partial: &str, report: Option<usize>) -> Vec<(usize, f32)> {
        let mut best: Vec<(usize, f32)> = Vec::new();
        let mut add = |question: &str| {
            for r in self.matcher.ask(question, report).ranked {
                match best.iter_mut().find(|(e, _)| *e == r.entry) {
                    Some((_, s)) => *s = s.max(r.score),
                    None => best.push((r.entry, r.score)),
                }
            }
        };
        add(partial);
        let unfinished = !partial.ends_with(char::is_whitespace);
        let head_end = partial
            .char_indices()
            .rev()
            .find(|(_, c)| !c.is_alphanumeric())
            .map_or(0, |(i, c)| i + c.len_utf8());
        let last = &partial[head_end..];
        if unfinished && !last.is_empty() {
            for word in self.matcher.completions(last, COMPLETIONS) {
                add(&format!("{}{word}", &partial[..head_end]));
            }
        }
        best.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        best
    }

    /// The reply for a known entry id (a clicked suggestion or related question).
    pub fn answer_entry(&self, id: &str) -> Option<Reply> {
        let index = self.kb.entry_index(id)?;
        let e = &self.kb.entries[index];
        Some(Reply::answer(&self.kb, &e.question, index, 1.0))
    }
}

//! The answering service: a validated knowledge base with its matcher, behind one call
//! that every front end uses.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::knowledge::{KnowledgeBase, LoadError};
use crate::matcher::{question_parts, Config, LeftOut, Match, Matcher, Outcome};
use crate::reply::{Reply, Status, Suggestion};

/// Most questions of one message answered (a reply shows one embed each).
const MAX_PARTS: usize = 4;

/// Why a question could not be asked as given.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AskError {
    #[error("unknown report `{id}`; the reports are: {}", known_list(.known))]
    UnknownReport { id: String, known: Vec<String> },
}

/// The question as a reply repeats it: at most what the matcher reads
/// ([`crate::matcher::MAX_QUESTION_BYTES`]), cut on a character, with "…" when cut.
fn echo(question: &str) -> String {
    let max = crate::matcher::MAX_QUESTION_BYTES;
    if question.len() <= max {
        return question.to_string();
    }
    let mut end = max;
    while !question.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &question[..end])
}

/// The report ids an unknown one could have meant, named in full so no other command
/// (on possibly another knowledge folder) is needed to find them.
fn known_list(ids: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut list: Vec<String> = ids.iter().take(SHOWN).map(|id| format!("`{id}`")).collect();
    if ids.len() > SHOWN {
        list.push(format!("and {} more", ids.len() - SHOWN));
    }
    if list.is_empty() {
        return "none".into();
    }
    list.join(", ")
}

/// How close in confidence the default report's own answer must be to the best match
/// across reports for it to count as a tie the default settles.
const DEFAULT_REPORT_TIE: f32 = 0.05;

/// Completions of an unfinished last word tried in autocomplete.
const COMPLETIONS: usize = 3;

/// The knowledge folder to use: the one given (flag or environment), else `./knowledge`
/// when it holds a vocabulary, else `None` for the built-in knowledge base.
pub fn knowledge_location(given: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = given {
        return Some(dir.to_path_buf());
    }
    let local = Path::new("knowledge");
    local
        .join("vocabulary.toml")
        .is_file()
        .then(|| local.to_path_buf())
}

/// Loads and validates the knowledge base at [`knowledge_location`].
pub fn load_knowledge(given: Option<&Path>) -> Result<KnowledgeBase, LoadError> {
    match knowledge_location(given) {
        Some(dir) => KnowledgeBase::load_dir(&dir),
        None => KnowledgeBase::bundled(),
    }
}

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

/// The knowledge base as served: retired reports and their entries left out.
fn serving(mut kb: KnowledgeBase) -> KnowledgeBase {
    if !kb.reports.iter().any(|r| r.retired) {
        return kb;
    }
    let mut renumber = vec![None; kb.reports.len()];
    let mut kept = 0;
    for (i, r) in kb.reports.iter().enumerate() {
        if !r.retired {
            renumber[i] = Some(kept);
            kept += 1;
        }
    }
    kb.reports.retain(|r| !r.retired);
    kb.entries.retain_mut(|e| match renumber[e.report] {
        Some(r) => {
            e.report = r;
            true
        }
        None => false,
    });
    kb
}

impl Desk {
    /// A desk answering from `kb`, without its retired reports (which stay validated).
    pub fn new(kb: KnowledgeBase) -> Self {
        Self::with_config(kb, Config::DEFAULT)
    }

    /// With other matcher settings (for tuning and calibration).
    pub fn with_config(kb: KnowledgeBase, config: Config) -> Self {
        let kb = serving(kb);
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
                    .ok_or_else(|| AskError::UnknownReport {
                        id: id.to_string(),
                        known: self.kb.reports.iter().map(|r| r.id.clone()).collect(),
                    })
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
        self.ask_leaving_out(question, report, config, None)
    }

    /// As [`Desk::ask_timed`], as if the question were not one of the knowledge base's
    /// own phrasings: how a question set that has joined the phrasings is still scored
    /// as unseen (each question without its own phrasing, like `--leave-one-out`).
    pub fn ask_unseen(
        &self,
        question: &str,
        report: Option<&str>,
        config: &Config,
    ) -> Result<Answered, AskError> {
        let own = self.matcher.own_phrasing(question);
        self.ask_leaving_out(question, report, config, own)
    }

    fn ask_leaving_out(
        &self,
        question: &str,
        report: Option<&str>,
        config: &Config,
        left_out: Option<LeftOut>,
    ) -> Result<Answered, AskError> {
        let filter = self.report_filter(report)?;
        let start = Instant::now();
        let mut found = self
            .matcher
            .ask_leaving_out(question, filter, config, left_out);
        if filter.is_none() {
            if let Some(preferred) = self.default_answer(question, &found, config, left_out) {
                found = preferred;
            }
        }
        let mut reply = Reply::from_match(&self.kb, question, &found, filter);
        if let Some(several) = self.several_questions(question, filter, config) {
            reply = several;
        }
        // "Who wrote this?": from the report's details. A question that names the piece
        // beyond doubt ("this article") is the report's, unless an editor wrote it down
        // as an entry's phrasing; one that says only "it" is, unless an entry answers it
        // (a story can be about who wrote something).
        // A report whose details lack the field leaves an entry's answer standing (readers
        // asking "which paper reported this" of a story told to a paper).
        if let Some(asked) = crate::metadata::asked(question) {
            let meant = self.reports_meant(filter);
            let answered = reply.status == Status::Answered;
            let overrides = asked.certain
                && found.rule != crate::matcher::Rule::OwnPhrasing
                && crate::reply::states_detail(&self.kb, &meant, asked.detail);
            if !answered || overrides {
                reply = Reply::about_reports(&self.kb, question, &meant, asked.detail);
            }
        }
        // The reply repeats the question; a pasted megabyte is not repeated in full.
        reply.question = echo(question);
        let elapsed = start.elapsed();
        Ok(Answered {
            reply,
            found,
            elapsed,
        })
    }

    /// The reports a question about "this report" means: the one asked about, the only
    /// one, the default one, or else every one (at most three).
    fn reports_meant(&self, filter: Option<usize>) -> Vec<usize> {
        if let Some(r) = filter {
            return vec![r];
        }
        if let Some(d) = self.kb.reports.iter().position(|r| r.default) {
            return vec![d];
        }
        (0..self.kb.reports.len()).take(3).collect()
    }

    /// A message that asks several questions gets an answer to each one the report
    /// answers, when at least two are: one answer must not stand in for two. The first
    /// leads; the others follow in `also`, each with its own source.
    fn several_questions(
        &self,
        question: &str,
        filter: Option<usize>,
        config: &Config,
    ) -> Option<Reply> {
        let mut answers: Vec<Reply> = Vec::new();
        for part in question_parts(question).iter().take(MAX_PARTS) {
            let found = self.matcher.ask_with(part, filter, config);
            if let Outcome::Answered { entry } = found.outcome {
                let id = &self.kb.entries[entry].id;
                if answers.iter().all(|a| a.entry.as_ref() != Some(id)) {
                    answers.push(Reply::from_match(&self.kb, part, &found, filter));
                }
            }
        }
        if answers.len() < 2 {
            return None;
        }
        let mut first = answers.remove(0);
        first.question = question.to_string();
        for more in &mut answers {
            more.related.clear();
        }
        first.also = answers;
        Some(first)
    }

    /// When the reports match a question equally well (too close to pick one), the default
    /// report answers it, if it would on its own with a confidence as high as the best.
    fn default_answer(
        &self,
        question: &str,
        found: &Match,
        config: &Config,
        left_out: Option<LeftOut>,
    ) -> Option<Match> {
        let default = self.kb.reports.iter().position(|r| r.default)?;
        let Outcome::Suggested { entries } = &found.outcome else {
            return None;
        };
        let reports: Vec<usize> = entries.iter().map(|&i| self.kb.entries[i].report).collect();
        if !reports.contains(&default) || reports.iter().all(|&r| r == default) {
            return None;
        }
        let own = self
            .matcher
            .ask_leaving_out(question, Some(default), config, left_out);
        let Outcome::Answered { .. } = own.outcome else {
            return None;
        };
        (own.confidence() + DEFAULT_REPORT_TIE >= found.confidence()).then_some(own)
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

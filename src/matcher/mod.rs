//! The matcher: a question in, entries ranked with a confidence in 0..1 out, and one
//! of three outcomes. Pure code: no I/O, no Discord, no terminal.
//!
//! Scoring, in short (a BM25F-style model with phrasings as the occurrences):
//! - each term of the question weighs by how rare it is among the entries of a report
//!   (idf); words the report never uses count against every entry, and names or
//!   numbers it doesn't know count heavily, so "how many did Canada deport?" is not
//!   answered with a nearby fact;
//! - a term's credit in an entry grows with the share of the entry's phrasings that
//!   use it, saturating (a word from one phrasing of thirty is not what the entry is
//!   about); words only in the answer or quote count half;
//! - the ranking score blends how much of the question's weight the entry explains
//!   with how much of its closest phrasings the question repeats (a nearest-neighbour
//!   vote over the three closest);
//! - the confidence shown is not that score but the calibrated chance of being right
//!   (see `calibration.rs`), and the answer thresholds are thresholds on that chance.
//!
//! Where each part lives: `config.rs` the tuning, `index.rs` the index built from a
//! knowledge base, `rank.rs` the scoring and the features the calibration weighs,
//! `decide.rs` the outcome and the hand rules kept beside the calibration, `pull.rs` what
//! pulled a question to one entry rather than another (for `eval`, `kb lint`); this file
//! holds the public types and the ways to ask.

mod analyze;
mod boosted;
mod calibration;
mod config;
mod decide;
mod index;
mod kinds;
mod normalize;
mod parts;
mod pull;
mod rank;
mod semantic;
#[cfg(test)]
mod tests;
mod typo;

use rustc_hash::FxHashMap as HashMap;

pub use analyze::{Analyzer, Term};
pub use normalize::{fold, tokenize, Token};

pub use boosted::{Boosted, Growth};
pub use calibration::{Calibration, Features, Reliability, FEATURES};
pub use config::Config;
pub use decide::{Doubt, Rule};
pub use parts::question_parts;
pub use pull::Pull;
pub use typo::TypoIndex;

use index::{verbatim_key, IndexedEntry, Posting, ReportStats};
use rank::Seen;

/// What the matcher decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Confident: this entry answers the question.
    Answered { entry: usize },
    /// Plausible but not certain: offer these entries, assert nothing.
    Suggested { entries: Vec<usize> },
    /// Nothing fits. `gap` is set when a curated gap says what the report leaves out;
    /// `chitchat` when the message was small talk.
    Declined {
        gap: Option<usize>,
        chitchat: bool,
        nearest: Vec<usize>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    pub entry: usize,
    /// The ranking score, 0..1 (not a probability: see [`Match::probability`]).
    pub score: f32,
    /// How many distinct words of the question the entry contains.
    pub matched: u32,
    /// How closely its nearest phrasing and the question repeat each other, both ways
    /// (weighted Dice), 0..1.
    pub closeness: f32,
    /// How close in meaning its nearest phrasing or its answer is to the question
    /// (cosine of sentence vectors, see `semantic.rs`), about −0.2..1.
    pub semantic: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub outcome: Outcome,
    /// Candidates, best first.
    pub ranked: Vec<Ranked>,
    /// The best entry that is not a gap: the one an answer would give.
    pub candidate: Option<usize>,
    /// What the scorer measured about that candidate.
    pub features: Features,
    /// The calibrated chance that the candidate answers the question.
    pub probability: f32,
    /// For an answered yes/no question that the answer settles: yes or no.
    pub settles: Option<bool>,
    /// The rule that decided the outcome.
    pub rule: Rule,
    /// The hand rule that kept the candidate from answering, if one did.
    pub doubt: Option<Doubt>,
}

impl Match {
    /// The confidence people see: the chance the best candidate is right.
    pub fn confidence(&self) -> f32 {
        self.probability
    }
}

/// Most suggestions offered at once.
pub const MAX_SUGGESTIONS: usize = 3;
/// Longest question considered, in bytes: the rest of a huge paste is ignored.
pub const MAX_QUESTION_BYTES: usize = 4_000;
/// Candidates kept after the first, cheap pass over the postings.
const SHORTLIST: usize = 8;
/// Fewest words a long message's question sentences need to be asked alone.
const MIN_ASKED_TOKENS: usize = 3;
/// Phrasings that vote for an entry (the nearest-neighbour part of the score).
const VOTERS: usize = 3;
/// Nearest phrasings, over all shortlisted entries, whose vote is a feature.
const NEIGHBOURS: usize = 7;

type TermId = u32;

/// A term of a question, its id if the knowledge base knows it, and the share of its
/// weight it counts for (see [`Config::context_weight`]).
type QueryTerm = (Term, Option<TermId>, f32);

/// One reading of a question as the rules consult it: the whole message, or the
/// sentences of a long one that ask.
pub(super) struct Question<'a> {
    pub(super) tokens: &'a [Token],
    /// As typed: the kinds its figures are written as (see [`Analyzer::figure_types`]),
    /// which its tokens no longer show.
    pub(super) text: &'a str,
    pub(super) terms: Vec<QueryTerm>,
    /// The kinds of fact it asks for, as a mask.
    pub(super) asked: u32,
    /// It opens with a question word ("what…"), asking rather than checking a claim.
    pub(super) open: bool,
    /// A long message: story around the question.
    pub(super) long: bool,
}

/// A phrasing left out of scoring: `factdesk eval --leave-one-out` and `kb lint` ask
/// each phrasing against the knowledge base without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeftOut {
    pub entry: usize,
    /// Index among the entry's phrasings: its question, then variants, then keywords.
    pub phrasing: usize,
}

/// Ranks entries of a knowledge base for a question. Built once per knowledge base.
pub struct Matcher {
    analyzer: Analyzer,
    typos: TypoIndex,
    term_ids: HashMap<String, TermId>,
    postings: Vec<Vec<Posting>>,
    entries: Vec<IndexedEntry>,
    reports: Vec<ReportStats>,
    /// Every phrasing as written (folded words) → (entry, phrasing index); `None` when
    /// two entries share it.
    verbatim: HashMap<String, Option<(usize, usize)>>,
    config: Config,
}

impl Matcher {
    pub fn config(&self) -> Config {
        self.config
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The terms the matcher sees in a question (for debugging and the unanswered log).
    pub fn terms(&self, question: &str) -> Vec<Term> {
        self.analyzer
            .query_terms(&tokenize(clip(question)), &self.typos)
    }

    /// Words of the knowledge base that `prefix` may be the start of, typed right or
    /// with one slip, most useful first: for autocomplete, where the last word is
    /// still being typed.
    pub fn completions(&self, prefix: &str, limit: usize) -> Vec<String> {
        self.typos.completions(&fold(prefix), limit)
    }

    /// Ranks entries for `question`, optionally only those of one report.
    pub fn ask(&self, question: &str, report: Option<usize>) -> Match {
        self.ask_with(question, report, &self.config)
    }

    /// As [`Matcher::ask`], with other thresholds (e.g. [`Config::newsroom`]).
    pub fn ask_with(&self, question: &str, report: Option<usize>, config: &Config) -> Match {
        self.ask_leaving_out(question, report, config, None)
    }

    /// As [`Matcher::ask_with`], scoring as if one phrasing were not in the knowledge
    /// base (its words still count in the idf statistics, a small leak).
    pub fn ask_leaving_out(
        &self,
        question: &str,
        report: Option<usize>,
        config: &Config,
        left_out: Option<LeftOut>,
    ) -> Match {
        let text = clip(question);
        let tokens = tokenize(text);
        let meaning = semantic::embed(text).map(|v| semantic::Query::new(&v));
        let meaning = meaning.as_ref();
        let whole = self.ask_tokens(&tokens, meaning, text, report, config, left_out);
        // A long message that asks its question in sentences of its own ("…? ") is also
        // asked as those sentences alone: the story around them can drown the question.
        // The reading that answers, else the more confident one, is kept when both point
        // at the same entry (the story may hold the name that tells which fact is meant).
        let in_question = tokens.iter().filter(|t| !t.context).count();
        if tokens.len() >= config.context_min_tokens
            && in_question >= MIN_ASKED_TOKENS
            && in_question < tokens.len()
        {
            let asked: Vec<Token> = tokens.iter().filter(|t| !t.context).cloned().collect();
            let alone = self.ask_tokens(&asked, meaning, text, report, config, left_out);
            let answered = |m: &Match| matches!(m.outcome, Outcome::Answered { .. });
            if alone.candidate == whole.candidate
                && (answered(&alone), alone.probability) > (answered(&whole), whole.probability)
            {
                return alone;
            }
        }
        whole
    }

    /// `text`: the question as typed, for the kinds its figures are written as (see
    /// [`Analyzer::figure_types`]), which its tokens no longer show.
    fn ask_tokens(
        &self,
        tokens: &[Token],
        meaning: Option<&semantic::Query>,
        text: &str,
        report: Option<usize>,
        config: &Config,
        left_out: Option<LeftOut>,
    ) -> Match {
        let long = tokens.len() >= config.context_min_tokens;
        let terms: Vec<QueryTerm> = self
            .resolve(self.analyzer.query_terms(tokens, &self.typos))
            .into_iter()
            .map(|(mut t, id)| {
                let name = t.specific && !t.number;
                if long && t.context && !name {
                    // A number around the question is a claim being checked, not a
                    // specific the report must know; an unusual word there is story.
                    t.specific = false;
                    t.unfamiliar = false;
                    (t, id, config.context_weight)
                } else {
                    (t, id, 1.0)
                }
            })
            .collect();
        let q = Question {
            tokens,
            text,
            terms,
            asked: self.analyzer.asked_types(tokens),
            open: self.analyzer.is_open_question(tokens),
            long,
        };
        let (ranked, neighbours) = self.rank(&q.terms, meaning, q.asked, report, config, left_out);
        let candidate = ranked.iter().position(|r| !self.entries[r.entry].is_gap);
        let features = candidate.map_or_else(Features::default, |at| {
            let seen = Seen {
                ranked: &ranked,
                neighbours: &neighbours,
            };
            self.features(&q, seen, at, config, left_out)
        });
        let probability = if candidate.is_some() {
            config.calibration.probability(&features)
        } else {
            0.0
        };
        let candidate = candidate.map(|at| ranked[at].entry);
        // Hand rule, kept: a question exactly as a curator wrote it down for an entry is
        // that entry's (what "add as phrasing" promises a moderator), and for a gap, the
        // gap's.
        let written = match self.verbatim.get(&verbatim_key(tokens)) {
            Some(Some((entry, phrasing))) => {
                let own = left_out.is_some_and(|l| l.entry == *entry && l.phrasing == *phrasing);
                let in_report = report.is_none_or(|r| r == self.entries[*entry].report);
                (!own && in_report).then_some(*entry)
            }
            _ => None,
        };
        let gap_phrasing = written.filter(|&e| self.entries[e].is_gap);
        // An entry's own phrasing answers with it even when another entry ranks as high
        // ("why is the unit closing" against "when is the unit closing" read alike once
        // the question words are gone): the editor said which entry it is.
        let own_entry = written.filter(|&e| !self.entries[e].is_gap);
        let verbatim = own_entry.is_some();
        let candidate = own_entry.or(candidate);
        let probability = if verbatim { 1.0 } else { probability };
        let doubt = match candidate {
            Some(c) if !verbatim => self.doubt(c, &features, &ranked, &q, config),
            _ => None,
        };
        let probability_to_answer = if candidate.is_some() && doubt.is_none() {
            probability
        } else {
            0.0
        };
        let (outcome, rule) = self.decide(
            tokens,
            &ranked,
            candidate,
            probability_to_answer,
            gap_phrasing,
            config,
        );
        let rule = if verbatim && rule == Rule::Chance {
            Rule::OwnPhrasing
        } else {
            rule
        };
        let contradicted = !matches!(outcome, Outcome::Answered { .. })
            && rule != Rule::GapPhrasing
            && candidate.is_some_and(|c| self.contradicts(&q, &ranked, c, doubt.as_ref(), config));
        let (outcome, rule) = match candidate {
            Some(entry) if contradicted => (Outcome::Answered { entry }, Rule::Contradicted),
            _ => (outcome, rule),
        };
        let settles = match outcome {
            Outcome::Answered { entry } => self.settles(&q, entry),
            _ => None,
        };
        Match {
            outcome,
            ranked,
            candidate,
            features,
            probability,
            settles,
            rule,
            doubt,
        }
    }

    /// The phrasing that `question` repeats word for word, when exactly one entry has it.
    pub fn own_phrasing(&self, question: &str) -> Option<LeftOut> {
        let (entry, phrasing) = (*self
            .verbatim
            .get(&verbatim_key(&tokenize(clip(question))))?)?;
        Some(LeftOut { entry, phrasing })
    }

    /// The kinds of fact (answer types) that `entry`'s answer states, by name.
    pub fn stated_kinds(&self, entry: usize) -> Vec<&str> {
        self.entries
            .get(entry)
            .map_or_else(Vec::new, |e| self.analyzer.type_names(e.types))
    }

    /// How many phrasings entry `entry` has (question, variants, keywords).
    pub fn phrasing_count(&self, entry: usize) -> usize {
        self.entries.get(entry).map_or(0, |e| e.phrasings.len())
    }
}

/// The start of an oversized question, cut on a character boundary.
fn clip(question: &str) -> &str {
    if question.len() <= MAX_QUESTION_BYTES {
        return question;
    }
    let mut end = MAX_QUESTION_BYTES;
    while !question.is_char_boundary(end) {
        end -= 1;
    }
    &question[..end]
}

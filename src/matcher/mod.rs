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

mod analyze;
mod boosted;
mod calibration;
mod normalize;
mod parts;
mod typo;

use rustc_hash::FxHashMap as HashMap;

pub use analyze::{Analyzer, Term};
pub use normalize::{fold, tokenize, Token};

pub use boosted::{Boosted, Growth};
pub use calibration::{Calibration, Features, Reliability, FEATURES};
pub use parts::question_parts;
pub use typo::TypoIndex;

use crate::knowledge::{Body, KnowledgeBase};

/// Tuning of the matcher. Which values are measured and which are hand rules is said
/// on each; `factdesk calibrate` fits the calibration and `factdesk eval` prints the
/// reliability table the probability thresholds were read from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Answer when the calibrated chance of being right is at least this. Read off the
    /// 25 blind batches, each scored exactly as the bot would with a model fitted on
    /// everything else (`calibrate --each-left-out`, 1,603 questions): at 0.75, accuracy
    /// 0.918 with 1.31 % answered wrongly (21); at 0.8, 0.899 and 1.25 % (20); at 0.7,
    /// 0.920 and 1.56 % (25); at 0.65, 0.924 and 1.87 %. 0.75 is where more answers stop
    /// being nearly free of wrong ones.
    pub answer_probability: f32,
    /// Ranking score at or above which entries are offered as "did you mean".
    pub suggest_threshold: f32,
    /// The candidate is offered as "did you mean" from this calibrated chance on, whatever
    /// its ranking score (a long message's story lowers the score, not the candidate).
    pub suggest_probability: f32,
    /// Ranking score at or above which a curated gap explains a decline.
    pub gap_threshold: f32,
    /// Hand rule, kept: one shared word answers only a one-word question, and only when
    /// the word's idf is at least this share of the rarest possible ("guantanamo", not
    /// "deportation"). The calibration alone let a bare generic word through.
    pub single_word_rarity: f32,
    /// Hand rule, with the one above: a common word still answers when at least this
    /// share of the phrasings using it are the entry's own ("whats the goal"). Read off
    /// all question sets scored unseen: 0.15–0.25 answer 18 more right and no more wrong
    /// than the rarity rule alone (0.35: 10, 0.5: 2).
    pub single_word_concentration: f32,
    /// Hand rule: scores closer than this between entries of two reports are a tie
    /// that only the person asking (or a default report) can settle.
    pub report_tie: f32,
    /// A name the question spells with a capital, known to the report and at least
    /// this rare in it (as a share of the rarest possible idf), should be in the entry
    /// that answers (a feature of the calibration, `misses_name`).
    pub name_rarity: f32,
    /// Share of the ranking score from covering the question (the rest: from repeating
    /// a phrasing).
    pub coverage_share: f32,
    /// Weight of a word the report never uses, as a share of the report's rarest word.
    pub unknown_weight: f32,
    /// Total weight of unknown ordinary words, in units of `unknown_weight`: past a few,
    /// more chatter in a long question says nothing more.
    pub unknown_cap: f32,
    /// Weight of an unknown name or number (or vocabulary concept the report never
    /// uses), as a share of the report's rarest word.
    pub specific_weight: f32,
    /// How much a term found only in an entry's answer or quote counts, against one
    /// found in most of its phrasings.
    pub answer_field_credit: f32,
    /// Saturation of a term's credit in an entry by the share of the entry's phrasings
    /// that use it (BM25's tf saturation, with phrasings as the occurrences): a word in
    /// one phrasing of thirty counts little, a word in most of them fully. This is what
    /// lets many phrasings sharpen an entry instead of widening it.
    pub share_saturation: f32,
    /// Share of the ranking score lost by an entry whose answer does not state the kind
    /// of thing the question asks for ("how long" and no duration).
    pub type_mismatch_penalty: f32,
    /// Share of the ranking score lost by a gap whose question asks for a kind of fact
    /// ("how much money…?", "when…?") that the question does not ask for.
    pub gap_type_mismatch_penalty: f32,
    /// In a message of at least `context_min_tokens` words that asks a question, how
    /// much a word said outside the question sentences counts: the story around a
    /// question is not what it asks. Names count fully wherever they are.
    pub context_weight: f32,
    pub context_min_tokens: usize,
    /// Within the phrasing score, the share of the single closest phrasing (the rest:
    /// the mean of the three closest, a nearest-neighbour vote).
    pub best_phrasing_share: f32,
    /// Turns what the scorer measured into the chance of being right.
    pub calibration: Calibration,
}

impl Config {
    pub const DEFAULT: Config = Config {
        answer_probability: 0.75,
        suggest_threshold: 0.30,
        suggest_probability: 0.4,
        gap_threshold: 0.50,
        single_word_rarity: 0.6,
        single_word_concentration: 0.25,
        report_tie: 0.02,
        name_rarity: 0.5,
        coverage_share: 0.8,
        unknown_weight: 0.4,
        unknown_cap: 2.0,
        specific_weight: 1.5,
        answer_field_credit: 0.5,
        share_saturation: 0.1,
        type_mismatch_penalty: 0.1,
        gap_type_mismatch_penalty: 0.1,
        context_weight: 0.5,
        context_min_tokens: 12,
        best_phrasing_share: 0.7,
        calibration: Calibration::Fitted,
    };

    /// Newsroom channels, where the bot speaks unasked and a wrong fact travels: answer
    /// from the chance where under one question in a hundred was answered wrongly, read
    /// as for `answer_probability`: at 0.85, accuracy 0.882 with 0.81 % wrong (13); at
    /// 0.9 the same 13 wrong and 0.854; at 0.95, 8 wrong (0.5 %) but accuracy 0.764.
    pub fn newsroom() -> Config {
        Config {
            answer_probability: 0.85,
            ..Config::DEFAULT
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}

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

/// What the ranking saw: the candidates, best first, and the phrasings nearest the
/// question over them, as (closeness, entry), nearest first.
#[derive(Clone, Copy)]
struct Seen<'a> {
    ranked: &'a [Ranked],
    neighbours: &'a [(f32, u32)],
}
/// A term of a question, its id if the knowledge base knows it, and the share of its
/// weight it counts for (see [`Config::context_weight`]).
type QueryTerm = (Term, Option<TermId>, f32);

/// One phrasing (question, variant or keyword) as its terms with their weights.
struct Phrasing {
    terms: Vec<(TermId, f32)>,
    total: f32,
}

impl Phrasing {
    fn contains(&self, id: TermId) -> bool {
        self.terms.binary_search_by_key(&id, |(t, _)| *t).is_ok()
    }
}

/// A term in one entry: in how many of its phrasings, and whether its answer or quote
/// says it.
#[derive(Clone, Copy)]
struct Posting {
    entry: u32,
    phrasings: u16,
    body: bool,
    /// The term's idf in the entry's report, so scoring needs no lookups.
    idf: f32,
}

struct IndexedEntry {
    report: usize,
    /// The paragraph the answer cites (0 for a gap): entries citing the same
    /// paragraph are siblings, and a near tie between siblings is not ambiguity.
    paragraph: usize,
    phrasings: Vec<Phrasing>,
    /// Answer types the entry's answer states (see [`Analyzer::stated_types`]).
    types: u32,
    /// For a gap, the answer types its question asks for: what the report is missing.
    asks: u32,
    is_gap: bool,
    /// Terms the answer and its quote state (sorted): what a yes/no question must
    /// stay within for the answer to settle it.
    claims: Vec<TermId>,
    /// The answer or quote states a number.
    claims_number: bool,
    /// Which phrasings use each term (sorted by term; ranges into `uses`): a question
    /// is compared only with the phrasings that share a word with it.
    by_term: Vec<(TermId, u32, u32)>,
    /// (phrasing, the term's weight in it).
    uses: Vec<(u16, f32)>,
}

impl IndexedEntry {
    fn index_phrasings(&mut self) {
        let mut all: Vec<(TermId, u16, f32)> = Vec::new();
        for (i, p) in self.phrasings.iter().enumerate() {
            all.extend(p.terms.iter().map(|&(id, w)| (id, i as u16, w)));
        }
        all.sort_by_key(|&(id, i, _)| (id, i));
        self.by_term.clear();
        self.uses.clear();
        for (id, i, w) in all {
            match self.by_term.last_mut() {
                Some((last, _, end)) if *last == id => *end += 1,
                _ => {
                    let at = self.uses.len() as u32;
                    self.by_term.push((id, at, at + 1));
                }
            }
            self.uses.push((i, w));
        }
    }

    /// Adds to `hits[i]` the weight of phrasing i's terms that the question has, by the
    /// question's credit (a term asked twice counts once, as first asked).
    fn add_hits(&self, query: &[(TermId, f32)], hits: &mut [f32]) {
        for (k, &(id, credit)) in query.iter().enumerate() {
            if query[..k].iter().any(|(q, _)| *q == id) {
                continue;
            }
            if let Ok(at) = self.by_term.binary_search_by_key(&id, |t| t.0) {
                let (_, start, end) = self.by_term[at];
                for &(i, w) in &self.uses[start as usize..end as usize] {
                    hits[i as usize] += w * credit;
                }
            }
        }
    }
}

struct ReportStats {
    idf: HashMap<TermId, f32>,
    max_idf: f32,
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
    pub fn new(kb: &KnowledgeBase) -> Self {
        Self::with_config(kb, Config::DEFAULT)
    }

    pub fn with_config(kb: &KnowledgeBase, config: Config) -> Self {
        let mut analyzer = Analyzer::new(&kb.vocabulary);
        let mut typos = TypoIndex::default();
        let mut term_ids: HashMap<String, TermId> = HashMap::default();
        let mut postings: Vec<Vec<Posting>> = Vec::new();
        let mut entries = Vec::with_capacity(kb.entries.len());
        let mut df: Vec<HashMap<TermId, u32>> = vec![HashMap::default(); kb.reports.len()];
        let mut counts = vec![0u32; kb.reports.len()];

        for word in analyzer.vocabulary_words().chain(normalize::ORDINAL_WORDS) {
            typos.add(word);
        }
        for group in &kb.vocabulary.synonyms {
            for term in &group.terms {
                for token in tokenize(term) {
                    typos.add(&token.surface);
                }
            }
        }

        // First, the words curators wrote with care (questions, keywords, answers,
        // quotes, notes) are the known spellings. Variants, many written the way people
        // type, are then read like questions: a misspelt variant ("guantanemo") is
        // corrected to a known word instead of becoming a spelling of its own.
        for entry in &kb.entries {
            let mut careful = vec![entry.question.as_str(), entry.topic.as_str()];
            careful.extend(entry.keywords.iter().map(String::as_str));
            match &entry.body {
                Body::Fact { answer, source } => {
                    careful.push(answer);
                    careful.push(&source.quote);
                }
                Body::Gap { note } => careful.push(note),
            }
            for text in careful {
                for token in tokenize(text) {
                    typos.add(&token.surface);
                }
            }
        }
        analyzer.cache_stems(typos.words());
        let words: Vec<String> = typos.words().map(str::to_string).collect();
        for word in words {
            typos.add_stem(analyzer.stem(&word));
        }
        for (index, entry) in kb.entries.iter().enumerate() {
            let mut intern = |key: &str| -> TermId {
                let next = term_ids.len() as TermId;
                *term_ids.entry(key.to_string()).or_insert_with(|| {
                    postings.push(Vec::new());
                    next
                })
            };
            let mut phrasings = Vec::new();
            // Term → (phrasings using it, said in the answer or quote).
            let mut seen: HashMap<TermId, (u16, bool)> = HashMap::default();
            for (i, text) in entry.phrasings().enumerate() {
                let is_variant = i > 0 && i <= entry.variants.len();
                let tokens = tokenize(text);
                let terms = if is_variant {
                    analyzer.query_terms(&tokens, &typos)
                } else {
                    analyzer.terms(text)
                };
                let mut ids: Vec<TermId> = terms.iter().map(|t| intern(&t.key)).collect();
                ids.sort_unstable();
                ids.dedup();
                for &id in &ids {
                    let s = seen.entry(id).or_default();
                    s.0 = s.0.saturating_add(1);
                }
                phrasings.push(Phrasing {
                    terms: ids.into_iter().map(|id| (id, 0.0)).collect(),
                    total: 0.0,
                });
            }
            let mut body_text = entry.topic.clone();
            let mut types = 0;
            let mut asks = 0;
            let mut claims = Vec::new();
            let mut claims_number = false;
            match &entry.body {
                Body::Fact { answer, source } => {
                    let said = format!("{answer} {}", source.quote);
                    let said_terms = analyzer.terms(&said);
                    claims_number = said_terms.iter().any(|t| t.number);
                    claims = said_terms.iter().map(|t| intern(&t.key)).collect();
                    claims.sort_unstable();
                    claims.dedup();
                    body_text.push(' ');
                    body_text.push_str(&said);
                    types = analyzer.stated_types(answer);
                }
                Body::Gap { note } => {
                    body_text.push(' ');
                    body_text.push_str(note);
                    asks = analyzer.asked_types(&tokenize(&entry.question));
                }
            }
            for term in analyzer.terms(&body_text) {
                seen.entry(intern(&term.key)).or_default().1 = true;
            }
            for (&id, &(phrasings, body)) in &seen {
                postings[id as usize].push(Posting {
                    entry: index as u32,
                    phrasings,
                    body,
                    idf: 0.0,
                });
                *df[entry.report].entry(id).or_default() += 1;
            }
            counts[entry.report] += 1;
            entries.push(IndexedEntry {
                report: entry.report,
                paragraph: entry.source().map_or(0, |s| s.paragraph),
                phrasings,
                types,
                asks,
                is_gap: entry.is_gap(),
                claims,
                claims_number,
                by_term: Vec::new(),
                uses: Vec::new(),
            });
        }

        // Variant words that are not a slip of a known word ("gitmo") are known too.
        let mut new_words = Vec::new();
        for entry in &kb.entries {
            for token in entry.variants.iter().flat_map(|v| tokenize(v)) {
                if !typos.contains(&token.surface) && typos.correct(&token.surface).is_none() {
                    new_words.push(token.surface);
                }
            }
        }
        for word in &new_words {
            typos.add(word);
        }
        analyzer.cache_stems(typos.words());
        let words: Vec<String> = typos.words().map(str::to_string).collect();
        for word in words {
            typos.add_stem(analyzer.stem(&word));
        }

        let reports: Vec<ReportStats> = df
            .into_iter()
            .zip(counts)
            .map(|(df, n)| ReportStats {
                idf: df
                    .into_iter()
                    .map(|(id, d)| (id, (1.0 + n as f32 / d as f32).ln()))
                    .collect(),
                max_idf: (1.0 + n.max(1) as f32).ln(),
            })
            .collect();

        // Weights are known only now that every entry is counted.
        for (id, list) in postings.iter_mut().enumerate() {
            for p in list.iter_mut() {
                let stats = &reports[entries[p.entry as usize].report];
                p.idf = stats.idf.get(&(id as TermId)).copied().unwrap_or(0.0);
            }
        }
        for e in &mut entries {
            let stats = &reports[e.report];
            for p in &mut e.phrasings {
                for (id, w) in &mut p.terms {
                    *w = stats.idf.get(id).copied().unwrap_or(0.0);
                }
                p.total = p.terms.iter().map(|(_, w)| w).sum();
            }
            e.index_phrasings();
        }

        let mut verbatim: HashMap<String, Option<(usize, usize)>> = HashMap::default();
        for (index, entry) in kb.entries.iter().enumerate() {
            for (i, text) in entry.phrasings().enumerate() {
                verbatim
                    .entry(verbatim_key(&tokenize(text)))
                    .and_modify(|v| {
                        if v.is_some_and(|(e, _)| e != index) {
                            *v = None;
                        }
                    })
                    .or_insert(Some((index, i)));
            }
        }
        Self {
            analyzer,
            typos,
            term_ids,
            postings,
            entries,
            reports,
            verbatim,
            config,
        }
    }

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
        let tokens = tokenize(clip(question));
        let whole = self.ask_tokens(&tokens, report, config, left_out);
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
            let alone = self.ask_tokens(&asked, report, config, left_out);
            let answered = |m: &Match| matches!(m.outcome, Outcome::Answered { .. });
            if alone.candidate == whole.candidate
                && (answered(&alone), alone.probability) > (answered(&whole), whole.probability)
            {
                return alone;
            }
        }
        whole
    }

    fn ask_tokens(
        &self,
        tokens: &[Token],
        report: Option<usize>,
        config: &Config,
        left_out: Option<LeftOut>,
    ) -> Match {
        let long = tokens.len() >= config.context_min_tokens;
        let terms: Vec<QueryTerm> = self
            .resolve(&self.analyzer.query_terms(tokens, &self.typos))
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
        let asked = self.analyzer.asked_types(tokens);
        let (ranked, neighbours) = self.rank(&terms, asked, report, config, left_out);
        let candidate = ranked.iter().position(|r| !self.entries[r.entry].is_gap);
        let features = candidate.map_or_else(Features::default, |at| {
            let seen = Seen {
                ranked: &ranked,
                neighbours: &neighbours,
            };
            self.features(&terms, asked, seen, at, long, config, left_out)
        });
        let probability = if candidate.is_some() {
            config.calibration.probability(&features)
        } else {
            0.0
        };
        let candidate = candidate.map(|at| ranked[at].entry);
        // Hand rule, kept: a question exactly as a curator wrote it down for an entry is
        // that entry's (what "add as phrasing" promises a moderator).
        let verbatim = match self.verbatim.get(&verbatim_key(tokens)) {
            Some(Some((entry, phrasing))) => {
                let own = left_out.is_some_and(|l| l.entry == *entry && l.phrasing == *phrasing);
                let in_report = report.is_none_or(|r| r == self.entries[*entry].report);
                !own && in_report && !self.entries[*entry].is_gap && candidate == Some(*entry)
            }
            _ => false,
        };
        let probability = if verbatim { 1.0 } else { probability };
        // Hand rule, kept: the trees learn little from flags that few questions raise, and
        // a flagged candidate was rarely right (over the 1,047 questions: a word the report
        // doesn't know, 5 of 44; a name the entry lacks, 3 of 21; a kind of fact the
        // answer doesn't state, 0 of 23). Such a question gets suggestions, not an answer.
        let doubted =
            features.stranger > 0.0 || features.misses_name > 0.0 || features.type_missing > 0.0;
        let enough = verbatim
            || !doubted
                && candidate.is_some_and(|c| {
                    self.enough_evidence(c, &ranked, &terms, asked, config)
                        && !self.ties_across_reports(c, &ranked, config)
                });
        let probability_to_answer = if enough { probability } else { 0.0 };
        let outcome = self.decide(tokens, &ranked, candidate, probability_to_answer, config);
        let settles = match outcome {
            Outcome::Answered { entry } => self.settles(tokens, &terms, entry),
            _ => None,
        };
        Match {
            outcome,
            ranked,
            candidate,
            features,
            probability,
            settles,
        }
    }

    /// The phrasing that `question` repeats word for word, when exactly one entry has it.
    pub fn own_phrasing(&self, question: &str) -> Option<LeftOut> {
        let (entry, phrasing) = (*self
            .verbatim
            .get(&verbatim_key(&tokenize(clip(question))))?)?;
        Some(LeftOut { entry, phrasing })
    }

    /// How many phrasings entry `entry` has (question, variants, keywords).
    pub fn phrasing_count(&self, entry: usize) -> usize {
        self.entries.get(entry).map_or(0, |e| e.phrasings.len())
    }

    fn weight(
        &self,
        term: &Term,
        id: Option<TermId>,
        report: usize,
        config: &Config,
    ) -> (f32, bool) {
        let stats = &self.reports[report];
        match id.and_then(|id| stats.idf.get(&id)) {
            Some(&idf) => (idf, true),
            None if term.specific || term.concept || term.unfamiliar => {
                (config.specific_weight * stats.max_idf, false)
            }
            None => (config.unknown_weight * stats.max_idf, false),
        }
    }

    /// The question's total weight as seen from one report.
    fn query_mass(&self, terms: &[QueryTerm], report: usize, config: &Config) -> f32 {
        self.query_mass_where(terms, report, config, |_| true)
    }

    /// As [`Matcher::query_mass`], over the terms whose share passes `keep`.
    fn query_mass_where(
        &self,
        terms: &[QueryTerm],
        report: usize,
        config: &Config,
        keep: impl Fn(f32) -> bool,
    ) -> f32 {
        let mut known = 0.0;
        let mut unknown = 0.0;
        for (term, id, share) in terms.iter().filter(|t| keep(t.2)) {
            let (w, is_known) = self.weight(term, *id, report, config);
            let w = w * share;
            if is_known || term.specific || term.concept || term.unfamiliar {
                known += w;
            } else {
                unknown += w;
            }
        }
        let cap = config.unknown_cap * config.unknown_weight * self.reports[report].max_idf;
        known + unknown.min(cap)
    }

    fn same_entries(&self, a: TermId, b: TermId) -> bool {
        let (pa, pb) = (&self.postings[a as usize], &self.postings[b as usize]);
        pa.len() == pb.len() && pa.iter().zip(pb).all(|(x, y)| x.entry == y.entry)
    }

    /// Pairs each term with its id, leaving out words that name the same thing as an
    /// earlier one.
    fn resolve(&self, terms_in: &[Term]) -> Vec<(Term, Option<TermId>)> {
        let mut terms: Vec<(Term, Option<TermId>)> = Vec::with_capacity(terms_in.len());
        for t in terms_in {
            let id = self.term_ids.get(&t.key).copied();
            // Two words in a row found in exactly the same entries ("stephen miller") name
            // one thing: counting both would let a full name outweigh the rest of the
            // question. Only in a row: with many phrasings an entry's ordinary words can
            // share their entries by chance ("officials" and "source").
            let same = id.is_some_and(|id| {
                terms
                    .last()
                    .is_some_and(|(_, other)| other.is_some_and(|o| self.same_entries(o, id)))
            });
            if !same {
                terms.push((t.clone(), id));
            }
        }
        terms
    }

    /// The credit of a term in an entry: saturating in the share of the entry's
    /// phrasings that use it, at least `answer_field_credit` when the answer says it.
    fn credit(&self, p: &Posting, term: TermId, left_out: Option<LeftOut>, config: &Config) -> f32 {
        let e = &self.entries[p.entry as usize];
        let mut used = p.phrasings as f32;
        let mut total = e.phrasings.len() as f32;
        if let Some(l) = left_out.filter(|l| l.entry == p.entry as usize) {
            total -= 1.0;
            if e.phrasings
                .get(l.phrasing)
                .is_some_and(|ph| ph.contains(term))
            {
                used -= 1.0;
            }
        }
        let share = if total > 0.0 { used / total } else { 0.0 };
        let k = config.share_saturation;
        let from_phrasings = share * (1.0 + k) / (share + k);
        if p.body {
            from_phrasings.max(config.answer_field_credit)
        } else {
            from_phrasings
        }
    }

    fn rank(
        &self,
        terms: &[QueryTerm],
        asked: u32,
        report: Option<usize>,
        config: &Config,
        left_out: Option<LeftOut>,
    ) -> (Vec<Ranked>, Vec<(f32, u32)>) {
        // First pass: how much of the question each entry explains.
        let mut covered: HashMap<u32, (f32, u32)> = HashMap::default();
        for (term, id, share) in terms {
            let Some(id) = id else { continue };
            for p in &self.postings[*id as usize] {
                if report.is_some_and(|r| r != self.entries[p.entry as usize].report) {
                    continue;
                }
                let credit = self.credit(p, *id, left_out, config);
                if credit <= 0.0 {
                    continue;
                }
                let c = covered.entry(p.entry).or_default();
                c.0 += p.idf * credit * term.credit * share;
                c.1 += 1;
            }
        }
        let mut mass: HashMap<usize, f32> = HashMap::default();
        let mut shortlist: Vec<(u32, f32, u32)> = covered
            .into_iter()
            .map(|(entry, (c, matched))| {
                let r = self.entries[entry as usize].report;
                let m = *mass
                    .entry(r)
                    .or_insert_with(|| self.query_mass(terms, r, config));
                (entry, if m > 0.0 { c / m } else { 0.0 }, matched)
            })
            .collect();
        shortlist.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        shortlist.truncate(SHORTLIST);

        // Second pass: how much of its closest phrasings the question repeats.
        let query: Vec<(TermId, f32)> = terms
            .iter()
            .filter_map(|(t, id, share)| id.map(|id| (id, t.credit * share)))
            .collect();
        let mut hits: Vec<f32> = Vec::new();
        // The nearest phrasings over the shortlist: (closeness, entry), nearest first.
        let mut neighbours: Vec<(f32, u32)> = Vec::with_capacity(NEIGHBOURS + 1);
        let mut ranked: Vec<Ranked> = shortlist
            .into_iter()
            .map(|(entry, coverage, matched)| {
                let e = &self.entries[entry as usize];
                let left = left_out
                    .filter(|l| l.entry == entry as usize)
                    .map(|l| l.phrasing);
                let m = mass.get(&e.report).copied().unwrap_or(0.0);
                let mut top = [0.0f32; VOTERS];
                let mut closeness = 0.0f32;
                hits.clear();
                hits.resize(e.phrasings.len(), 0.0);
                e.add_hits(&query, &mut hits);
                for (i, (p, &hit)) in e.phrasings.iter().zip(&hits).enumerate() {
                    if Some(i) == left || hit <= 0.0 {
                        continue;
                    }
                    if p.total + m > 0.0 {
                        let dice = 2.0 * hit / (p.total + m);
                        closeness = closeness.max(dice);
                        if neighbours.len() < NEIGHBOURS || dice > neighbours[NEIGHBOURS - 1].0 {
                            let at = neighbours.partition_point(|n| n.0 >= dice);
                            neighbours.insert(at, (dice, entry));
                            neighbours.truncate(NEIGHBOURS);
                        }
                    }
                    let s = if p.total > 0.0 { hit / p.total } else { 0.0 };
                    if s > top[VOTERS - 1] {
                        top[VOTERS - 1] = s;
                        top.sort_by(|a, b| b.total_cmp(a));
                    }
                }
                let mean = top.iter().sum::<f32>() / VOTERS as f32;
                let phrasing =
                    config.best_phrasing_share * top[0] + (1.0 - config.best_phrasing_share) * mean;
                // Repeating a phrasing only counts as far as the question is covered: a known
                // phrasing plus words the report never uses is not a match.
                let mut score = config.coverage_share * coverage
                    + (1.0 - config.coverage_share) * phrasing * coverage.sqrt();
                if asked & !e.types != 0 {
                    score *= 1.0 - config.type_mismatch_penalty;
                }
                if e.asks & !asked != 0 {
                    score *= 1.0 - config.gap_type_mismatch_penalty;
                }
                Ranked {
                    entry: entry as usize,
                    score: score.clamp(0.0, 1.0),
                    matched,
                    closeness: closeness.min(1.0),
                }
            })
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        (ranked, neighbours)
    }

    /// See [`Features::vote`].
    fn vote(&self, entry: usize, neighbours: &[(f32, u32)]) -> f32 {
        let e = &self.entries[entry];
        let kin = |other: usize| {
            let o = &self.entries[other];
            other == entry || o.report == e.report && o.paragraph != 0 && o.paragraph == e.paragraph
        };
        let all: f32 = neighbours.iter().map(|n| n.0).sum();
        let own: f32 = neighbours
            .iter()
            .filter(|n| kin(n.1 as usize))
            .map(|n| n.0)
            .sum();
        if all > 0.0 {
            own / all
        } else {
            0.0
        }
    }

    /// What the calibration needs to know about the candidate at `ranked[at]`.
    #[allow(clippy::too_many_arguments)]
    fn features(
        &self,
        terms: &[QueryTerm],
        asked: u32,
        seen: Seen<'_>,
        at: usize,
        long: bool,
        config: &Config,
        left_out: Option<LeftOut>,
    ) -> Features {
        let ranked = seen.ranked;
        let best = &ranked[at];
        let entry = &self.entries[best.entry];
        let stats = &self.reports[entry.report];
        let sibling = |other: &IndexedEntry| {
            other.report == entry.report
                && other.paragraph != 0
                && other.paragraph == entry.paragraph
        };
        let runner_up = ranked
            .iter()
            .enumerate()
            .find(|(i, r)| {
                *i != at && !self.entries[r.entry].is_gap && !sibling(&self.entries[r.entry])
            })
            .map_or(0.0, |(_, r)| r.score);
        let gap_lead = ranked
            .iter()
            .find(|r| self.entries[r.entry].is_gap)
            .map_or(0.0, |g| (g.score - best.score).max(0.0));
        let mass = self.query_mass(terms, entry.report, config);
        let asked_mass = if terms.iter().all(|t| t.2 == 1.0) {
            mass
        } else {
            self.query_mass_where(terms, entry.report, config, |share| share == 1.0)
        };
        let mut matched_weight = 0.0;
        let mut asked_matched = 0.0;
        for (term, id, share) in terms {
            let Some(id) = id else { continue };
            if let Some(p) = self.postings[*id as usize]
                .iter()
                .find(|p| p.entry as usize == best.entry)
            {
                let w = p.idf * self.credit(p, *id, left_out, config) * term.credit;
                matched_weight += w * share;
                if *share == 1.0 {
                    asked_matched += w;
                }
            }
        }
        let dice = best.closeness;
        let stranger = terms.iter().any(|(t, id, share)| {
            t.specific && *share == 1.0 && id.is_none_or(|id| !stats.idf.contains_key(&id))
        });
        let missing = asked & self.analyzer.required_types() & !entry.types;
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        Features {
            score: best.score,
            coverage: if mass > 0.0 {
                (matched_weight / mass).min(1.0)
            } else {
                0.0
            },
            phrasing: dice.min(1.0),
            lead: best.score - runner_up,
            evidence: (1.0 + matched_weight / stats.max_idf.max(f32::EPSILON)).ln(),
            stranger: flag(stranger),
            misses_name: flag(self.misses_a_name(best.entry, terms, config)),
            type_missing: flag(missing != 0),
            single_word: flag(best.matched < 2),
            long: flag(long),
            gap_lead,
            question_coverage: if asked_mass > 0.0 {
                (asked_matched / asked_mass).min(1.0)
            } else {
                0.0
            },
            vote: self.vote(best.entry, seen.neighbours),
        }
    }

    /// Hand rule: a yes/no question ("would this be the largest program in US history?")
    /// is settled by an entry's answer when everything it claims is what the answer and
    /// its quote state: yes. When it claims a number and the answer states another, with
    /// the rest stated: no. Otherwise (a negation, a choice, a word the answer doesn't
    /// say, such as "easy" against "complicated") the answer speaks for itself.
    fn settles(&self, tokens: &[Token], terms: &[QueryTerm], entry: usize) -> Option<bool> {
        let words: Vec<&str> = tokens.iter().map(|t| t.surface.as_str()).collect();
        let first = words
            .iter()
            .position(|w| !YES_NO_OPENERS_SKIPPED.contains(w))?;
        if !YES_NO_AUXILIARIES.contains(&words[first])
            || words
                .iter()
                .any(|w| NOT_YES_NO.contains(w) || w.ends_with("nt"))
        {
            return None;
        }
        let claims = &self.entries[entry].claims;
        let stated = |id: &Option<TermId>| id.is_some_and(|id| claims.binary_search(&id).is_ok());
        let mut numbers_differ = false;
        let mut content = 0;
        for (term, id, share) in terms {
            if *share < 1.0 {
                return None;
            }
            content += 1;
            if stated(id) {
                continue;
            }
            if term.number {
                numbers_differ = true;
            } else {
                return None;
            }
        }
        match (content >= 2, numbers_differ) {
            (true, false) => Some(true),
            (true, true) if self.entries[entry].claims_number => Some(false),
            _ => None,
        }
    }

    /// Hand rule, kept: when an entry of another report scores as well as the candidate
    /// (two reports telling the same fact), the question does not say which report it is
    /// about; a suggestion per report says it. The calibration, fitted on one report,
    /// has never seen such a tie.
    fn ties_across_reports(&self, entry: usize, ranked: &[Ranked], config: &Config) -> bool {
        let Some(best) = ranked.iter().find(|r| r.entry == entry) else {
            return false;
        };
        let report = self.entries[entry].report;
        ranked.iter().any(|r| {
            let other = &self.entries[r.entry];
            other.report != report && !other.is_gap && best.score - r.score < config.report_tie
        })
    }

    /// See [`Config::single_word_rarity`].
    /// A question asking for a kind of fact the entry states ("how many officials")
    /// has a second piece of evidence beside its one word.
    fn enough_evidence(
        &self,
        entry: usize,
        ranked: &[Ranked],
        terms: &[QueryTerm],
        asked: u32,
        config: &Config,
    ) -> bool {
        let states_asked = asked & self.analyzer.required_types() & self.entries[entry].types != 0;
        if states_asked || ranked.iter().any(|r| r.entry == entry && r.matched >= 2) {
            return true;
        }
        let [(_, Some(id), _)] = terms else {
            return false;
        };
        let stats = &self.reports[self.entries[entry].report];
        if stats.idf.get(id).copied().unwrap_or(0.0) >= config.single_word_rarity * stats.max_idf {
            return true;
        }
        // A common word can still be this entry's own ("goal"): most of the phrasings
        // that use it are the entry's, unlike a word spread over many ("time", "number").
        let postings = &self.postings[*id as usize];
        let all: u32 = postings.iter().map(|p| u32::from(p.phrasings)).sum();
        let own: u32 = postings
            .iter()
            .filter(|p| p.entry as usize == entry)
            .map(|p| u32::from(p.phrasings))
            .sum();
        all > 0 && own as f32 >= config.single_word_concentration * all as f32
    }

    /// Does the question name something rare in the report that `entry` never mentions?
    fn misses_a_name(&self, entry: usize, terms: &[QueryTerm], config: &Config) -> bool {
        let stats = &self.reports[self.entries[entry].report];
        terms.iter().any(|(term, id, _)| {
            let Some(id) = id else { return false };
            term.specific
                && !term.number
                && stats
                    .idf
                    .get(id)
                    .is_some_and(|&idf| idf >= config.name_rarity * stats.max_idf)
                && !self.postings[*id as usize]
                    .iter()
                    .any(|p| p.entry as usize == entry)
        })
    }

    /// The outcome follows the calibrated chance first: a long message whose words are
    /// mostly story scores low on coverage, yet its candidate may still be right.
    fn decide(
        &self,
        tokens: &[Token],
        ranked: &[Ranked],
        candidate: Option<usize>,
        probability: f32,
        config: &Config,
    ) -> Outcome {
        // Hand rule, kept: small talk gets the help text, whatever it shares with a
        // phrasing ("thanks for the answer").
        let chitchat = self.analyzer.is_chitchat(tokens);
        let facts = || ranked.iter().filter(|r| !self.entries[r.entry].is_gap);
        if chitchat || ranked.is_empty() {
            return Outcome::Declined {
                gap: None,
                chitchat,
                nearest: facts().take(MAX_SUGGESTIONS).map(|r| r.entry).collect(),
            };
        }
        // The calibration has weighed any better-fitting gap (`gap_lead`).
        if let Some(entry) = candidate.filter(|_| probability >= config.answer_probability) {
            return Outcome::Answered { entry };
        }
        let mut suggestions: Vec<usize> = Vec::new();
        if let Some(c) = candidate.filter(|_| probability >= config.suggest_probability) {
            suggestions.push(c);
        }
        for r in facts().filter(|r| r.score >= config.suggest_threshold) {
            if suggestions.len() < MAX_SUGGESTIONS && !suggestions.contains(&r.entry) {
                suggestions.push(r.entry);
            }
        }
        let best = &ranked[0];
        if self.entries[best.entry].is_gap && best.score >= config.gap_threshold {
            return Outcome::Declined {
                gap: Some(best.entry),
                chitchat: false,
                nearest: suggestions,
            };
        }
        if suggestions.is_empty() {
            Outcome::Declined {
                gap: None,
                chitchat: false,
                nearest: if best.score >= config.suggest_threshold {
                    Vec::new()
                } else {
                    facts().take(MAX_SUGGESTIONS).map(|r| r.entry).collect()
                },
            }
        } else {
            Outcome::Suggested {
                entries: suggestions,
            }
        }
    }
}

/// Words a yes/no question opens with.
const YES_NO_AUXILIARIES: &[&str] = &[
    "is", "are", "was", "were", "do", "does", "did", "will", "would", "can", "could", "has",
    "have", "had", "should",
];
/// Openers passed over before the auxiliary ("so is it…", "wait did they…").
const YES_NO_OPENERS_SKIPPED: &[&str] = &[
    "so", "and", "but", "wait", "ok", "okay", "hey", "yo", "also",
];
/// Words that make a question something else than a plain yes/no: a negation flips it,
/// a question word or a choice asks for more than yes or no.
const NOT_YES_NO: &[&str] = &[
    "not", "no", "never", "nor", "or", "what", "how", "who", "whom", "which", "where", "when",
    "why", "whats", "hows", "whos",
];

/// A text's words, folded and joined: how a verbatim phrasing is recognised.
fn verbatim_key(tokens: &[Token]) -> String {
    let mut key = String::new();
    for t in tokens {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(&t.surface);
    }
    key
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

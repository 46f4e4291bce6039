//! The matcher: a question in, entries ranked with a confidence in 0..1 out, and one
//! of three outcomes. Pure code: no I/O, no Discord, no terminal.
//!
//! Scoring, in short: each term of the question weighs by how rare it is among the
//! entries of a report (idf). An entry's confidence blends how much of the question's
//! weight it explains with how much of its closest phrasing the question repeats.
//! Words the report never uses count against every entry, and names or numbers it
//! doesn't know count heavily: that is what keeps "how many did Canada deport?" from
//! being answered with a nearby fact.

mod analyze;
mod normalize;
mod typo;

use rustc_hash::FxHashMap as HashMap;

pub use analyze::{Analyzer, Term};
pub use normalize::{fold, tokenize, Token};

pub use typo::TypoIndex;

use crate::knowledge::{Body, KnowledgeBase};

/// Tuning of the matcher. Every value was chosen by measurement on the regression
/// question sets (`factdesk eval`); see the README for the figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Confidence at or above which the best entry is answered.
    pub answer_threshold: f32,
    /// The best entry must lead the next one by this much to be answered; closer
    /// entries are offered as suggestions instead of guessing between them.
    pub min_margin: f32,
    /// A second, lower bar for answering: a less confident best entry is still
    /// answered when it leads every other entry by `clear_lead` and shares at least
    /// two words with the question (long questions carry many words the report
    /// never uses, yet point clearly at one entry; one shared word is a coincidence).
    /// Not when the question names something the report doesn't know ("Canada").
    pub low_answer_threshold: f32,
    pub clear_lead: f32,
    /// A one-word question is answered only when the word's idf among the report's
    /// facts is at least this share of the rarest possible (it names one thing, not a
    /// whole subject).
    pub single_word_rarity: f32,
    /// A name the question spells with a capital, known to the report and at least
    /// this rare in it (as a share of the rarest possible idf), must be in the entry
    /// that answers: "What did Obama say about the plan?" is about Obama, and an entry
    /// about the plan that never mentions him is a suggestion at most. Names in most
    /// entries ("Trump") say little and are exempt.
    pub name_rarity: f32,
    /// Confidence at or above which entries are offered as "did you mean".
    pub suggest_threshold: f32,
    /// Share of confidence from covering the question (the rest: from repeating a phrasing).
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
    /// found in its questions or keywords.
    pub answer_field_credit: f32,
    /// Share of confidence lost by an entry whose answer does not state the kind of
    /// thing the question asks for ("how long" and no duration).
    pub type_mismatch_penalty: f32,
    /// Share of confidence lost by a gap whose question asks for a kind of fact
    /// ("how much money…?", "when…?") that the question does not ask for: "is the
    /// administration asking Congress for money?" is answered by the request, not by
    /// its missing amount.
    pub gap_type_mismatch_penalty: f32,
    /// In a message of at least `context_min_tokens` words that asks a question, how
    /// much a word said outside the question sentences counts ("My uncle keeps saying
    /// … What is the target?"): the story around a question is not what it asks.
    /// Names count fully wherever they are: they still say what it is about (a number
    /// around the question is mostly a claim being checked: "my dad says 30 million").
    pub context_weight: f32,
    pub context_min_tokens: usize,
    /// Within the phrasing score, the share of the single closest phrasing (the rest:
    /// the mean of the three closest, rewarding entries that many phrasings support).
    pub best_phrasing_share: f32,
}

impl Config {
    pub const DEFAULT: Config = Config {
        answer_threshold: 0.50,
        min_margin: 0.02,
        low_answer_threshold: 0.40,
        clear_lead: 0.10,
        single_word_rarity: 0.6,
        name_rarity: 0.5,
        suggest_threshold: 0.30,
        coverage_share: 0.8,
        unknown_weight: 0.4,
        unknown_cap: 2.0,
        specific_weight: 1.5,
        answer_field_credit: 0.5,
        type_mismatch_penalty: 0.1,
        gap_type_mismatch_penalty: 0.1,
        context_weight: 0.5,
        context_min_tokens: 12,
        best_phrasing_share: 0.7,
    };

    /// For channels where the bot speaks unasked: answer only when nearly certain.
    pub fn strict() -> Config {
        Config {
            answer_threshold: 0.75,
            min_margin: 0.15,
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
    pub confidence: f32,
    /// How many distinct words of the question the entry contains.
    pub matched: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub outcome: Outcome,
    /// Candidates, best first.
    pub ranked: Vec<Ranked>,
}

impl Match {
    pub fn confidence(&self) -> f32 {
        self.ranked.first().map_or(0.0, |r| r.confidence)
    }
}

/// Most suggestions offered at once.
pub const MAX_SUGGESTIONS: usize = 3;
/// Longest question considered, in bytes: the rest of a huge paste is ignored.
pub const MAX_QUESTION_BYTES: usize = 4_000;
/// Candidates kept after the first, cheap pass over the postings.
const SHORTLIST: usize = 8;

type TermId = u32;
/// A term of a question, its id if the knowledge base knows it, and the share of its
/// weight it counts for (see [`Config::context_weight`]).
type QueryTerm = (Term, Option<TermId>, f32);

/// One phrasing (question, variant or keyword) as its terms with their weights.
struct Phrasing {
    terms: Vec<(TermId, f32)>,
    total: f32,
}

struct IndexedEntry {
    report: usize,
    /// The paragraph the answer cites (0 for a gap): entries citing the same
    /// paragraph are siblings, and a near tie between siblings is not ambiguity.
    paragraph: usize,
    phrasings: Vec<Phrasing>,
    /// Answer types the entry's answer states (see [`Analyzer::stated_types`]).
    types: u32,
    /// For a gap, the answer types its question asks for (see
    /// [`Analyzer::asked_types`]): what the report is missing.
    asks: u32,
    is_gap: bool,
}

struct ReportStats {
    idf: HashMap<TermId, f32>,
    max_idf: f32,
    /// The same among the report's facts only: how rare a word is among the things
    /// the report says (gaps mentioning a place do not make it a whole subject).
    fact_idf: HashMap<TermId, f32>,
    fact_max_idf: f32,
}

/// Ranks entries of a knowledge base for a question. Built once per knowledge base.
pub struct Matcher {
    analyzer: Analyzer,
    typos: TypoIndex,
    term_ids: HashMap<String, TermId>,
    /// Term → (entry, credit of the field it was found in, the term's idf in the
    /// entry's report), so scoring needs no lookups.
    postings: Vec<Vec<(u32, f32, f32)>>,
    entries: Vec<IndexedEntry>,
    reports: Vec<ReportStats>,
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
        let mut postings: Vec<Vec<(u32, f32, f32)>> = Vec::new();
        let mut entries = Vec::with_capacity(kb.entries.len());
        let mut df: Vec<HashMap<TermId, u32>> = vec![HashMap::default(); kb.reports.len()];
        let mut counts = vec![0u32; kb.reports.len()];
        let mut fact_df = df.clone();
        let mut fact_counts = counts.clone();

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

        for (index, entry) in kb.entries.iter().enumerate() {
            let mut intern = |key: &str| -> TermId {
                let next = term_ids.len() as TermId;
                *term_ids.entry(key.to_string()).or_insert_with(|| {
                    postings.push(Vec::new());
                    next
                })
            };
            let phrasing_texts = std::iter::once(&entry.question)
                .chain(&entry.variants)
                .chain(&entry.keywords);
            let mut phrasings = Vec::new();
            let mut credit: HashMap<TermId, f32> = HashMap::default();
            for text in phrasing_texts {
                for token in tokenize(text) {
                    typos.add(&token.surface);
                }
                let mut ids: Vec<TermId> = analyzer
                    .terms(text)
                    .iter()
                    .map(|t| intern(&t.key))
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                for &id in &ids {
                    credit.insert(id, 1.0);
                }
                phrasings.push(Phrasing {
                    terms: ids.into_iter().map(|id| (id, 0.0)).collect(),
                    total: 0.0,
                });
            }
            let mut body_text = entry.topic.clone();
            let mut types = 0;
            let mut asks = 0;
            match &entry.body {
                Body::Fact { answer, source } => {
                    body_text.push(' ');
                    body_text.push_str(answer);
                    body_text.push(' ');
                    body_text.push_str(&source.quote);
                    types = analyzer.stated_types(answer);
                }
                Body::Gap { note } => {
                    body_text.push(' ');
                    body_text.push_str(note);
                    asks = analyzer.asked_types(&tokenize(&entry.question));
                }
            }
            for token in tokenize(&body_text) {
                typos.add(&token.surface);
            }
            for term in analyzer.terms(&body_text) {
                let id = intern(&term.key);
                credit.entry(id).or_insert(config.answer_field_credit);
            }
            for (&id, &c) in &credit {
                postings[id as usize].push((index as u32, c, 0.0));
                *df[entry.report].entry(id).or_default() += 1;
                if !entry.is_gap() {
                    *fact_df[entry.report].entry(id).or_default() += 1;
                }
            }
            counts[entry.report] += 1;
            if !entry.is_gap() {
                fact_counts[entry.report] += 1;
            }
            entries.push(IndexedEntry {
                report: entry.report,
                paragraph: entry.source().map_or(0, |s| s.paragraph),
                phrasings,
                types,
                asks,
                is_gap: entry.is_gap(),
            });
        }

        analyzer.cache_stems(typos.words());
        let words: Vec<String> = typos.words().map(str::to_string).collect();
        for word in words {
            typos.add_stem(analyzer.stem(&word));
        }

        let idf_of = |df: HashMap<TermId, u32>, n: u32| -> (HashMap<TermId, f32>, f32) {
            let idf = df
                .into_iter()
                .map(|(id, d)| (id, (1.0 + n as f32 / d as f32).ln()))
                .collect();
            (idf, (1.0 + n.max(1) as f32).ln())
        };
        let reports: Vec<ReportStats> = df
            .into_iter()
            .zip(counts)
            .zip(fact_df.into_iter().zip(fact_counts))
            .map(|((df, n), (fact_df, fact_n))| {
                let (idf, max_idf) = idf_of(df, n);
                let (fact_idf, fact_max_idf) = idf_of(fact_df, fact_n);
                ReportStats {
                    idf,
                    max_idf,
                    fact_idf,
                    fact_max_idf,
                }
            })
            .collect();

        // Weights are known only now that every entry is counted.
        for (id, list) in postings.iter_mut().enumerate() {
            for (entry, _, idf) in list.iter_mut() {
                let stats: &ReportStats = &reports[entries[*entry as usize].report];
                *idf = stats.idf.get(&(id as TermId)).copied().unwrap_or(0.0);
            }
        }
        for e in &mut entries {
            let stats: &ReportStats = &reports[e.report];
            for p in &mut e.phrasings {
                for (id, w) in &mut p.terms {
                    *w = stats.idf.get(id).copied().unwrap_or(0.0);
                }
                p.total = p.terms.iter().map(|(_, w)| w).sum();
            }
        }

        Self {
            analyzer,
            typos,
            term_ids,
            postings,
            entries,
            reports,
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

    /// Ranks entries for `question`, optionally only those of one report.
    pub fn ask(&self, question: &str, report: Option<usize>) -> Match {
        self.ask_with(question, report, &self.config)
    }

    /// As [`Matcher::ask`], with other thresholds (e.g. [`Config::strict`]).
    pub fn ask_with(&self, question: &str, report: Option<usize>, config: &Config) -> Match {
        let tokens = tokenize(clip(question));
        let long = tokens.len() >= config.context_min_tokens;
        let terms: Vec<QueryTerm> = self
            .resolve(&self.analyzer.query_terms(&tokens, &self.typos))
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
        let asked = self.analyzer.asked_types(&tokens);
        let ranked = self.rank(&terms, asked, report, config);
        let outcome = self.decide(&tokens, &terms, asked, &ranked, config);
        Match { outcome, ranked }
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
        let mut known = 0.0;
        let mut unknown = 0.0;
        for (term, id, share) in terms {
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
        pa.len() == pb.len() && pa.iter().zip(pb).all(|(x, y)| x.0 == y.0)
    }

    /// Pairs each term with its id, leaving out words that name the same thing as an
    /// earlier one.
    fn resolve(&self, terms_in: &[Term]) -> Vec<(Term, Option<TermId>)> {
        let mut terms: Vec<(Term, Option<TermId>)> = Vec::with_capacity(terms_in.len());
        for t in terms_in {
            let id = self.term_ids.get(&t.key).copied();
            // Words found in exactly the same entries ("stephen" and "miller") name one
            // thing: counting both would let a full name outweigh the rest of the question.
            let same = id.is_some_and(|id| {
                terms
                    .iter()
                    .any(|(_, other)| other.is_some_and(|o| self.same_entries(o, id)))
            });
            if !same {
                terms.push((t.clone(), id));
            }
        }
        terms
    }

    fn rank(
        &self,
        terms: &[QueryTerm],
        asked: u32,
        report: Option<usize>,
        config: &Config,
    ) -> Vec<Ranked> {
        // First pass: how much of the question each entry explains.
        let mut covered: HashMap<u32, (f32, u32)> = HashMap::default();
        for (term, id, share) in terms {
            let Some(id) = id else { continue };
            for &(entry, credit, idf) in &self.postings[*id as usize] {
                if report.is_some_and(|r| r != self.entries[entry as usize].report) {
                    continue;
                }
                let c = covered.entry(entry).or_default();
                c.0 += idf * credit * term.credit * share;
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

        // Second pass: how much of its closest phrasing the question repeats.
        let query: Vec<(TermId, f32)> = terms
            .iter()
            .filter_map(|(t, id, share)| id.map(|id| (id, t.credit * share)))
            .collect();
        let mut ranked: Vec<Ranked> = shortlist
            .into_iter()
            .map(|(entry, coverage, matched)| {
                let e = &self.entries[entry as usize];
                let mut scores: Vec<f32> = e
                    .phrasings
                    .iter()
                    .map(|p| {
                        let hit: f32 = p
                            .terms
                            .iter()
                            .filter_map(|(id, w)| {
                                query
                                    .iter()
                                    .find(|(q, _)| q == id)
                                    .map(|(_, credit)| w * credit)
                            })
                            .sum();
                        if p.total > 0.0 {
                            hit / p.total
                        } else {
                            0.0
                        }
                    })
                    .collect();
                scores.sort_by(|a, b| b.total_cmp(a));
                let best = scores.first().copied().unwrap_or(0.0);
                let top = &scores[..scores.len().min(3)];
                let mean = if top.is_empty() {
                    0.0
                } else {
                    top.iter().sum::<f32>() / top.len() as f32
                };
                let phrasing =
                    config.best_phrasing_share * best + (1.0 - config.best_phrasing_share) * mean;
                // Repeating a phrasing only counts as far as the question is covered: a known
                // phrasing plus words the report never uses is not a match.
                let mut confidence = config.coverage_share * coverage
                    + (1.0 - config.coverage_share) * phrasing * coverage.sqrt();
                if asked & !e.types != 0 {
                    confidence *= 1.0 - config.type_mismatch_penalty;
                }
                if e.asks & !asked != 0 {
                    confidence *= 1.0 - config.gap_type_mismatch_penalty;
                }
                Ranked {
                    entry: entry as usize,
                    confidence: confidence.clamp(0.0, 1.0),
                    matched,
                }
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.entry.cmp(&b.entry))
        });
        ranked
    }

    /// One shared word answers only a one-word question, and only when that word is
    /// rare in its report ("guantanamo", not "deportation" nor "pizza topping").
    fn enough_evidence(&self, best: &Ranked, terms: &[QueryTerm], config: &Config) -> bool {
        if best.matched >= 2 {
            return true;
        }
        let [(_, Some(id), _)] = terms else {
            return false;
        };
        let stats = &self.reports[self.entries[best.entry].report];
        let idf = stats.fact_idf.get(id).copied().unwrap_or(0.0);
        idf >= config.single_word_rarity * stats.fact_max_idf
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
                    .any(|&(e, _, _)| e as usize == entry)
        })
    }

    fn decide(
        &self,
        tokens: &[Token],
        terms: &[QueryTerm],
        asked: u32,
        ranked: &[Ranked],
        config: &Config,
    ) -> Outcome {
        let suggestions = |skip: Option<usize>| -> Vec<usize> {
            ranked
                .iter()
                .filter(|r| r.confidence >= config.suggest_threshold && Some(r.entry) != skip)
                .filter(|r| !self.entries[r.entry].is_gap)
                .take(MAX_SUGGESTIONS)
                .map(|r| r.entry)
                .collect()
        };
        let chitchat = self.analyzer.is_chitchat(tokens);
        let Some(best) = ranked
            .first()
            .filter(|b| b.confidence >= config.suggest_threshold && !chitchat)
        else {
            return Outcome::Declined {
                gap: None,
                chitchat,
                nearest: ranked
                    .iter()
                    .filter(|r| !self.entries[r.entry].is_gap)
                    .take(MAX_SUGGESTIONS)
                    .map(|r| r.entry)
                    .collect(),
            };
        };
        let entry = &self.entries[best.entry];
        let sibling = |other: &IndexedEntry| {
            other.report == entry.report
                && other.paragraph != 0
                && other.paragraph == entry.paragraph
        };
        let runner_up = ranked[1..]
            .iter()
            .find(|r| !sibling(&self.entries[r.entry]))
            .map_or(0.0, |r| r.confidence);
        let lead = best.confidence - runner_up;
        // A name or number the report doesn't know means the question may be about
        // something else: no lower bar then.
        let stranger = terms.iter().any(|(t, id, share)| {
            t.specific
                && *share == 1.0
                && id.is_none_or(|id| !self.reports[entry.report].idf.contains_key(&id))
        });
        let clear = self.enough_evidence(best, terms, config)
            && ((best.confidence >= config.answer_threshold && lead >= config.min_margin)
                || (best.confidence >= config.low_answer_threshold
                    && lead >= config.clear_lead
                    && best.matched >= 2
                    && !stranger));
        if entry.is_gap && best.confidence >= config.answer_threshold {
            return Outcome::Declined {
                gap: Some(best.entry),
                chitchat: false,
                nearest: suggestions(None),
            };
        }
        let missing = asked & self.analyzer.required_types() & !entry.types;
        let fits = missing == 0 && !self.misses_a_name(best.entry, terms, config);
        if clear && fits && !entry.is_gap {
            return Outcome::Answered { entry: best.entry };
        }
        let entries = suggestions(None);
        if entries.is_empty() {
            Outcome::Declined {
                gap: None,
                chitchat: false,
                nearest: Vec::new(),
            }
        } else {
            Outcome::Suggested { entries }
        }
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

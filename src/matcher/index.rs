//! Building the index: each entry's phrasings as weighted terms, the postings of
//! every term, and the idf statistics of each report.

use rustc_hash::FxHashMap as HashMap;

use super::semantic::{self, Packed, Query};
use super::{normalize, tokenize, Analyzer, Config, Matcher, TermId, Token, TypoIndex};
use crate::knowledge::{Body, KnowledgeBase, SynonymGroup};

/// One phrasing (question, variant or keyword) as its terms with their weights.
pub(super) struct Phrasing {
    pub(super) terms: Vec<(TermId, f32)>,
    pub(super) total: f32,
}

impl Phrasing {
    pub(super) fn contains(&self, id: TermId) -> bool {
        self.terms.binary_search_by_key(&id, |(t, _)| *t).is_ok()
    }
}

/// A term in one entry: in how many of its phrasings, and whether its answer or quote
/// says it.
#[derive(Clone, Copy)]
pub(super) struct Posting {
    pub(super) entry: u32,
    pub(super) phrasings: u16,
    pub(super) body: bool,
    /// The term's idf in the entry's report, so scoring needs no lookups.
    pub(super) idf: f32,
}

/// Phrasings closer in meaning than this to one kept before them share its row.
const DISTINCT_MEANING: f32 = 0.9;

pub(super) struct IndexedEntry {
    pub(super) report: usize,
    /// The paragraph the answer cites (0 for a gap): entries citing the same
    /// paragraph are siblings, and a near tie between siblings is not ambiguity.
    pub(super) paragraph: usize,
    pub(super) phrasings: Vec<Phrasing>,
    /// Answer types the entry's answer states (see [`Analyzer::stated_types`]).
    pub(super) types: u32,
    /// The answer types it states in words alone, when a question already gives every
    /// figure of it (see [`Matcher::stated_for`]).
    pub(super) types_in_words: u32,
    /// The figures the answer states (number keys, sorted), empty for a gap.
    pub(super) figures: Vec<String>,
    /// For a gap, the answer types its question asks for: what the report is missing.
    pub(super) asks: u32,
    pub(super) is_gap: bool,
    /// Terms the answer and its quote state (sorted): what a yes/no question must
    /// stay within for the answer to settle it.
    pub(super) claims: Vec<TermId>,
    /// The answer or quote states a number.
    pub(super) claims_number: bool,
    /// The answer or quote says "not", "no", "never" or the like: its words alone do not
    /// make a yes ("are the other routes affected?" against "will not be affected").
    pub(super) negates: bool,
    /// The sentence vector of each phrasing (in order), then of the answer for a fact.
    pub(super) meaning: Packed,
    /// Each phrasing's row in `meaning`; `None` when a row before it says nearly the same.
    meaning_rows: Vec<Option<u32>>,
    /// Which phrasings use each term (sorted by term; ranges into `uses`): a question
    /// is compared only with the phrasings that share a word with it.
    by_term: Vec<(TermId, u32, u32)>,
    /// (phrasing, the term's weight in it).
    uses: Vec<(u16, f32)>,
}

impl IndexedEntry {
    /// The closest in meaning of the entry's phrasings (but `left_out`) and its answer.
    pub(super) fn nearest_meaning(&self, q: &Query, left_out: Option<usize>) -> f32 {
        let skip = left_out.and_then(|i| self.meaning_rows.get(i).copied().flatten());
        self.meaning.nearest(q, skip.map(|r| r as usize))
    }

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
    pub(super) fn add_hits(&self, query: &[(TermId, f32)], hits: &mut [f32]) {
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

pub(super) struct ReportStats {
    pub(super) idf: HashMap<TermId, f32>,
    pub(super) max_idf: f32,
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
        // A misspelt word is corrected to a word of a synonym group only when an entry's
        // question, topic, answer, quote or note uses that group: the shared vocabulary
        // knows thousands of words no report says, and indexing their slips would double
        // the time to start.
        let used: rustc_hash::FxHashSet<String> = kb
            .entries
            .iter()
            .flat_map(|e| {
                let body = match &e.body {
                    Body::Fact { answer, source } => [answer.as_str(), source.quote.as_str()],
                    Body::Gap { note } => [note.as_str(), ""],
                };
                [e.question.as_str(), e.topic.as_str()]
                    .into_iter()
                    .chain(body)
            })
            .flat_map(|text| analyzer.terms(text))
            .filter(|t| t.concept)
            .map(|t| t.key)
            .collect();
        let shared = kb
            .vocabulary
            .synonyms
            .iter()
            .filter(|g| used.contains(&g.canonical));
        let report_groups = kb.reports.iter().flat_map(|r| &r.synonyms);
        for group in shared.chain(report_groups) {
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
        // A report's own synonyms, as term key → the other keys of its group.
        let aliases: Vec<HashMap<String, Vec<String>>> = kb
            .reports
            .iter()
            .map(|r| report_aliases(&analyzer, &r.synonyms))
            .collect();
        for (index, entry) in kb.entries.iter().enumerate() {
            let alias = &aliases[entry.report];
            let expand = |keys: Vec<String>| -> Vec<String> {
                if alias.is_empty() {
                    return keys;
                }
                let mut all = keys.clone();
                for k in &keys {
                    all.extend(alias.get(k).into_iter().flatten().cloned());
                }
                all
            };
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
                let keys = expand(terms.into_iter().map(|t| t.key).collect());
                let mut ids: Vec<TermId> = keys.iter().map(|k| intern(k)).collect();
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
            let mut types_in_words = 0;
            let mut figures = Vec::new();
            let mut asks = 0;
            let mut claims = Vec::new();
            let mut claims_number = false;
            let mut negates = false;
            match &entry.body {
                Body::Fact { answer, source } => {
                    let said = format!("{answer} {}", source.quote);
                    negates = tokenize(&said)
                        .iter()
                        .any(|t| super::decide::is_negation(&t.surface));
                    let said_terms = analyzer.terms(&said);
                    claims_number = said_terms.iter().any(|t| t.number);
                    // The topic names what the fact is about ("The settlement"): a claim
                    // about it is one the answer speaks to.
                    claims = said_terms
                        .iter()
                        .chain(&analyzer.terms(&entry.topic))
                        .map(|t| intern(&t.key))
                        .collect();
                    claims.sort_unstable();
                    claims.dedup();
                    body_text.push(' ');
                    body_text.push_str(&said);
                    types = analyzer.stated_types(answer);
                    types_in_words = analyzer.stated_types_in_words(answer);
                    figures = analyzer
                        .terms(answer)
                        .into_iter()
                        // Figures, not ordinals: "the first bikes" gives no figure.
                        .filter(|t| {
                            t.number && t.key.trim_start_matches('#').parse::<f64>().is_ok()
                        })
                        .map(|t| t.key)
                        .collect();
                    figures.sort_unstable();
                    figures.dedup();
                    if entry.says_nothing() {
                        asks = analyzer.asked_types(&tokenize(&entry.question));
                    }
                }
                Body::Gap { note } => {
                    body_text.push(' ');
                    body_text.push_str(note);
                    asks = analyzer.asked_types(&tokenize(&entry.question));
                }
            }
            for key in expand(
                analyzer
                    .terms(&body_text)
                    .into_iter()
                    .map(|t| t.key)
                    .collect(),
            ) {
                seen.entry(intern(&key)).or_default().1 = true;
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
            let mut meaning = Packed::default();
            let meaning_rows = entry
                .phrasings()
                .map(|text| {
                    meaning
                        .push_distinct(semantic::embed(text), DISTINCT_MEANING)
                        .map(|r| r as u32)
                })
                .collect();
            if let Some(answer) = entry.answer() {
                meaning.push_distinct(semantic::embed(answer), DISTINCT_MEANING);
            }
            entries.push(IndexedEntry {
                report: entry.report,
                paragraph: entry.source().map_or(0, |s| s.paragraph),
                phrasings,
                types,
                types_in_words,
                figures,
                asks,
                is_gap: entry.says_nothing(),
                claims,
                claims_number,
                negates,
                meaning,
                meaning_rows,
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
}

/// A report's synonym groups as term key → the other keys of the group, so an entry is
/// indexed under every word of a group its text uses. Only terms read as one key take
/// part: the words of "unpaid rent" alone would make every "rent" mean the group. The
/// canonical name is a label, not a word of the group.
fn report_aliases(analyzer: &Analyzer, groups: &[SynonymGroup]) -> HashMap<String, Vec<String>> {
    let mut aliases: HashMap<String, Vec<String>> = HashMap::default();
    for group in groups {
        let mut keys: Vec<String> = group
            .terms
            .iter()
            .filter_map(|t| match analyzer.terms(t).as_slice() {
                [one] => Some(one.key.clone()),
                _ => None,
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        for k in &keys {
            let others = aliases.entry(k.clone()).or_default();
            others.extend(keys.iter().filter(|o| *o != k).cloned());
            others.sort_unstable();
            others.dedup();
        }
    }
    aliases
}

/// A text's words, folded and joined: how a verbatim phrasing is recognised.
pub(super) fn verbatim_key(tokens: &[Token]) -> String {
    let mut key = String::new();
    for t in tokens {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(&t.surface);
    }
    key
}

//! Turns text into weighted terms: tokens, typo correction (queries only), synonym
//! phrases mapped to one concept, stop words dropped, stems.

use std::borrow::Cow;
use std::sync::OnceLock;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::kinds::{answer_kinds, cue_index, AnswerKind, Cue, TypeMasks};
use super::normalize::{fold, ordinal, tokenize, Token, WordStemmer};
use super::typo::TypoIndex;
use crate::knowledge::Vocabulary;

/// How much a corrected word counts compared with one typed right, by edit distance.
pub const CORRECTION_CREDIT: [f32; 3] = [1.0, 0.9, 0.75];

/// Most filler words a phrase may pass over ("send them all back").
pub const MAX_SKIPPED_IN_PHRASE: usize = 2;

/// One meaningful term of a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Term {
    /// Stem, number (`#1400000`) or synonym concept.
    pub key: String,
    /// Written as a name or a number: when the report doesn't know it, the question is
    /// about something else, so it weighs heavily.
    pub specific: bool,
    /// Written as a number (a kind of `specific`).
    pub number: bool,
    /// 1.0 as typed; less when it was corrected from a typo.
    pub credit: f32,
    /// The key is a vocabulary concept (a synonym group), not a plain stem.
    pub concept: bool,
    /// Every word of it was said around the question, not in it (see [`Token::context`]).
    pub context: bool,
    /// Not a common English word either: typed in lower case, still most likely a name
    /// ("canada", "biden"). When the report doesn't know it, it weighs like a name.
    pub unfamiliar: bool,
    /// The words it was read from, as typed (folded): what an editor is shown.
    pub words: String,
}

/// Shortest word [`Term::unfamiliar`] is judged on: shorter ones are mostly chat ("ppl", "tho").
pub const MIN_UNFAMILIAR_LEN: usize = 5;

/// A country or region, in lower case (`places.txt`): a name however it is typed.
fn is_place(surface: &str) -> bool {
    static PLACES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    PLACES
        .get_or_init(|| super::typo::word_list(include_str!("places.txt")))
        .contains(surface)
}

/// A lower-case word that no common-word list knows: most likely a name.
fn unfamiliar(surface: &str) -> bool {
    surface.chars().count() >= MIN_UNFAMILIAR_LEN
        && surface.chars().all(|c| c.is_alphabetic())
        && !super::typo::is_common_word(surface)
}

/// The language side of matching: stop words, synonyms, small talk and stemming.
pub struct Analyzer {
    stop_words: HashSet<String>,
    /// Stems of stop words: a misspelt stop word ("befor") often stems to one.
    stop_stems: HashSet<String>,
    /// Stemmed phrase (words joined by spaces) → concept.
    phrases: HashMap<String, String>,
    /// Single words as listed → concept, looked up before stems: different words
    /// can share a stem ("immigrants" and "immigration", "nations" and "nationals").
    words: HashMap<String, String>,
    /// For each stem that starts a phrase, the longest phrase it starts (in words):
    /// most words start none, and skip the lookups.
    phrase_starts: HashMap<String, usize>,
    /// Every proper start of a phrase of several words ("kick" of "kick out"): a
    /// longer key is tried only while it can still become a phrase.
    prefixes: HashSet<String>,
    /// Stems of words seen in the knowledge base, so queries rarely run the stemmer.
    stem_cache: HashMap<String, String>,
    concepts: HashSet<String>,
    /// Stop words that no phrase has after its first word: a phrase may pass over them.
    skippable: HashSet<String>,
    chitchat: HashSet<String>,
    longest_chitchat: usize,
    /// Answer types; bit `i` of a mask is type `i`.
    pub(super) answer_types: Vec<AnswerKind>,
    /// Masks of those types that every question consults, worked out once.
    pub(super) masks: TypeMasks,
    /// The cues of every answer type, by their first word: (type, cue).
    pub(super) cues: HashMap<String, Vec<(usize, Cue)>>,
    stemmer: WordStemmer,
}

impl Analyzer {
    pub fn new(vocabulary: &Vocabulary) -> Self {
        let stemmer = WordStemmer::default();
        let mut phrases = HashMap::default();
        let mut words = HashMap::default();
        let mut phrase_starts: HashMap<String, usize> = HashMap::default();
        let mut prefixes: HashSet<String> = HashSet::default();
        let mut add_prefixes = |stems: &[String]| {
            for end in 1..stems.len() {
                prefixes.insert(stems[..end].join(" "));
            }
        };
        for group in &vocabulary.synonyms {
            for term in group.terms.iter().chain(std::iter::once(&group.canonical)) {
                let stems: Vec<String> = tokenize(term)
                    .iter()
                    .map(|t| stemmer.stem(&t.surface))
                    .collect();
                if stems.is_empty() {
                    continue;
                }
                let longest = phrase_starts.entry(stems[0].clone()).or_insert(1);
                *longest = (*longest).max(stems.len());
                phrases.insert(stems.join(" "), group.canonical.clone());
                add_prefixes(&stems);
                if let [token] = tokenize(term).as_slice() {
                    words.insert(token.surface.clone(), group.canonical.clone());
                }
            }
        }
        // A stop word of several words is a filler phrase ("fit into", "keep hearing"):
        // found like a synonym phrase, and dropped. Its words alone may still mean
        // something ("hearing" is a court word).
        for phrase in vocabulary.stop_words.iter().filter(|w| w.contains(' ')) {
            let stems: Vec<String> = tokenize(phrase)
                .iter()
                .map(|t| stemmer.stem(&t.surface))
                .collect();
            if stems.len() < 2 {
                continue;
            }
            let longest = phrase_starts.entry(stems[0].clone()).or_insert(1);
            *longest = (*longest).max(stems.len());
            phrases.entry(stems.join(" ")).or_insert_with(String::new);
            add_prefixes(&stems);
        }
        let chitchat: HashSet<String> = vocabulary
            .chitchat
            .iter()
            .map(|c| {
                tokenize(c)
                    .into_iter()
                    .map(|t| t.surface)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let longest_chitchat = chitchat
            .iter()
            .map(|c| c.split(' ').count())
            .max()
            .unwrap_or(1);
        let stop_words: HashSet<String> = vocabulary
            .stop_words
            .iter()
            .filter(|w| !w.contains(' '))
            .map(|w| fold(w).replace('\'', ""))
            .collect();
        let phrase_words: HashSet<String> = vocabulary
            .synonyms
            .iter()
            .flat_map(|g| &g.terms)
            .chain(&vocabulary.stop_words)
            .flat_map(|t| tokenize(t).into_iter().skip(1))
            .map(|t| t.surface)
            .collect();
        let skippable = stop_words
            .iter()
            .filter(|w| !phrase_words.contains(*w))
            .cloned()
            .collect();
        // Not the stems of "-ly" adverbs: "totally" stems to "total", a word that means something.
        let stop_stems = stop_words
            .iter()
            .filter(|w| !w.ends_with("ly"))
            .map(|w| stemmer.stem(w))
            .filter(|s| s.len() >= 4)
            .collect();
        let answer_types = answer_kinds(&vocabulary.answer_types);
        Self {
            stop_words,
            stop_stems,
            skippable,
            phrases,
            words,
            phrase_starts,
            prefixes,
            stem_cache: HashMap::default(),
            concepts: vocabulary
                .synonyms
                .iter()
                .map(|g| g.canonical.clone())
                .collect(),
            chitchat,
            longest_chitchat,
            cues: cue_index(&vocabulary.answer_types),
            masks: TypeMasks::of(&answer_types),
            answer_types,
            stemmer,
        }
    }

    pub fn is_stop_word(&self, surface: &str) -> bool {
        self.stop_words.contains(surface)
    }

    pub fn stem(&self, surface: &str) -> String {
        match self.stem_cache.get(surface) {
            Some(stem) => stem.clone(),
            None => self.stemmer.stem(surface),
        }
    }

    /// Remembers the stems of `words` (the knowledge base's own words).
    pub fn cache_stems<'a>(&mut self, words: impl IntoIterator<Item = &'a str>) {
        for w in words {
            let stem = self.stemmer.stem(w);
            self.stem_cache.insert(w.to_string(), stem);
        }
    }

    pub fn is_concept(&self, key: &str) -> bool {
        self.concepts.contains(key)
    }

    /// Every surface word the vocabulary knows, for the typo index.
    pub fn vocabulary_words(&self) -> impl Iterator<Item = &str> {
        self.stop_words.iter().map(String::as_str)
    }

    /// Terms of knowledge-base text (no typo correction: editors spell on purpose).
    pub fn terms(&self, text: &str) -> Vec<Term> {
        self.terms_of(&tokenize(text), None)
    }

    /// Terms of a tokenized question, correcting typos against `typos`.
    pub fn query_terms(&self, tokens: &[Token], typos: &TypoIndex) -> Vec<Term> {
        self.terms_of(tokens, Some(typos))
    }

    /// Is the text made only of small talk and stop words ("hi", "thanks!", "who are you")?
    pub fn is_chitchat(&self, tokens: &[Token]) -> bool {
        let words: Vec<&str> = tokens.iter().map(|t| t.surface.as_str()).collect();
        let mut found = false;
        let mut i = 0;
        let mut phrase = String::new();
        'outer: while i < words.len() {
            for len in (1..=self.longest_chitchat.min(words.len() - i)).rev() {
                phrase.clear();
                for (n, w) in words[i..i + len].iter().enumerate() {
                    if n > 0 {
                        phrase.push(' ');
                    }
                    phrase.push_str(w);
                }
                if self.chitchat.contains(&phrase) {
                    found = true;
                    i += len;
                    continue 'outer;
                }
            }
            // A question word outside the small talk asks something: "where can i go to
            // cool off" is not "cool".
            if !self.is_stop_word(words[i]) || super::kinds::QUESTION_WORDS.contains(&words[i]) {
                return false;
            }
            i += 1;
        }
        found
    }

    fn terms_of(&self, tokens: &[Token], typos: Option<&TypoIndex>) -> Vec<Term> {
        // (stem, token, credit) after typo correction; a token is copied only if corrected
        let mut words: Vec<(String, Cow<Token>, f32)> = tokens
            .iter()
            .map(|token| {
                let mut token = Cow::Borrowed(token);
                let mut credit = 1.0;
                let mut stem = self.stem(&token.surface);
                if let Some(typos) = typos {
                    if !token.number
                        && !self.is_stop_word(&token.surface)
                        && !typos.knows_stem(&stem)
                    {
                        if let Some((word, distance)) = typos.correct(&token.surface) {
                            let corrected = token.to_mut();
                            corrected.surface = word.to_string();
                            credit = CORRECTION_CREDIT[distance.min(2)];
                            // "secnd year" asks about the second year as surely as typed right.
                            if let Some(ord) = ordinal(word) {
                                corrected.surface = ord.to_string();
                                corrected.number = true;
                            }
                            stem = self.stem(&corrected.surface);
                        }
                    }
                }
                (stem, token, credit)
            })
            .collect();
        let mut terms: Vec<Term> = Vec::new();
        let push = |term: Term, terms: &mut Vec<Term>| match terms
            .iter_mut()
            .find(|t| t.key == term.key)
        {
            Some(existing) => {
                existing.credit = existing.credit.max(term.credit);
                existing.specific |= term.specific;
                existing.number |= term.number;
                existing.context &= term.context;
            }
            None => terms.push(term),
        };
        let mut i = 0;
        let mut key = String::new();
        let mut picks: Vec<usize> = Vec::new();
        'outer: while i < words.len() {
            let longest = self.phrase_starts.get(&words[i].0).copied().unwrap_or(0);
            // The words a phrase starting here may take, passing over a little filler
            // ("kick them out", "arent even from there").
            picks.clear();
            picks.push(i);
            let mut skipped = 0;
            for (j, w) in words.iter().enumerate().skip(i + 1) {
                if picks.len() >= longest {
                    break;
                }
                if skipped < MAX_SKIPPED_IN_PHRASE && self.skippable.contains(&w.1.surface) {
                    skipped += 1;
                } else {
                    picks.push(j);
                }
            }
            // The longest phrase: the key grows a word at a time while it still starts one.
            key.clear();
            let mut matched: Option<(usize, &String)> = None;
            for (n, &p) in picks.iter().take(longest).enumerate() {
                if n > 0 {
                    key.push(' ');
                }
                key.push_str(&words[p].0);
                let found = match n {
                    0 => self.words.get(&words[i].1.surface),
                    _ => None,
                };
                // A stop word is not a group's word by sharing its stem ("report" and
                // "reporter"): only a phrase of several words may start with one.
                let by_stem = || {
                    (n > 0 || !self.is_stop_word(&words[i].1.surface))
                        .then(|| self.phrases.get(&key))
                        .flatten()
                };
                if let Some(concept) = found.or_else(by_stem) {
                    matched = Some((n + 1, concept));
                }
                if !self.prefixes.contains(&key) {
                    break;
                }
            }
            if let Some((len, concept)) = matched {
                let next = picks[len - 1] + 1;
                if concept.is_empty() {
                    i = next;
                    continue 'outer;
                }
                let span = || picks[..len].iter().map(|&p| &words[p]);
                // As typed, with any filler passed over inside it ("a few years", not "a years").
                let typed: Vec<&str> = tokens[picks[0]..=picks[len - 1]]
                    .iter()
                    .map(shown)
                    .collect();
                push(
                    Term {
                        words: typed.join(" "),
                        key: concept.clone(),
                        specific: span().any(|w| w.1.capitalized || w.1.number),
                        unfamiliar: false,
                        number: span().any(|w| w.1.number),
                        credit: span().map(|w| w.2).fold(1.0, f32::min),
                        concept: true,
                        context: span().all(|w| w.1.context),
                    },
                    &mut terms,
                );
                i = next;
                continue 'outer;
            }
            let (stem, token, credit) = &mut words[i];
            // A misspelt stop word often stems to one ("befor"); a real word that shares a
            // stem with one ("severance", "several") is kept.
            let stop_stem = self.stop_stems.contains(stem.as_str())
                && !super::typo::is_common_word(&token.surface)
                && typos.is_none_or(|t| !t.contains(&token.surface));
            if !self.is_stop_word(&token.surface) && !stop_stem && !stem.is_empty() {
                push(
                    Term {
                        words: shown(&tokens[i]).to_string(),
                        // Phrases only look ahead: this word's stem is not read again.
                        key: std::mem::take(stem),
                        specific: token.capitalized || token.number || is_place(&token.surface),
                        unfamiliar: unfamiliar(&token.surface),
                        number: token.number,
                        credit: *credit,
                        concept: false,
                        context: token.context,
                    },
                    &mut terms,
                );
            }
            i += 1;
        }
        terms
    }
}

/// A token as an editor reads it: a number without its `#` mark.
fn shown(token: &Token) -> &str {
    match token.surface.strip_prefix('#') {
        Some(n) if token.number => n,
        _ => &token.surface,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::SynonymGroup;

    fn analyzer() -> Analyzer {
        let group = |canonical: &str, terms: &[&str]| SynonymGroup {
            canonical: canonical.into(),
            terms: terms.iter().map(|t| t.to_string()).collect(),
        };
        Analyzer::new(&Vocabulary {
            stop_words: [
                "the", "them", "all", "they", "can", "just", "fit into", "of",
            ]
            .map(String::from)
            .to_vec(),
            synonyms: vec![
                group("deport", &["deport", "kick out"]),
                group(
                    "migrant",
                    &["migrant", "migrants", "immigrant", "immigrants"],
                ),
                group("immigration", &["immigration"]),
                group("record", &["all time high"]),
            ],
            ..Vocabulary::default()
        })
    }

    fn keys(a: &Analyzer, text: &str) -> Vec<String> {
        a.terms(text).into_iter().map(|t| t.key).collect()
    }

    #[test]
    fn phrases_pass_over_filler_and_filler_phrases_drop() {
        let a = analyzer();
        assert_eq!(keys(&a, "can they just kick them all out"), ["deport"]);
        // "all" starts a phrase, so it may still be passed over inside another.
        assert_eq!(keys(&a, "an all time high"), ["an", "record"]);
        assert_eq!(
            keys(&a, "where does vance fit into the story"),
            ["where", "doe", "vanc", "stori"]
        );
    }

    #[test]
    fn words_listed_in_a_group_win_over_a_shared_stem() {
        let a = analyzer();
        assert_eq!(keys(&a, "immigrants"), ["migrant"]);
        assert_eq!(keys(&a, "immigration"), ["immigration"]);
    }
}

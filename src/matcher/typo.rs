//! Typo correction against the knowledge base's own words, with a deletion index
//! (the SymSpell idea): a word and a misspelling of it share a form with one or two
//! letters deleted, so candidates are found by lookup instead of comparing every word.

use std::sync::OnceLock;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// Shortest word we try to correct: shorter words have too many neighbours.
pub const MIN_CORRECTABLE_LEN: usize = 4;
/// Words at least this long (both sides) may be two edits away; shorter ones one.
/// Below it, two edits turn real words into other real words ("standing" → "sending").
pub const TWO_EDITS_FROM_LEN: usize = 8;

/// Is `word` a common English word? Such a word is what the reader meant, not a typo
/// of a knowledge-base word one letter away ("plane" is not "plan", "side" not "size").
pub fn is_common_word(word: &str) -> bool {
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    WORDS
        .get_or_init(|| word_list(include_str!("english.txt")))
        .contains(word)
}

/// The words of a bundled list: one a line, `#` lines are comments.
pub fn word_list(text: &'static str) -> HashSet<&'static str> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

#[derive(Debug, Default, Clone)]
pub struct TypoIndex {
    words: Vec<String>,
    /// How often each word occurs in the knowledge base: breaks ties between candidates.
    frequency: Vec<u32>,
    known: HashMap<String, u32>,
    deletes: HashMap<String, Vec<u32>>,
    /// Stems of known words: a word whose stem is known is a form, not a typo
    /// ("locking" is "lock", not "lacking").
    stems: HashSet<String>,
}

fn max_edits(len: usize) -> usize {
    if len >= TWO_EDITS_FROM_LEN {
        2
    } else {
        1
    }
}

/// Every form of `word` with up to `depth` letters removed (without `word` itself;
/// may hold repeats, which only cost a lookup).
fn deletions(word: &str, depth: usize, out: &mut Vec<String>) {
    let chars: Vec<char> = word.chars().collect();
    for i in 0..chars.len() {
        let mut s = String::with_capacity(word.len());
        s.extend(chars[..i].iter().chain(&chars[i + 1..]));
        if depth > 1 {
            deletions(&s, depth - 1, out);
        }
        out.push(s);
    }
}

impl TypoIndex {
    /// Adds a correctly spelled word (or counts it again).
    pub fn add(&mut self, word: &str) {
        if let Some(&id) = self.known.get(word) {
            self.frequency[id as usize] += 1;
            return;
        }
        let id = self.words.len() as u32;
        self.words.push(word.to_string());
        self.frequency.push(1);
        self.known.insert(word.to_string(), id);
        let len = word.chars().count();
        if len + 1 < MIN_CORRECTABLE_LEN {
            return;
        }
        let mut forms = Vec::new();
        deletions(word, max_edits(len), &mut forms);
        forms.sort_unstable();
        forms.dedup();
        for form in forms {
            self.deletes.entry(form).or_default().push(id);
        }
    }

    pub fn add_stem(&mut self, stem: String) {
        self.stems.insert(stem);
    }

    pub fn knows_stem(&self, stem: &str) -> bool {
        self.stems.contains(stem)
    }

    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(String::as_str)
    }

    pub fn contains(&self, word: &str) -> bool {
        self.known.contains_key(word)
    }

    /// Known words that `prefix` starts, typed right or (from three letters on) with one
    /// slip in it, most frequent first; exact starts before slipped ones.
    pub fn completions(&self, prefix: &str, limit: usize) -> Vec<String> {
        let len = prefix.chars().count();
        if len < 2 || !prefix.chars().all(char::is_alphanumeric) {
            return Vec::new();
        }
        let mut found: Vec<(usize, u32, &str)> = self
            .words
            .iter()
            .zip(&self.frequency)
            .filter_map(|(word, &freq)| {
                let start: String = word.chars().take(len).collect();
                if start.chars().count() < len {
                    return None;
                }
                if start == prefix {
                    return Some((0, freq, word.as_str()));
                }
                // A slip in the typed part, not in its first letter (as in `correct`).
                (len >= 3
                    && word.chars().next() == prefix.chars().next()
                    && strsim::osa_distance(&start, prefix) <= 1)
                    .then_some((1, freq, word.as_str()))
            })
            .collect();
        found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2)));
        found
            .into_iter()
            .take(limit)
            .map(|(_, _, w)| w.to_string())
            .collect()
    }

    /// The closest known word to `word` and its edit distance, if one is close enough.
    pub fn correct(&self, word: &str) -> Option<(&str, usize)> {
        let len = word.chars().count();
        if len < MIN_CORRECTABLE_LEN
            || self.contains(word)
            || !word.chars().all(char::is_alphabetic)
            || is_common_word(word)
        {
            return None;
        }
        // One deletion on the query side is enough: the index holds up to two per
        // word, so extra, missing, swapped and replaced letters all meet (only two
        // extra letters typed do not), at an eighth of the lookups.
        let mut forms = vec![word.to_string()];
        deletions(word, 1, &mut forms);
        let mut candidates: Vec<u32> = Vec::new();
        for form in &forms {
            if let Some(&id) = self.known.get(form) {
                candidates.push(id);
            }
            if let Some(ids) = self.deletes.get(form) {
                candidates.extend_from_slice(ids);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .filter_map(|id| {
                let candidate = &self.words[id as usize];
                let shortest = len.min(candidate.chars().count());
                let distance = strsim::osa_distance(word, candidate);
                // The first letter is rarely wrong; demanding it keeps "canada" from becoming a stranger.
                let same_start = word.chars().next() == candidate.chars().next();
                (distance <= max_edits(shortest) && same_start).then(|| {
                    let similarity = strsim::jaro_winkler(word, candidate);
                    (
                        distance,
                        similarity,
                        self.frequency[id as usize],
                        candidate.as_str(),
                    )
                })
            })
            .min_by(|a, b| {
                a.0.cmp(&b.0)
                    .then(b.1.total_cmp(&a.1))
                    .then(b.2.cmp(&a.2))
                    .then(a.3.cmp(b.3))
            })
            .map(|(d, _, _, w)| (w, d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(words: &[&str]) -> TypoIndex {
        let mut index = TypoIndex::default();
        for w in words {
            index.add(w);
        }
        index
    }

    #[test]
    fn completes_a_prefix_even_with_a_slip() {
        let t = index(&["guantanamo", "orders", "order", "obama"]);
        assert_eq!(t.completions("guant", 3), ["guantanamo"]);
        assert_eq!(t.completions("gaunt", 3), ["guantanamo"]);
        assert!(t.completions("ord", 3).contains(&"orders".to_string()));
        assert!(t.completions("x", 3).is_empty());
    }

    #[test]
    fn corrects_common_typos() {
        let idx = index(&[
            "deportation",
            "guantanamo",
            "meissner",
            "stephen",
            "orders",
            "countries",
            "miller",
            "third",
            "sending",
            "plan",
            "size",
        ]);
        let cases = [
            ("deprotation", Some(("deportation", 1))),
            ("guantanemo", Some(("guantanamo", 1))),
            ("meisner", Some(("meissner", 1))),
            ("steven", None),
            ("deportaions", Some(("deportation", 2))),
            ("ordres", Some(("orders", 1))),
            ("contries", Some(("countries", 1))),
            ("miler", Some(("miller", 1))),
            ("thrid", Some(("third", 1))),
            ("canada", None),
            ("standing", None),
            ("plane", None),
            ("side", None),
            ("mil", None),
            ("orders", None),
        ];
        for (typo, want) in cases {
            assert_eq!(idx.correct(typo), want, "correct({typo:?})");
        }
    }
}

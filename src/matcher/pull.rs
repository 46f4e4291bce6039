//! Why a question went to one entry rather than another, in the editor's terms: the
//! question's words the one has and the other lacks, the kinds of fact it asks for that
//! the other's answer does not state, and the phrasing it came closest to. For the tools
//! that show an editor a collision or a wrong answer (`kb lint`, `kb coverage`, `eval`).

use super::{clip, tokenize, IndexedEntry, LeftOut, Matcher, QueryTerm, Term, TermId};

/// A word in at least a third of a report's entries, and in three or more, is common to
/// the report: never offered as the word to add.
const COMMON_SHARE: usize = 3;
const COMMON_LEAST: usize = 3;

/// What pulls a question from one entry (`from`) to another (`to`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pull {
    /// Words of the question that `to` has (in a phrasing, its answer or its quote) and
    /// `from` lacks, as typed.
    pub words: Vec<String>,
    /// Words of the question both entries have, `to` in a larger share of its phrasings
    /// (or in its answer): what pulled it when `words` is empty. Not the words common to
    /// the report (its place, its subject).
    pub shared: Vec<String>,
    /// Words of the question that `from` has and `to` lacks: what ties it to `from`.
    pub own: Vec<String>,
    /// Kinds of fact the question asks for ("date", "amount") that `from`'s answer does
    /// not state and `to`'s does.
    pub unstated: Vec<String>,
    /// The phrasing of `to` closest to the question, as an index among its phrasings
    /// (question, variants, keywords); `None` when none shares a word with it.
    pub closest: Option<usize>,
}

impl Matcher {
    /// What pulls `question` from entry `from` to entry `to`, scoring as the matcher does
    /// with `left_out` not in the knowledge base (a word only that phrasing has is lacked).
    /// With no `from` (the question should have gone nowhere), every word `to` has pulls.
    pub fn pull(
        &self,
        question: &str,
        from: Option<usize>,
        to: usize,
        left_out: Option<LeftOut>,
    ) -> Pull {
        let tokens = tokenize(clip(question));
        let config = self.config;
        // The term's credit in an entry: 0 when the entry lacks it.
        let credit = |entry: usize, key: &str| {
            self.term_ids.get(key).map_or(0.0, |&id| {
                self.postings[id as usize]
                    .iter()
                    .find(|p| p.entry as usize == entry)
                    .map_or(0.0, |p| self.credit(p, id, left_out, &config))
            })
        };
        // A word a third of the report's entries have (its town, its subject) is no word
        // an editor can set an entry apart with.
        let report = self.entries.get(to).map(|e| e.report);
        let in_report = |e: &IndexedEntry| Some(e.report) == report;
        let size = self.entries.iter().filter(|e| in_report(e)).count();
        let common = |key: &str| {
            self.term_ids.get(key).is_some_and(|&id| {
                let with = self.postings[id as usize]
                    .iter()
                    .filter(|p| in_report(&self.entries[p.entry as usize]))
                    .count();
                with >= COMMON_LEAST && with * COMMON_SHARE >= size
            })
        };
        let mut words: Vec<String> = Vec::new();
        let mut shared: Vec<String> = Vec::new();
        let mut own: Vec<String> = Vec::new();
        let terms = self.analyzer.query_terms(&tokens, &self.typos);
        for term in &terms {
            let ours = from.map_or(0.0, |from| credit(from, &term.key));
            let theirs = credit(to, &term.key);
            let list = match (ours > 0.0, theirs > 0.0) {
                (true, false) => &mut own,
                (false, true) => &mut words,
                (true, true) if theirs > ours && !common(&term.key) => &mut shared,
                _ => continue,
            };
            if !list.contains(&term.words) {
                list.push(term.words.clone());
            }
        }
        let Some(t) = self.entries.get(to) else {
            return Pull::default();
        };
        let closest = self.closest_phrasing(&terms, to);
        let Some(f) = from.and_then(|from| self.entries.get(from)) else {
            return Pull {
                words,
                shared,
                own,
                closest,
                ..Pull::default()
            };
        };
        let unstated = if f.is_gap {
            Vec::new()
        } else {
            let asked = self.analyzer.asked_types(&tokens);
            self.analyzer
                .type_names(asked & !f.types & t.types)
                .into_iter()
                .map(str::to_string)
                .collect()
        };
        Pull {
            words,
            shared,
            own,
            unstated,
            closest,
        }
    }

    /// The phrasing of `entry` nearest the question, by the weighted Dice the ranking
    /// uses for closeness.
    fn closest_phrasing(&self, terms: &[Term], entry: usize) -> Option<usize> {
        let e = self.entries.get(entry)?;
        let resolved: Vec<QueryTerm> = self
            .resolve(terms.to_vec())
            .into_iter()
            .map(|(t, id)| (t, id, 1.0))
            .collect();
        let query: Vec<(TermId, f32)> = resolved
            .iter()
            .filter_map(|(t, id, _)| id.map(|id| (id, t.credit)))
            .collect();
        let mass = self.query_mass(&resolved, e.report, &self.config);
        let mut hits = vec![0.0; e.phrasings.len()];
        e.add_hits(&query, &mut hits);
        let dice = |i: usize| 2.0 * hits[i] / (e.phrasings[i].total + mass).max(f32::EPSILON);
        (0..hits.len())
            .filter(|&i| hits[i] > 0.0)
            .max_by(|&a, &b| dice(a).total_cmp(&dice(b)).then(b.cmp(&a)))
    }
}

#[cfg(test)]
mod tests {
    use crate::knowledge::KnowledgeBase;
    use crate::matcher::Matcher;

    #[test]
    fn the_words_only_the_chosen_entry_has_pulled() {
        let kb = KnowledgeBase::bundled().expect("the bundled knowledge base");
        let m = Matcher::new(&kb);
        let miller = kb.entry_index("miller-works-with-dhs").unwrap();
        let four = kb.entry_index("officials-four").unwrap();
        let pull = m.pull("Who is Stephen Miller?", Some(four), miller, None);
        // A full name pulls with both its words, as typed.
        assert_eq!(pull.words, ["stephen", "miller"]);
        let closest = kb.entries[miller]
            .phrasings()
            .nth(pull.closest.expect("a closest phrasing"))
            .unwrap();
        assert!(closest.to_lowercase().contains("miller"), "{closest}");
        // Against itself nothing pulls; with nothing expected, every shared word does.
        assert!(m
            .pull("Who is Stephen Miller?", Some(miller), miller, None)
            .words
            .is_empty());
        let alone = m.pull("Who is Stephen Miller?", None, miller, None).words;
        assert!(alone.contains(&"miller".to_string()), "{alone:?}");
        // A typo is shown as typed.
        let typed = m
            .pull("Who is Stephen Miler?", Some(four), miller, None)
            .words;
        assert!(typed.contains(&"miler".to_string()), "{typed:?}");
    }
}

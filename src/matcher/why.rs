//! Why a question went to one entry rather than another: the words of the question that
//! pulled it there, and the entry's phrasing it came closest to. For the tools that show
//! an editor a wrong answer, so they know which phrasing to change.

use super::{clip, tokenize, Matcher, QueryTerm, TermId};

/// What drew a question to an entry instead of the one expected.
#[derive(Debug, Clone, PartialEq)]
pub struct Pull {
    /// Words of the question (folded, numbers as digits) that the entry's phrasings
    /// share and the expected entry's phrasings lack, in the order asked.
    pub words: Vec<String>,
    /// The entry's phrasing closest to the question, as an index among its phrasings
    /// (question, variants, keywords); `None` when no phrasing shares a word with it.
    pub closest: Option<usize>,
}

impl Matcher {
    /// Why `question` went to `entry` rather than `expected` (`None`: it should have gone
    /// nowhere, so every word the entry's phrasings share with it pulled).
    pub fn pull(&self, question: &str, entry: usize, expected: Option<usize>) -> Pull {
        let tokens = tokenize(clip(question));
        let terms = self.analyzer.query_terms(&tokens, &self.typos);
        let in_phrasings = |at: usize, id: TermId| {
            self.entries
                .get(at)
                .is_some_and(|e| e.phrasings.iter().any(|p| p.contains(id)))
        };
        // Every term as read, before `resolve` folds a full name into its first word:
        // "stephen miller" pulls with both words.
        let mut words = Vec::new();
        for term in &terms {
            let Some(&id) = self.term_ids.get(&term.key) else {
                continue;
            };
            if in_phrasings(entry, id) && !expected.is_some_and(|e| in_phrasings(e, id)) {
                let said: Vec<&str> = tokens
                    .get(term.words.clone())
                    .unwrap_or_default()
                    .iter()
                    .map(|t| t.surface.trim_start_matches('#'))
                    .collect();
                let said = said.join(" ");
                if !said.is_empty() && !words.contains(&said) {
                    words.push(said);
                }
            }
        }
        Pull {
            words,
            closest: self.closest_phrasing(&terms, entry),
        }
    }

    /// The phrasing of `entry` nearest the question, by the weighted Dice the ranking
    /// uses for closeness.
    fn closest_phrasing(&self, terms: &[super::Term], entry: usize) -> Option<usize> {
        let e = self.entries.get(entry)?;
        let resolved: Vec<QueryTerm> = self
            .resolve(terms)
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
        let pull = m.pull("Who is Stephen Miller?", miller, Some(four));
        // A full name pulls with both its words, as typed.
        assert_eq!(pull.words, ["stephen", "miller"]);
        let closest = kb.entries[miller]
            .phrasings()
            .nth(pull.closest.expect("a closest phrasing"))
            .unwrap();
        assert!(closest.to_lowercase().contains("miller"), "{closest}");
        // Against itself nothing pulls; with nothing expected, every shared word does.
        assert!(m
            .pull("Who is Stephen Miller?", miller, Some(miller))
            .words
            .is_empty());
        let alone = m.pull("Who is Stephen Miller?", miller, None).words;
        assert!(alone.contains(&"miller".to_string()), "{alone:?}");
        // A typo is shown as typed.
        let typed = m.pull("Who is Stephen Miler?", miller, Some(four)).words;
        assert!(typed.contains(&"miler".to_string()), "{typed:?}");
    }
}

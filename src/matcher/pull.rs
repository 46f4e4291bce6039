//! Why a question went to one entry rather than another, in the editor's terms: the
//! question's words the one has and the other lacks, and the kinds of fact it asks for
//! that the other's answer does not state.

use super::{clip, tokenize, LeftOut, Matcher};

/// What pulls a question from one entry (`from`) to another (`to`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pull {
    /// Words of the question that `to` has (in a phrasing, its answer or its quote) and
    /// `from` lacks, as typed.
    pub words: Vec<String>,
    /// Words of the question both entries have, `to` in a larger share of its phrasings
    /// (or in its answer): what pulled it when `words` is empty.
    pub shared: Vec<String>,
    /// Words of the question that `from` has and `to` lacks: what ties it to `from`.
    pub own: Vec<String>,
    /// Kinds of fact the question asks for ("date", "amount") that `from`'s answer does
    /// not state and `to`'s does.
    pub unstated: Vec<String>,
}

impl Matcher {
    /// What pulls `question` from entry `from` to entry `to`, scoring as the matcher does
    /// with `left_out` not in the knowledge base (a word only that phrasing has is lacked).
    pub fn pull(&self, question: &str, from: usize, to: usize, left_out: Option<LeftOut>) -> Pull {
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
        let mut words: Vec<String> = Vec::new();
        let mut shared: Vec<String> = Vec::new();
        let mut own: Vec<String> = Vec::new();
        for term in self.analyzer.query_terms(&tokens, &self.typos) {
            let (theirs, ours) = (credit(to, &term.key), credit(from, &term.key));
            let list = match (ours > 0.0, theirs > 0.0) {
                (true, false) => &mut own,
                (false, true) => &mut words,
                (true, true) if theirs > ours => &mut shared,
                _ => continue,
            };
            if !list.contains(&term.words) {
                list.push(term.words);
            }
        }
        let (Some(f), Some(t)) = (self.entries.get(from), self.entries.get(to)) else {
            return Pull::default();
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
        }
    }
}

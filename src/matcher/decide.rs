//! The decision: answer, suggest or decline, the hand rules kept beside the
//! calibration, and whether an answer settles a yes/no question.

use super::{Config, Matcher, Outcome, QueryTerm, Ranked, TermId, Token, MAX_SUGGESTIONS};

impl Matcher {
    /// Hand rule: a yes/no question ("would this be the largest program in US history?")
    /// is settled by an entry's answer when everything it claims is what the answer and
    /// its quote state: yes. When it claims a number and the answer states another, with
    /// the rest stated: no. Otherwise (a negation, a choice, a word the answer doesn't
    /// say, such as "easy" against "complicated") the answer speaks for itself.
    pub(super) fn settles(
        &self,
        tokens: &[Token],
        terms: &[QueryTerm],
        entry: usize,
    ) -> Option<bool> {
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
    pub(super) fn ties_across_reports(
        &self,
        entry: usize,
        ranked: &[Ranked],
        config: &Config,
    ) -> bool {
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
    pub(super) fn enough_evidence(
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
    pub(super) fn misses_a_name(
        &self,
        entry: usize,
        terms: &[QueryTerm],
        asks: bool,
        config: &Config,
    ) -> bool {
        let stats = &self.reports[self.entries[entry].report];
        terms.iter().any(|(term, id, share)| {
            let Some(id) = id else { return false };
            // A figure the question asks about ("net sales in 2023") that the report
            // states elsewhere but this entry never does: another fact is meant.
            // Not in a claim being checked ("is it 11 million?"), which a "no" answers.
            let number = asks && term.number && *share == 1.0 && stats.idf.contains_key(id);
            term.specific
                && (number
                    || !term.number
                        && stats
                            .idf
                            .get(id)
                            .is_some_and(|&idf| idf >= config.name_rarity * stats.max_idf))
                && !self.postings[*id as usize]
                    .iter()
                    .any(|p| p.entry as usize == entry)
        })
    }

    /// The outcome follows the calibrated chance first: a long message whose words are
    /// mostly story scores low on coverage, yet its candidate may still be right.
    pub(super) fn decide(
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

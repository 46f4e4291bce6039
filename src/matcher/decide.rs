//! The decision: answer, suggest or decline, the hand rules kept beside the
//! calibration, and whether an answer settles a yes/no question.

use super::{
    Config, Matcher, Outcome, QueryTerm, Question, Ranked, TermId, Token, MAX_SUGGESTIONS,
};

/// The rule that decided an outcome, so that a person tuning a knowledge base can read
/// why a question was answered, suggested or declined (`factdesk explain`).
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Greetings, thanks, "help": the help text answers.
    SmallTalk,
    /// No entry shares a word with the question.
    NothingShared,
    /// The question repeats one of the entry's phrasings word for word.
    OwnPhrasing,
    /// The question repeats one of a gap's phrasings word for word: that gap declines.
    GapPhrasing,
    /// The calibrated chance reached the answer threshold.
    Chance,
    /// A gap ranks first, at or above the gap threshold, and no entry answers.
    GapFirst,
    /// A yes/no claim that the best entry contradicts with its own figure: "No", with
    /// the report's figure, whatever the chance (a figure the report never states
    /// would otherwise hold the entry back).
    Contradicted,
    /// Plausible entries, none certain enough: offered as "did you mean".
    Unsure,
    /// Nothing scores high enough even to suggest.
    NothingClose,
}

/// Why the best entry may not answer, whatever its chance: a hand rule that holds it
/// back to suggestions.
#[derive(Debug, Clone, PartialEq)]
pub enum Doubt {
    /// The question uses a name, number or word the report never mentions (as typed).
    UnknownWord { word: String },
    /// The question names something the report knows but this entry never mentions.
    MissingName { word: String },
    /// The question asks for a kind of fact (a place, a date, an amount) the entry's
    /// answer does not state.
    KindMissing { kinds: Vec<String> },
    /// One shared common word is too little evidence.
    OneWord,
    /// An entry of another report scores as well.
    TiedAcrossReports { other: usize },
}

impl Matcher {
    /// Hand rule: a yes/no question ("would this be the largest program in US history?")
    /// is settled by an entry's answer when everything it claims is what the answer and
    /// its quote state: yes. When it claims a number and the answer states another, with
    /// the rest stated: no. Otherwise (a negation in the question or the answer, a choice, a word the answer doesn't
    /// say, such as "easy" against "complicated") the answer speaks for itself.
    pub(super) fn settles(&self, q: &Question<'_>, entry: usize) -> Option<bool> {
        let terms = &q.terms;
        let words: Vec<&str> = q.tokens.iter().map(|t| t.surface.as_str()).collect();
        let first = words
            .iter()
            .position(|w| !YES_NO_OPENERS_SKIPPED.contains(w))?;
        if !YES_NO_AUXILIARIES.contains(&words[first])
            || words
                .iter()
                .any(|w| is_negation(w) || ASKS_MORE.contains(w))
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
            // A unit ("dollars", "percent") goes with a figure, which the answer states
            // as "$" or "%".
            if stated(id) || UNITS.contains(&term.key.as_str()) && self.entries[entry].claims_number
            {
                continue;
            }
            if term.number {
                numbers_differ = true;
            } else {
                return None;
            }
        }
        match (content >= 2, numbers_differ) {
            (true, false) if !self.entries[entry].negates => Some(true),
            (true, true) if self.entries[entry].claims_number => Some(false),
            _ => None,
        }
    }

    /// Hand rule, kept: when an entry of another report scores as well as the candidate
    /// (two reports telling the same fact), the question does not say which report it is
    /// about; a suggestion per report says it. The calibration, fitted on one report,
    /// has never seen such a tie.
    fn tied_report(&self, entry: usize, ranked: &[Ranked], config: &Config) -> Option<usize> {
        let best = ranked.iter().find(|r| r.entry == entry)?;
        let report = self.entries[entry].report;
        ranked.iter().find_map(|r| {
            let other = &self.entries[r.entry];
            (other.report != report && !other.is_gap && best.score - r.score < config.report_tie)
                .then_some(other.report)
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
        let states_asked =
            asked & self.analyzer.required_types() & self.stated_for(entry, terms) != 0;
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
        self.missing_name(entry, terms, asks, config).is_some()
    }

    /// The first such name.
    fn missing_name<'q>(
        &self,
        entry: usize,
        terms: &'q [QueryTerm],
        asks: bool,
        config: &Config,
    ) -> Option<&'q super::Term> {
        let stats = &self.reports[self.entries[entry].report];
        terms
            .iter()
            .map(|q| (&q.0, q.1, q.2))
            .find_map(|(term, id, share)| {
                let id = id?;
                // A figure the question asks about ("net sales in 2023") that the report
                // states elsewhere but this entry never does: another fact is meant.
                // Not in a claim being checked ("is it 11 million?"), which a "no" answers.
                let number = asks && term.number && share == 1.0 && stats.idf.contains_key(&id);
                let missing = term.specific
                    && (number
                        || !term.number
                            && stats
                                .idf
                                .get(&id)
                                .is_some_and(|&idf| idf >= config.name_rarity * stats.max_idf))
                    && !self.postings[id as usize]
                        .iter()
                        .any(|p| p.entry as usize == entry);
                missing.then_some(term)
            })
    }

    /// The outcome follows the calibrated chance first: a long message whose words are
    /// mostly story scores low on coverage, yet its candidate may still be right.
    /// `gap_phrasing` is a gap whose phrasing the question repeats word for word.
    pub(super) fn decide(
        &self,
        tokens: &[Token],
        ranked: &[Ranked],
        candidate: Option<usize>,
        probability: f32,
        gap_phrasing: Option<usize>,
        config: &Config,
    ) -> (Outcome, Rule) {
        // Hand rule, kept: small talk gets the help text, whatever it shares with a
        // phrasing ("thanks for the answer").
        let chitchat = self.analyzer.is_chitchat(tokens);
        let facts = || ranked.iter().filter(|r| !self.entries[r.entry].is_gap);
        if chitchat || ranked.is_empty() {
            let outcome = Outcome::Declined {
                gap: None,
                chitchat,
                nearest: facts().take(MAX_SUGGESTIONS).map(|r| r.entry).collect(),
            };
            let rule = if chitchat {
                Rule::SmallTalk
            } else {
                Rule::NothingShared
            };
            return (outcome, rule);
        }
        // Hand rule: what an editor wrote down as a gap's phrasing is that gap's, as an
        // entry's own phrasing is the entry's.
        if let Some(gap) = gap_phrasing {
            let outcome = Outcome::Declined {
                gap: Some(gap),
                chitchat: false,
                nearest: facts()
                    .filter(|r| r.score >= config.suggest_threshold)
                    .take(MAX_SUGGESTIONS)
                    .map(|r| r.entry)
                    .collect(),
            };
            return (outcome, Rule::GapPhrasing);
        }
        // The calibration has weighed any better-fitting gap (`gap_lead`).
        if let Some(entry) = candidate.filter(|_| probability >= config.answer_probability) {
            return (Outcome::Answered { entry }, Rule::Chance);
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
        if self.entries[best.entry].is_gap && config.gap_explains(best) {
            let outcome = Outcome::Declined {
                gap: Some(best.entry),
                chitchat: false,
                nearest: suggestions,
            };
            return (outcome, Rule::GapFirst);
        }
        if suggestions.is_empty() {
            let outcome = Outcome::Declined {
                gap: None,
                chitchat: false,
                nearest: if best.score >= config.suggest_threshold {
                    Vec::new()
                } else {
                    facts().take(MAX_SUGGESTIONS).map(|r| r.entry).collect()
                },
            };
            (outcome, Rule::NothingClose)
        } else {
            let outcome = Outcome::Suggested {
                entries: suggestions,
            };
            (outcome, Rule::Unsure)
        }
    }

    /// Hand rule: a yes/no claim whose every word but a figure is what `entry` states,
    /// while the entry states another figure, is contradicted by it ("is the rise 5%?"
    /// against "6.5% a year"). Only when the entry ranks first, nothing but a figure
    /// held it back (or the one word besides it: "is the vote 6-1" is all claim), and
    /// the figure is not a year: a claim about another year is one
    /// the report may not speak to. The entry must state each kind the question's
    /// figures are written as (`text`, the question as typed): a rate is no contradiction
    /// of a sum ("is the raise 25%" against "$16.25 an hour").
    pub(super) fn contradicts(
        &self,
        q: &Question<'_>,
        ranked: &[Ranked],
        entry: usize,
        doubt: Option<&Doubt>,
        config: &Config,
    ) -> bool {
        let terms = &q.terms;
        let number_doubt = match doubt {
            None => true,
            Some(Doubt::UnknownWord { .. } | Doubt::MissingName { .. } | Doubt::OneWord) => true,
            Some(_) => false,
        };
        let first_fact = ranked.iter().find(|r| !self.entries[r.entry].is_gap);
        let gap_first = ranked
            .first()
            .is_some_and(|r| self.entries[r.entry].is_gap && r.score >= config.gap_threshold);
        if !number_doubt || gap_first || first_fact.map(|r| r.entry) != Some(entry) {
            return false;
        }
        let claims = &self.entries[entry].claims;
        let unstated_year = terms.iter().any(|(term, id, _)| {
            term.number
                && !id.is_some_and(|id| claims.binary_search(&id).is_ok())
                && is_year(&term.key)
        });
        if unstated_year || self.settles(q, entry) != Some(false) {
            return false;
        }
        let claimed = self.analyzer.figure_types(q.text);
        self.entries[entry].types & claimed == claimed
    }

    /// The hand rule, if any, that keeps `entry` from answering whatever its chance.
    pub(super) fn doubt(
        &self,
        entry: usize,
        features: &super::Features,
        ranked: &[Ranked],
        q: &Question<'_>,
        config: &Config,
    ) -> Option<Doubt> {
        let (terms, asked, open) = (&q.terms, q.asked, q.open);
        // Hand rule, kept: the trees learn little from flags that few questions raise,
        // and a flagged candidate was rarely right (over the 1,047 questions: a word the
        // report doesn't know, 5 of 44; a name the entry lacks, 3 of 21; a kind of fact
        // the answer doesn't state, 0 of 23). Such a question gets suggestions.
        let stats = &self.reports[self.entries[entry].report];
        if features.stranger > 0.0 {
            let word = terms
                .iter()
                .find(|(t, id, share)| {
                    t.specific && *share == 1.0 && id.is_none_or(|id| !stats.idf.contains_key(&id))
                })
                .map(|(t, _, _)| t.words.clone())
                .unwrap_or_default();
            return Some(Doubt::UnknownWord { word });
        }
        if features.misses_name > 0.0 {
            let word = self
                .missing_name(entry, terms, open, config)
                .map(|t| t.words.clone())
                .unwrap_or_default();
            return Some(Doubt::MissingName { word });
        }
        if features.type_missing > 0.0 {
            let missing = asked & self.analyzer.required_types() & !self.stated_for(entry, terms);
            return Some(Doubt::KindMissing {
                kinds: self
                    .analyzer
                    .type_names(missing)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            });
        }
        if !self.enough_evidence(entry, ranked, terms, asked, config) {
            return Some(Doubt::OneWord);
        }
        self.tied_report(entry, ranked, config)
            .map(|other| Doubt::TiedAcrossReports { other })
    }
}

/// Negated auxiliaries, as folded ("isn't" → "isnt"): a negation flips the claim.
const NEGATIONS: &[&str] = &[
    "isnt", "arent", "wasnt", "werent", "dont", "doesnt", "didnt", "wont", "wouldnt", "cant",
    "cannot", "couldnt", "hasnt", "havent", "hadnt", "shouldnt", "aint", "mustnt",
];

/// A word that turns a statement around ("not", "never", "won't").
pub(super) fn is_negation(word: &str) -> bool {
    matches!(
        word,
        "not" | "no" | "never" | "nor" | "none" | "neither" | "nobody" | "nothing"
    ) || NEGATIONS.contains(&word)
}

/// Stems of units written beside a figure.
const UNITS: &[&str] = &["dollar", "euro", "pound", "percent", "cent", "usd"];

/// A number term that reads as a year ("#2027").
fn is_year(key: &str) -> bool {
    key.strip_prefix('#')
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| (1800..=2200).contains(&n))
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
/// Words that make a question ask more than yes or no: a choice or a question word. (A
/// negation, which flips the claim, is [`is_negation`].)
const ASKS_MORE: &[&str] = &[
    "or", "what", "how", "who", "whom", "which", "where", "when", "why", "whats", "hows", "whos",
];

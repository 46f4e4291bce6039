//! Tuning of the matcher: the thresholds and weights it answers by.

use super::Calibration;

/// Tuning of the matcher. Which values are measured and which are hand rules is said
/// on each; `factdesk calibrate` fits the calibration and `factdesk eval` prints the
/// reliability table the probability thresholds were read from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Answer when the calibrated chance of being right is at least this. Read off the
    /// evaluation reports, each scored by a model fitted without it (`corpus left-out
    /// --answer-at P`), and the first report's sets: 0.7 keeps the first report where it
    /// was and answers a new report's questions about as often as they are right (the
    /// figures per threshold are in docs/quality-log.md).
    pub answer_probability: f32,
    /// Ranking score at or above which entries are offered as "did you mean".
    pub suggest_threshold: f32,
    /// The candidate is offered as "did you mean" from this calibrated chance on, whatever
    /// its ranking score (a long message's story lowers the score, not the candidate).
    pub suggest_probability: f32,
    /// Ranking score at or above which a curated gap explains a decline.
    pub gap_threshold: f32,
    /// A lower score at which a gap ranked first still explains a decline when it shares
    /// two words or more of the question: an editor's note on what the report leaves out
    /// tells a reader more than "did you mean", and one shared word ("list") is chance.
    pub gap_shared_threshold: f32,
    /// Hand rule, kept: one shared word answers only a one-word question, and only when
    /// the word's idf is at least this share of the rarest possible ("guantanamo", not
    /// "deportation"). The calibration alone let a bare generic word through.
    pub single_word_rarity: f32,
    /// Hand rule, with the one above: a common word still answers when at least this
    /// share of the phrasings using it are the entry's own ("whats the goal"); read off
    /// the question sets scored unseen (docs/quality-log.md).
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
    /// The same for a kind an answer must state to answer at all ("how much", "when"): an
    /// entry that cannot answer should not stand in front of one that can.
    pub required_type_penalty: f32,
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
    /// How much closeness of meaning (see `semantic.rs`) counts beside the ranking score
    /// when the shortlist is put in order. Measured with twenty reports each left out:
    /// 1.0 put the right entry first most often (0.5 and 1.5 close behind, 3 worse).
    pub semantic_weight: f32,
    /// Turns what the scorer measured into the chance of being right.
    pub calibration: Calibration,
}

impl Config {
    pub const DEFAULT: Config = Config {
        answer_probability: 0.7,
        suggest_threshold: 0.30,
        suggest_probability: 0.4,
        gap_threshold: 0.50,
        gap_shared_threshold: 0.30,
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
        required_type_penalty: 0.4,
        gap_type_mismatch_penalty: 0.1,
        context_weight: 0.5,
        context_min_tokens: 12,
        best_phrasing_share: 0.7,
        semantic_weight: 1.0,
        calibration: Calibration::Fitted,
    };

    /// Newsroom channels, where the bot speaks unasked and a wrong fact travels: answer
    /// from the chance where the first report's sets are answered wrongly under one time
    /// in a hundred, read as for `answer_probability`.
    pub fn newsroom() -> Config {
        Config {
            answer_probability: 0.85,
            ..Config::DEFAULT
        }
    }

    /// Does a gap ranked first at `gap` explain the decline?
    pub fn gap_explains(&self, gap: &super::Ranked) -> bool {
        gap.score >= self.gap_threshold
            || (gap.score >= self.gap_shared_threshold && gap.matched >= 2)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}

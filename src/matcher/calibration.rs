//! Confidence as a probability: boosted trees (`boosted.rs`) over what the scorer
//! measured about its best entry, fitted on question sets whose right answers are known
//! (`factdesk calibrate`), and checked on sets it was not fitted on (`factdesk eval`
//! prints the reliability table).
//!
//! The hand rules the matcher used to apply as hard gates (a name the report doesn't
//! know, a one-word match, an answer that lacks the kind of fact asked for) are
//! features here: the fit decides how much each one lowers the chance of being right.

use std::sync::LazyLock;

use serde::Serialize;

use super::boosted::Boosted;

/// What the scorer measured about one question and its best entry. Every value is in
/// a small fixed range so one set of weights serves every report.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Features {
    /// The ranking score of the best entry, 0..1.
    pub score: f32,
    /// Share of the question's weight the entry explains, 0..1.
    pub coverage: f32,
    /// How closely the best phrasing and the question repeat each other (weighted
    /// Dice, both directions), 0..1.
    pub phrasing: f32,
    /// Lead of the best entry's score over the next entry that is not a sibling.
    pub lead: f32,
    /// How much informative weight matched, in units of the report's rarest word,
    /// squashed: ln(1 + x). A match on generic words alone stays small.
    pub evidence: f32,
    /// 1 when the question names a thing or number the report does not know.
    pub stranger: f32,
    /// 1 when the question spells a rare name of the report that this entry lacks.
    pub misses_name: f32,
    /// 1 when the question asks for a kind of fact (a number, a date) that the answer
    /// does not state.
    pub type_missing: f32,
    /// 1 when only one distinct word of the question is in the entry.
    pub single_word: f32,
    /// 1 for a long message (story around the question).
    pub long: f32,
    /// How far a curated gap's score is above this entry's (0 when none is): a gap
    /// that fits better says the question is about what the report leaves out.
    pub gap_lead: f32,
    /// `coverage` counting only the question's own sentences (in a long message, the
    /// story around them left out); the same as `coverage` for a plain question.
    pub question_coverage: f32,
    /// The nearest-neighbour vote: of the phrasings closest to the question (weighted
    /// Dice, over the shortlisted entries), the closeness-weighted share that are this
    /// entry's or its siblings'. Many phrasings of one entry near the question raise it;
    /// a lone close phrasing among a neighbour's lowers it.
    pub vote: f32,
    /// 1 when the question asks for a kind of fact that an answer may lack without being
    /// wrong for certain (a place, a person's role, an opinion, a reason, a duration) and
    /// this answer states none of it.
    pub kind_missing: f32,
    /// How many ways of asking the entry's curators wrote, squashed (ln(1 + n) / ln 64):
    /// closeness to one of five phrasings says less than closeness to one of forty.
    pub depth: f32,
    /// How close in meaning the entry is to the question (see [`super::Ranked::semantic`]).
    pub meaning: f32,
    /// Its closeness of meaning less that of the closest other shortlisted entry that is
    /// neither a gap nor a sibling: another entry nearer in meaning is a doubt.
    pub meaning_lead: f32,
    /// How much closer in meaning the closest shortlisted gap is (0 when none is).
    pub gap_meaning_lead: f32,
}

pub const FEATURES: usize = 18;

impl Features {
    pub fn to_array(self) -> [f32; FEATURES] {
        [
            self.score,
            self.coverage,
            self.phrasing,
            self.lead,
            self.evidence,
            self.stranger,
            self.misses_name,
            self.type_missing,
            self.single_word,
            self.long,
            self.gap_lead,
            self.question_coverage,
            self.vote,
            self.kind_missing,
            self.depth,
            self.meaning,
            self.meaning_lead,
            self.gap_meaning_lead,
        ]
    }

    pub const NAMES: [&'static str; FEATURES] = [
        "score",
        "coverage",
        "phrasing",
        "lead",
        "evidence",
        "stranger",
        "misses_name",
        "type_missing",
        "single_word",
        "long",
        "gap_lead",
        "question_coverage",
        "vote",
        "kind_missing",
        "depth",
        "meaning",
        "meaning_lead",
        "gap_meaning_lead",
    ];
}

/// The model that turns features into the chance of being right.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Calibration {
    /// The model shipped in `confidence.json`, fitted by `factdesk corpus fit --fit
    /// knowledge/deport-one-million/{questions,holdout-own}.jsonl
    /// eval/deport-one-million/blind-b*.jsonl --out src/matcher/confidence.json` (see
    /// docs/quality-log.md): the bundled report's question sets and every evaluation
    /// report's batch (at twice a question's weight), each question asked as unseen, and,
    /// at 3 % of a question's weight each, their phrasings scored leave-one-out.
    Fitted,
    /// Another fit, being checked (`factdesk calibrate --check`).
    Model(&'static Boosted),
}

static FITTED: LazyLock<Boosted> = LazyLock::new(|| {
    serde_json::from_str(include_str!("confidence.json"))
        .expect("the shipped confidence.json parses (tested)")
});

impl Calibration {
    pub fn probability(&self, f: &Features) -> f32 {
        match self {
            Calibration::Fitted => FITTED.probability(f),
            Calibration::Model(model) => model.probability(f),
        }
    }
}

/// Confidence bins against the share observed right.
#[derive(Debug, Clone, Serialize)]
pub struct Reliability {
    /// (low, high, count, mean confidence, share right) per bin.
    pub bins: Vec<(f32, f32, usize, f64, f64)>,
    /// Expected calibration error: the count-weighted mean of |confidence − share right|.
    pub ece: f64,
}

impl Reliability {
    pub fn of(points: &[(f32, bool)], bins: usize) -> Reliability {
        let mut out = Vec::with_capacity(bins);
        let mut ece = 0.0;
        for b in 0..bins {
            let low = b as f32 / bins as f32;
            let high = (b + 1) as f32 / bins as f32;
            let inside: Vec<&(f32, bool)> = points
                .iter()
                .filter(|(p, _)| *p >= low && (*p < high || (b + 1 == bins && *p <= high)))
                .collect();
            if inside.is_empty() {
                out.push((low, high, 0, 0.0, 0.0));
                continue;
            }
            let count = inside.len();
            let mean = inside.iter().map(|(p, _)| *p as f64).sum::<f64>() / count as f64;
            let right = inside.iter().filter(|(_, r)| *r).count() as f64 / count as f64;
            ece += count as f64 * (mean - right).abs();
            out.push((low, high, count, mean, right));
        }
        Reliability {
            bins: out,
            ece: if points.is_empty() {
                0.0
            } else {
                ece / points.len() as f64
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_learns_a_separating_feature() {
        let rows: Vec<(Features, bool, f32)> = (0..200)
            .map(|i| {
                let score = i as f32 / 200.0;
                let f = Features {
                    score,
                    ..Features::default()
                };
                (f, score > 0.5, 1.0)
            })
            .collect();
        let model = Boosted::fit(&rows, super::super::boosted::Growth::DEFAULT);
        let at = |score| {
            model.probability(&Features {
                score,
                ..Features::default()
            })
        };
        assert!(at(0.1) < 0.2, "{}", at(0.1));
        assert!(at(0.9) > 0.8, "{}", at(0.9));
    }

    #[test]
    fn the_shipped_model_parses_and_ranks_a_full_match_above_none() {
        let full = Features {
            score: 1.0,
            coverage: 1.0,
            phrasing: 1.0,
            lead: 0.8,
            evidence: 1.5,
            question_coverage: 1.0,
            vote: 1.0,
            ..Features::default()
        };
        let none = Features::default();
        let fitted = Calibration::Fitted;
        assert!(fitted.probability(&full) > 0.9);
        assert!(fitted.probability(&none) < 0.1);
    }

    #[test]
    fn reliability_of_a_perfectly_calibrated_set_has_no_error() {
        let points: Vec<(f32, bool)> = (0..10).map(|i| (0.05, i == 0)).collect::<Vec<_>>();
        let r = Reliability::of(&points, 10);
        // 10 % right at 5 % confidence: off by 0.05.
        assert!((r.ece - 0.05).abs() < 1e-6, "{r:?}");
        assert_eq!(r.bins[0].2, 10);
    }
}

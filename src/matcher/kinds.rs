//! The kinds of fact a question asks for and an answer states ("when" asks for a date,
//! "how much … cost" for a sum), read from the shared vocabulary's `[[answer_types]]`.

use rustc_hash::FxHashMap as HashMap;

use super::analyze::Analyzer;
use super::normalize::{tokenize, Token};
use crate::knowledge::{AnswerType, NumberKind};

impl Analyzer {
    /// Answer types the question asks for, as a bit mask.
    pub fn asked_types(&self, question: &[Token]) -> u32 {
        let words: Vec<&str> = question.iter().map(|t| t.surface.as_str()).collect();
        let starts = opening_starts(question);
        // (type, cue) found: cues are looked up by the word they start with.
        let mut found: Vec<(usize, &Cue)> = Vec::new();
        for (at, word) in words.iter().enumerate() {
            let Some(cues) = self.cues.get(*word) else {
                continue;
            };
            for (kind, cue) in cues {
                let end = at + cue.words.len();
                let fits = end <= words.len()
                    && cue.words.iter().zip(&words[at..]).all(|(c, w)| c == w)
                    && (cue.later.is_empty()
                        || (end..words.len().min(end + CUE_GAP)).any(|from| {
                            words[from..].len() >= cue.later.len()
                                && cue.later.iter().zip(&words[from..]).all(|(c, w)| c == w)
                        }));
                if fits && (!cue.opening || starts.contains(&at)) {
                    found.push((*kind, cue));
                }
            }
        }
        // A cue inside a longer cue of another type is not asking: "how many years"
        // asks for a duration, not an amount.
        found
            .iter()
            .filter(|(i, c)| {
                !found.iter().any(|(j, longer)| {
                    j != i
                        && longer.padded.len() > c.padded.len()
                        && longer.padded.contains(&c.padded)
                })
            })
            .fold(0, |m, (i, _)| m | (1 << i))
    }

    /// Answer types that the figures of `text` are written as: a "%" or "percent" a
    /// rate, a "$" a sum of money, a year a date.
    pub fn figure_types(&self, text: &str) -> u32 {
        let numbers = Numbers::of(text);
        self.mask(|kind| kind.numbers != NumberKind::Any && numbers.state(kind.numbers))
    }

    /// Does the question open with a question word ("what…", "so how…"), asking for
    /// something rather than checking a claim?
    pub fn is_open_question(&self, question: &[Token]) -> bool {
        opening_starts(question)
            .into_iter()
            .any(|at| QUESTION_WORDS.contains(&question[at].surface.as_str()))
    }

    /// Answer types that the question asks for and an answer must state.
    pub fn required_types(&self) -> u32 {
        self.masks.required
    }

    /// Answer types an answer states, as a bit mask: by its words, or by a number of
    /// the type's kind (any figure for an amount, a year for a date, "%" for a rate).
    pub fn stated_types(&self, answer: &str) -> u32 {
        self.stated_types_with(answer, &Numbers::of(answer))
    }

    fn stated_types_with(&self, answer: &str, numbers: &Numbers) -> u32 {
        let text = padded(answer);
        let named = tokenize(answer).iter().any(|t| t.capitalized && !t.number);
        self.mask(|kind| {
            kind.words.iter().any(|w| text.contains(w.as_str()))
                || numbers.state(kind.numbers)
                || kind.names && named
        })
    }

    /// The answer types it states without its figures, for a question that already gives
    /// them ("how much of the $1.8 million goes to bus rides" against an answer whose only
    /// figure is $1.8 million): no figure counts, nor any word of an amount, a sum or a
    /// rate, as "pounds" in "42 million pounds" is part of the figure; a date still counts
    /// when a word states it ("in March").
    pub fn stated_types_in_words(&self, answer: &str) -> u32 {
        self.stated_types_with(answer, &Numbers::default()) & !self.masks.quantities
    }

    /// The kinds a question asking for `asked` may be after: one asking for an amount
    /// ("how much are the tickets") may mean a sum of money, as a gap asking "how much
    /// do the tickets cost" does.
    pub fn may_ask(&self, asked: u32) -> u32 {
        if asked & self.masks.any_figure != 0 {
            asked | self.masks.money
        } else {
            asked
        }
    }

    /// The names of the answer types in a mask ("date", "amount"), in the vocabulary's order.
    pub fn type_names(&self, mask: u32) -> Vec<&str> {
        self.answer_types
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, t)| t.name.as_str())
            .collect()
    }

    fn mask(&self, test: impl Fn(&AnswerKind) -> bool) -> u32 {
        mask_of(&self.answer_types, test)
    }
}

/// The answer types, as masks, that every question consults.
pub(super) struct TypeMasks {
    /// Types an answer must state when asked.
    required: u32,
    /// Types any figure states ("how much": an amount).
    any_figure: u32,
    /// Types a sum of money states.
    money: u32,
    /// Types of quantity: an amount, a sum, a rate.
    quantities: u32,
}

impl TypeMasks {
    pub(super) fn of(kinds: &[AnswerKind]) -> Self {
        TypeMasks {
            required: mask_of(kinds, |k| k.required),
            any_figure: mask_of(kinds, |k| k.numbers == NumberKind::Any),
            money: mask_of(kinds, |k| k.numbers == NumberKind::Money),
            quantities: mask_of(kinds, |k| {
                matches!(
                    k.numbers,
                    NumberKind::Any | NumberKind::Money | NumberKind::Percent
                )
            }),
        }
    }
}

fn mask_of(kinds: &[AnswerKind], test: impl Fn(&AnswerKind) -> bool) -> u32 {
    kinds
        .iter()
        .enumerate()
        .filter(|(_, t)| test(t))
        .fold(0, |m, (i, _)| m | (1 << i))
}

/// The vocabulary's kinds of answer, as matched against answers (at most 32: a bit each).
pub(super) fn answer_kinds(types: &[AnswerType]) -> Vec<AnswerKind> {
    types
        .iter()
        .take(32)
        .map(|t| AnswerKind {
            name: t.name.clone(),
            required: t.required,
            words: t.words.iter().map(|w| padded(w)).collect(),
            numbers: t.numbers.unwrap_or(if t.required {
                NumberKind::Any
            } else {
                NumberKind::None
            }),
            names: t.names,
        })
        .collect()
}

/// Words a question may open with before what it asks ("so when…", "ok where…").
const OPENERS: &[&str] = &[
    "so", "and", "but", "wait", "ok", "okay", "hey", "yo", "also", "then", "um", "uh", "hi",
    "hello", "lol", "ngl", "quick", "question", "btw", "anyway", "hmm", "sorry", "oh", "like",
];

/// Where a question sentence opens, past any opener: the start of the message, and the
/// start of its first question sentence when the message tells a story first. A cue written "^where" asks only there: "where" opening
/// a question asks for a place; inside one ("the county where he lives") it does not.
fn opening_starts(tokens: &[Token]) -> Vec<usize> {
    let mut starts = vec![0];
    if let Some(first) = tokens.iter().position(|t| !t.context) {
        if first > 0 {
            starts.push(first);
        }
    }
    starts
        .into_iter()
        .map(|start| {
            start
                + tokens[start..]
                    .iter()
                    .take_while(|t| OPENERS.contains(&t.surface.as_str()))
                    .count()
        })
        .filter(|&at| at < tokens.len())
        .collect()
}

/// The cues of the first 32 answer types, by their first word.
pub(super) fn cue_index(types: &[AnswerType]) -> HashMap<String, Vec<(usize, Cue)>> {
    let mut index: HashMap<String, Vec<(usize, Cue)>> = HashMap::default();
    for (kind, t) in types.iter().take(32).enumerate() {
        for cue in &t.cues {
            let (text, opening) = match cue.trim().strip_prefix('^') {
                Some(rest) => (rest, true),
                None => (cue.as_str(), false),
            };
            // "how much … cost": the second part may come a few words later.
            let (text, later) = match text.split_once("...").or_else(|| text.split_once('…')) {
                Some((head, tail)) => (head, Some(tail)),
                None => (text, None),
            };
            let words: Vec<String> = tokenize(text).into_iter().map(|t| t.surface).collect();
            let Some(first) = words.first().cloned() else {
                continue;
            };
            let later: Vec<String> = later
                .map(|l| tokenize(l).into_iter().map(|t| t.surface).collect())
                .unwrap_or_default();
            let mut padded = padded_tokens(&tokenize(text));
            for w in &later {
                padded.push_str(w);
                padded.push(' ');
            }
            index.entry(first).or_default().push((
                kind,
                Cue {
                    words,
                    later,
                    opening,
                    padded,
                },
            ));
        }
    }
    index
}

/// Most words between the two parts of a cue written "how much ... cost".
const CUE_GAP: usize = 8;

/// A cue of a kind of answer, as words.
pub(super) struct Cue {
    words: Vec<String>,
    /// Words that must follow within [`CUE_GAP`] words (written "how much ... cost").
    later: Vec<String>,
    /// Written "^…": asks only where a question opens.
    opening: bool,
    /// The words joined and padded with spaces, to tell a cue inside a longer one.
    padded: String,
}

/// A kind of answer: the cues that ask for it and what states it.
pub(super) struct AnswerKind {
    name: String,
    required: bool,
    words: Vec<String>,
    numbers: NumberKind,
    names: bool,
}

/// The kinds of number a text states.
#[derive(Default)]
struct Numbers {
    any: bool,
    year: bool,
    percent: bool,
    money: bool,
}

impl Numbers {
    fn of(text: &str) -> Numbers {
        let mut found = Numbers {
            any: tokenize(text)
                .iter()
                .any(|t| t.number && t.surface.ends_with(|c: char| c.is_ascii_digit())),
            ..Numbers::default()
        };
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let before = start.checked_sub(1).map(|b| bytes[b]);
            let sign = text[..start].trim_end_matches(' ');
            if sign.ends_with(['$', '\u{20ac}', '\u{a3}']) {
                found.money = true;
            }
            let after = bytes.get(i).copied();
            let glued = |b: Option<u8>| matches!(b, Some(b'$' | b'.' | b',') | Some(b'0'..=b'9'));
            // A four-digit figure from 1900 to 2100, not money or part of a larger
            // figure, is a year.
            if i - start == 4
                && !glued(before)
                && !(matches!(after, Some(b'.' | b','))
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
                && matches!(&text[start..start + 2], "19" | "20" | "21")
            {
                found.year = true;
            }
            let rest = text[i..]
                .trim_start_matches([' ', '.', ','])
                .trim_start_matches(|c: char| c.is_ascii_digit());
            let rest = rest.trim_start();
            if rest.starts_with('%')
                || rest
                    .get(..7)
                    .is_some_and(|w| w.eq_ignore_ascii_case("percent"))
                || rest
                    .get(..8)
                    .is_some_and(|w| w.eq_ignore_ascii_case("per cent"))
            {
                found.percent = true;
            }
        }
        found
    }

    fn state(&self, kind: NumberKind) -> bool {
        match kind {
            NumberKind::None => false,
            NumberKind::Any => self.any,
            NumberKind::Year => self.year,
            NumberKind::Percent => self.percent,
            NumberKind::Money => self.money,
        }
    }
}

/// Folded words joined by single spaces, with a space at each end, so that phrases
/// are found whole (" how many " is not in " somehow many ").
fn padded(text: &str) -> String {
    padded_tokens(&tokenize(text))
}

fn padded_tokens(tokens: &[Token]) -> String {
    let mut out = String::from(" ");
    for t in tokens {
        out.push_str(&t.surface);
        out.push(' ');
    }
    out
}

/// Words that open a question for something (not a yes/no check).
pub(super) const QUESTION_WORDS: &[&str] = &[
    "what", "whats", "which", "who", "whos", "whose", "whom", "where", "wheres", "when", "whens",
    "why", "how", "hows", "wat", "wats",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Vocabulary;

    #[test]
    fn a_cue_in_two_parts_asks_only_when_the_second_follows_close_by() {
        let kind = |name: &str, numbers, cues: &[&str]| crate::knowledge::AnswerType {
            name: name.into(),
            required: true,
            cues: cues.iter().map(|c| c.to_string()).collect(),
            words: Vec::new(),
            numbers: Some(numbers),
            names: false,
        };
        let a = Analyzer::new(&Vocabulary {
            answer_types: vec![
                kind("amount", NumberKind::Any, &["how much"]),
                kind("money", NumberKind::Money, &["how much ... cost"]),
            ],
            ..Vocabulary::default()
        });
        let asked = |q: &str| a.type_names(a.asked_types(&tokenize(q)));
        assert_eq!(
            asked("how much did the 1998 deck replacement cost"),
            ["money"]
        );
        assert_eq!(asked("how much are the tickets"), ["amount"]);
        assert_eq!(
            asked(
                "how much of it is left after all of that and the other thing they said would cost"
            ),
            ["amount"]
        );
        // An amount question may be after money; a money question is not after any amount.
        let (amount, money) = (1, 2);
        assert_eq!(a.may_ask(amount), amount | money);
        assert_eq!(a.may_ask(money), money);
    }
}

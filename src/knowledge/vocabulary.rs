//! Shared language knowledge used for every report: stop words, synonym groups and
//! small talk. Generic words, never answers.

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    /// Words that carry no meaning for matching.
    #[serde(default)]
    pub stop_words: Vec<String>,
    /// Terms (words or phrases) that mean the same thing, mapped to one concept.
    #[serde(default)]
    pub synonyms: Vec<SynonymGroup>,
    /// Greetings, thanks and help requests: a message made only of these gets the help text.
    #[serde(default)]
    pub chitchat: Vec<String>,
    /// Kinds of answer a question can ask for ("how many" asks for an amount).
    #[serde(default)]
    pub answer_types: Vec<AnswerType>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SynonymGroup {
    pub canonical: String,
    pub terms: Vec<String>,
}

/// A kind of answer ("amount", "duration"): the cues in a question that ask for it, and
/// the words in an answer that state it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnswerType {
    pub name: String,
    /// An answer without this kind of fact must never answer a question that asks for it.
    #[serde(default)]
    pub required: bool,
    pub cues: Vec<String>,
    #[serde(default)]
    pub words: Vec<String>,
    /// Which numbers in an answer state this kind of fact besides its words; when not
    /// given, any figure states a required kind (as before kinds of number existed).
    #[serde(default)]
    pub numbers: Option<NumberKind>,
    /// A proper name in an answer (a capitalised word inside a sentence) states it.
    #[serde(default)]
    pub names: bool,
}

/// Numbers that state a kind of fact: any figure is an amount, but only a year is a
/// date, only a figure with "%" or "percent" is a rate, and only one with a currency
/// sign is money.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NumberKind {
    #[default]
    None,
    Any,
    Year,
    Percent,
    Money,
}

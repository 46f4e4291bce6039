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
    /// Phrases that ask for an amount ("how many"): only an answer with a number fits.
    #[serde(default)]
    pub quantity_cues: Vec<String>,
    /// Words that state an amount without digits ("hundreds", "a fraction").
    #[serde(default)]
    pub quantity_words: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SynonymGroup {
    pub canonical: String,
    pub terms: Vec<String>,
}

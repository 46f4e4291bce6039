//! The one reply model every front end renders: the command line, JSON and Discord.

use serde::Serialize;

use crate::knowledge::{Body, KnowledgeBase};
use crate::matcher::{Match, Outcome};

/// What the bot says to small talk, on every front end.
pub const HELP_TEXT: &str = "I answer questions about the news reports I know, with the paragraph and words that support each answer. Ask me something like \"How many people does the administration want to deport?\"";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Answered,
    Suggested,
    Declined,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Answered => "answered",
            Status::Suggested => "suggested",
            Status::Declined => "declined",
        }
    }
}

/// Why a question was not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decline {
    /// Nothing in the reports fits.
    NotCovered,
    /// A curated gap: readers ask this, and the report does not say.
    KnownGap,
    /// Greetings, thanks, "help": the help text is the answer.
    SmallTalk,
}

/// Where an answer comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Citation {
    pub report: String,
    pub title: String,
    pub attribution: String,
    pub paragraph: usize,
    pub quote: String,
    /// The report's publication date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A question the bot can answer, offered as a next step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub entry: String,
    pub question: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    pub question: String,
    pub status: Status,
    /// The entry that answered, or the gap that explains a decline.
    pub entry: Option<String>,
    /// The report of that entry.
    pub report: Option<String>,
    /// Set only when answered; opens with "Yes." or "No." when it settles a yes/no question.
    pub answer: Option<String>,
    /// For an answered yes/no question the answer settles: true for yes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settles: Option<bool>,
    /// Confidence of the best match, 0..1.
    pub confidence: f32,
    #[serde(rename = "source")]
    pub citation: Option<Citation>,
    /// Other questions about the same subject, when answered.
    pub related: Vec<Suggestion>,
    /// "Did you mean", when suggested; closest questions, when declined.
    pub suggestions: Vec<Suggestion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decline: Option<Decline>,
    /// What the report leaves out (for a known gap).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Topics the reports cover, when declined.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// Answers to the other questions of a message that asks several, each with its own
    /// source (see `Desk`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Reply>,
}

impl Reply {
    /// Leads the answer with "Yes." or "No." when the matcher found that the answer
    /// settles a yes/no question, unless the curated answer already opens with one.
    fn lead_with(&mut self, settles: Option<bool>) {
        let (Some(yes), Some(answer)) = (settles, self.answer.as_mut()) else {
            return;
        };
        let opening = answer
            .split(|c: char| !c.is_alphabetic())
            .next()
            .unwrap_or("")
            .to_lowercase();
        if opening == "yes" || opening == "no" {
            return;
        }
        *answer = format!("{} {answer}", if yes { "Yes." } else { "No." });
        self.settles = Some(yes);
    }
}

/// Most topics named in a decline: enough to orient, short enough to read.
pub const DECLINE_TOPICS: usize = 5;

fn suggestion(kb: &KnowledgeBase, index: usize) -> Suggestion {
    let e = &kb.entries[index];
    Suggestion {
        entry: e.id.clone(),
        question: e.question.clone(),
    }
}

impl Reply {
    /// The reply for a matcher's decision on `question`.
    pub fn from_match(
        kb: &KnowledgeBase,
        question: &str,
        found: &Match,
        report: Option<usize>,
    ) -> Reply {
        let confidence = (found.confidence() * 1000.0).round() / 1000.0;
        match &found.outcome {
            Outcome::Answered { entry } => {
                let mut reply = Reply::answer(kb, question, *entry, confidence);
                reply.lead_with(found.settles);
                reply
            }
            Outcome::Suggested { entries } => Reply {
                suggestions: entries.iter().map(|&i| suggestion(kb, i)).collect(),
                ..Reply::empty(question, Status::Suggested, confidence)
            },
            Outcome::Declined {
                gap,
                chitchat,
                nearest,
            } => {
                let gap_entry = gap.map(|g| &kb.entries[g]);
                let decline = if *chitchat {
                    Decline::SmallTalk
                } else if gap_entry.is_some() {
                    Decline::KnownGap
                } else {
                    Decline::NotCovered
                };
                Reply {
                    entry: gap_entry.map(|e| e.id.clone()),
                    report: gap_entry.map(|e| kb.reports[e.report].id.clone()),
                    note: gap_entry.and_then(|e| match &e.body {
                        Body::Gap { note } => Some(note.clone()),
                        Body::Fact { .. } => None,
                    }),
                    suggestions: nearest.iter().map(|&i| suggestion(kb, i)).collect(),
                    decline: Some(decline),
                    topics: kb
                        .topics(report)
                        .into_iter()
                        .take(DECLINE_TOPICS)
                        .map(str::to_string)
                        .collect(),
                    ..Reply::empty(question, Status::Declined, confidence)
                }
            }
        }
    }

    /// The answer of one entry, as when a person picks a suggested question.
    pub fn answer(kb: &KnowledgeBase, question: &str, index: usize, confidence: f32) -> Reply {
        let e = &kb.entries[index];
        let report = &kb.reports[e.report];
        let (answer, citation) = match &e.body {
            Body::Fact { answer, source } => (
                Some(answer.clone()),
                Some(Citation {
                    report: report.id.clone(),
                    title: report.title.clone(),
                    attribution: report.attribution.clone(),
                    paragraph: source.paragraph,
                    quote: source.quote.clone(),
                    published: report.date.clone(),
                    url: report.url.clone(),
                }),
            ),
            Body::Gap { .. } => (None, None),
        };
        let related = e
            .related
            .iter()
            .filter_map(|id| kb.entry_index(id))
            .map(|i| suggestion(kb, i))
            .take(crate::matcher::MAX_SUGGESTIONS)
            .collect();
        Reply {
            status: if answer.is_some() {
                Status::Answered
            } else {
                Status::Declined
            },
            entry: Some(e.id.clone()),
            report: Some(report.id.clone()),
            answer,
            citation,
            related,
            ..Reply::empty(question, Status::Answered, confidence)
        }
    }

    fn empty(question: &str, status: Status, confidence: f32) -> Reply {
        Reply {
            question: question.to_string(),
            status,
            entry: None,
            report: None,
            answer: None,
            settles: None,
            confidence,
            citation: None,
            related: Vec::new(),
            suggestions: Vec::new(),
            decline: None,
            note: None,
            topics: Vec::new(),
            also: Vec::new(),
        }
    }

    /// Every answer the reply gives, the lead one first (one for most questions).
    pub fn answers(&self) -> impl Iterator<Item = &str> {
        self.answer
            .as_deref()
            .into_iter()
            .chain(self.also.iter().filter_map(|a| a.answer.as_deref()))
    }
}

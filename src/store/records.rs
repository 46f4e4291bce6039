//! What the front ends hand the store to log: questions, votes, clicks, and the receipts.

use std::time::{Duration, SystemTime};

use crate::reply::{Decline, Reply, Status};

/// Identifies a logged question: carry it in buttons to link votes and clicks to it.
/// Made up of the time in milliseconds and a random per-handle counter, so handles in
/// several processes don't collide in practice (and a collision would only blur which
/// question a vote refers to: the table's own key is separate).
pub type QuestionId = i64;

/// A question and what became of it, as the front end saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionLog {
    pub at: SystemTime,
    pub guild: Option<u64>,
    pub channel: Option<u64>,
    /// The asker's id; hashed before it is queued, never stored.
    pub user: Option<u64>,
    pub question: String,
    pub status: Status,
    pub decline: Option<Decline>,
    /// The answering entry (or the gap explaining a decline).
    pub entry: Option<String>,
    /// Entries offered ("did you mean", or nearest when declined).
    pub suggested: Vec<String>,
    pub report: Option<String>,
    pub confidence: f32,
    /// Time the matcher took.
    pub matching: Duration,
}

impl QuestionLog {
    /// The record for a reply; `matching` is `Answered::elapsed` when known, else zero.
    pub fn from_reply(reply: &Reply, matching: Duration) -> Self {
        QuestionLog {
            at: SystemTime::now(),
            guild: None,
            channel: None,
            user: None,
            question: reply.question.clone(),
            status: reply.status,
            decline: reply.decline,
            entry: reply.entry.clone(),
            suggested: reply.suggestions.iter().map(|s| s.entry.clone()).collect(),
            report: reply.report.clone(),
            confidence: reply.confidence,
            matching,
        }
    }

    /// Where and by whom it was asked.
    pub fn asked_by(mut self, guild: Option<u64>, channel: Option<u64>, user: Option<u64>) -> Self {
        self.guild = guild;
        self.channel = channel;
        self.user = user;
        self
    }
}

/// A 👍 or 👎 on an answer message. One vote per person per message: a later vote
/// replaces an earlier one (the newest `at` wins).
#[derive(Debug, Clone, PartialEq)]
pub struct Vote {
    pub at: SystemTime,
    /// The answer message (or any id unique to the answer shown).
    pub message: u64,
    pub question: Option<QuestionId>,
    pub entry: String,
    /// The voter's id; hashed before it is queued.
    pub user: u64,
    pub up: bool,
}

/// A click on a suggested question: evidence of what the question meant.
#[derive(Debug, Clone, PartialEq)]
pub struct Click {
    pub at: SystemTime,
    pub guild: Option<u64>,
    pub channel: Option<u64>,
    pub user: Option<u64>,
    /// The logged question the suggestion was offered for, when known.
    pub question: Option<QuestionId>,
    /// Its text, when known (kept for clicks whose question id is unknown).
    pub asked: Option<String>,
    /// The entry clicked.
    pub entry: String,
}

/// A receipt for a queued record: [`Store::wait`] returns once it is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ack(pub(super) u64);

/// A logged question: its id at once, and an acknowledgement to wait for if needed
/// (`None` when the record was dropped because the queue was full).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Logged {
    pub id: QuestionId,
    pub ack: Option<Ack>,
}

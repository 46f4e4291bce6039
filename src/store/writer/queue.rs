//! What waits on the queue for the writer: records, with the person in them.

use crate::store::{Click, QuestionId, QuestionLog, Vote};

/// A person in a record: hashed with the deployment's key, or (only while that key
/// could not be read yet) the id itself, held in memory and hashed by the writer before
/// anything is written, so that one person never gets two hashes.
#[derive(Clone, Debug)]
pub(crate) enum Who {
    Hashed(String),
    Pending(u64),
}

impl Who {
    /// The stored hash; the writer resolves every [`Who::Pending`] before a sink sees it.
    pub fn text(&self) -> &str {
        match self {
            Who::Hashed(h) => h,
            Who::Pending(_) => "",
        }
    }

    pub(super) fn resolve(&mut self, key: &[u8; 32]) {
        if let Who::Pending(user) = *self {
            *self = Who::Hashed(crate::store::user_hash(key, user));
        }
    }
}

#[derive(Clone)]
pub(crate) enum Record {
    Question {
        id: QuestionId,
        user: Option<Who>,
        q: QuestionLog,
    },
    Vote {
        user: Who,
        vote: Vote,
    },
    Click {
        user: Option<Who>,
        click: Click,
    },
    Dismiss {
        cluster: String,
        by: Option<Who>,
        at: i64,
    },
    Alerted {
        cluster: String,
        at: i64,
    },
}

pub(crate) struct Msg {
    pub seq: u64,
    pub record: Record,
}

impl Record {
    pub(super) fn resolve(&mut self, key: &[u8; 32]) {
        let who = match self {
            Record::Question { user, .. } | Record::Click { user, .. } => user.as_mut(),
            Record::Vote { user, .. } => Some(user),
            Record::Dismiss { by, .. } => by.as_mut(),
            Record::Alerted { .. } => None,
        };
        if let Some(who) = who {
            who.resolve(key);
        }
    }
}

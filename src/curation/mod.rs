//! Curating unanswered clusters, for every front end: add a cluster's question as a
//! phrasing of an entry, add a drafted entry, or dismiss the cluster. The Discord buttons
//! and `factdesk curate` call these same functions, so a change made from either is
//! checked, written and recorded alike: the knowledge folder's `additions.toml` (through
//! [`additions::apply`]) and the cluster marked handled in the store.
//!
//! The moderators' views live here too ([`Views`]): the store returns the questions as
//! logged, and this service clusters them with the matcher, so persistence never reads
//! questions itself.

mod clusters;
mod stats;
mod views;

use std::path::Path;

use crate::knowledge::additions::{self, Addition, Applied, CurationError, Draft};
use crate::matcher::Matcher;
use crate::store::{Ack, Store, StoreError};

pub use clusters::{cluster, Cluster, Unanswered, JACCARD};
pub use stats::Stats;
pub use views::Views;

/// Clusters are looked up over this many days (the question log's default retention).
pub const CLUSTER_DAYS: u32 = 90;

/// Why a curation step was not taken. Nothing was written in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum CurateError {
    /// No cluster with that id is listed (dismissed or fixed already, or never was).
    #[error("no unanswered cluster `{0}` is listed (dismissed or fixed already?); `factdesk unanswered` shows the current ones")]
    Gone(String),
    /// Curation writes to a knowledge folder, and the built-in copy is not one.
    #[error("curation writes to the knowledge folder, and the built-in knowledge base is in use: give a knowledge folder")]
    NoFolder,
    #[error(transparent)]
    Addition(#[from] CurationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a front end needs to curate: where clusters are recorded, the knowledge folder
/// (`None` when the built-in knowledge base serves), and the matcher that reads the
/// clusters (the one answering questions, so the ids match the ones shown).
pub struct Curator<'a> {
    pub store: &'a Store,
    pub knowledge_dir: Option<&'a Path>,
    pub matcher: &'a Matcher,
    /// Where the change was made, for the note above it in `additions.toml` ("Discord").
    pub via: &'a str,
}

/// A change accepted: the knowledge base with it, and the cluster marked handled.
#[derive(Debug)]
pub struct Curated {
    pub applied: Applied,
    /// The cluster as it was found, before it was marked handled.
    pub cluster: Option<Cluster>,
    /// The question that became a phrasing (phrasings only).
    pub question: Option<String>,
    /// The store's receipt for marking the cluster handled; `None` if it could not be queued.
    pub recorded: Option<Ack>,
}

/// A cluster dismissed.
#[derive(Debug)]
pub struct Dismissed {
    pub cluster: Cluster,
    /// The store's receipt; `None` if the record could not be queued.
    pub recorded: Option<Ack>,
}

/// The comment written above a change in `additions.toml`: where, when and how often asked.
pub fn origin_note(via: &str, c: Option<&Cluster>) -> String {
    let date = crate::store::now_text();
    match c {
        Some(c) => format!(
            "added from {via} on {date}: asked {} time(s) by {} people",
            c.asks, c.askers
        ),
        None => format!("added from {via} on {date}"),
    }
}

impl Curator<'_> {
    /// The listed (not dismissed) cluster with this id, as its main id or a member's.
    pub fn cluster(&self, id: &str) -> Result<Cluster, CurateError> {
        self.store
            .find_cluster(self.matcher, CLUSTER_DAYS, id)?
            .ok_or_else(|| CurateError::Gone(id.to_string()))
    }

    /// "Add as phrasing": the cluster's main wording becomes another way of asking
    /// `entry`, validated with the whole folder, written to the report's additions file,
    /// and the cluster is marked handled.
    pub fn add_phrasing(&self, cluster: &str, entry: &str) -> Result<Curated, CurateError> {
        let c = self.cluster(cluster)?;
        let question = c
            .questions
            .first()
            .cloned()
            .ok_or_else(|| CurateError::Gone(cluster.to_string()))?;
        let addition = Addition::Variant {
            entry: entry.to_string(),
            question: question.clone(),
        };
        let note = origin_note(self.via, Some(&c));
        let (applied, recorded) = accept(
            self.knowledge_dir,
            Some(self.store),
            &c.id,
            &addition,
            &note,
        )?;
        Ok(Curated {
            applied,
            cluster: Some(c),
            question: Some(question),
            recorded,
        })
    }

    /// "Dismiss": the cluster is hidden for good; `by` is the moderator, when known.
    pub fn dismiss(&self, cluster: &str, by: Option<u64>) -> Result<Dismissed, CurateError> {
        let c = self.cluster(cluster)?;
        let recorded = self.store.dismiss_cluster(cluster, by);
        Ok(Dismissed {
            cluster: c,
            recorded,
        })
    }
}

/// Applies a change to the knowledge folder and, once written, marks `cluster` handled in
/// `store` (when there is one). Shared by phrasings and drafted entries.
pub fn accept(
    knowledge_dir: Option<&Path>,
    store: Option<&Store>,
    cluster: &str,
    addition: &Addition,
    note: &str,
) -> Result<(Applied, Option<Ack>), CurateError> {
    let dir = knowledge_dir.ok_or(CurateError::NoFolder)?;
    let applied = additions::apply(dir, addition, note)?;
    let recorded = store.and_then(|s| s.dismiss_cluster(cluster, None));
    tracing::info!(entry = %applied.entry, file = %applied.file.display(), "curated");
    Ok((applied, recorded))
}

/// "New entry": a drafted entry, validated and written like a phrasing; `c` is the
/// cluster it answers, when it is still listed (for the note).
pub fn add_entry(
    knowledge_dir: Option<&Path>,
    store: Option<&Store>,
    cluster: &str,
    draft: Draft,
    c: Option<&Cluster>,
    via: &str,
) -> Result<Applied, CurateError> {
    let note = origin_note(via, c);
    accept(
        knowledge_dir,
        store,
        cluster,
        &Addition::Entry(draft),
        &note,
    )
    .map(|(a, _)| a)
}

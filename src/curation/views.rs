//! The moderators' views of the question log. The store reads questions as they were
//! logged; these views cluster them with the matcher that answers, so the cluster ids
//! are the ones moderators are shown.

use super::clusters::{self, Cluster, Unanswered};
use super::stats::{self, Stats};
use crate::matcher::Matcher;
use crate::store::{Reader, Store, StoreError};

/// Stats and unanswered clusters, for anything that reads the question log: the bot's
/// [`Store`] and the command line's [`Reader`] alike.
pub trait Views {
    /// The read path the views are built on.
    fn log(&self) -> &Reader;

    /// Questions, rates, top entries, top unanswered clusters and votes per entry over
    /// the last `days` days.
    fn stats(&self, matcher: &Matcher, days: u32) -> Result<Stats, StoreError> {
        Ok(stats::build(self.log().snapshot(days)?, matcher))
    }

    /// Declined and not-confident questions of the last `days` days, in clusters of
    /// near-duplicates, biggest first; `offset`/`limit` page through them.
    fn unanswered(
        &self,
        matcher: &Matcher,
        days: u32,
        offset: usize,
        limit: usize,
    ) -> Result<Unanswered, StoreError> {
        let snap = self.log().unanswered_questions(days)?;
        Ok(clusters::page(&snap, matcher, offset, limit))
    }

    /// The current cluster that has `id` as its id or as one of its members' ids.
    fn find_cluster(
        &self,
        matcher: &Matcher,
        days: u32,
        id: &str,
    ) -> Result<Option<Cluster>, StoreError> {
        let snap = self.log().unanswered_questions(days)?;
        Ok(clusters::all(&snap, matcher)
            .into_iter()
            .find(|c| c.id == id || c.members.iter().any(|m| m == id)))
    }

    /// Unanswered clusters asked at least `min_asks` times over the last `days` days that
    /// have not been posted to moderators yet (see [`Store::mark_alerted`]).
    fn clusters_to_alert(
        &self,
        matcher: &Matcher,
        days: u32,
        min_asks: u64,
    ) -> Result<Vec<Cluster>, StoreError> {
        let snap = self.log().unanswered_questions(days)?;
        Ok(clusters::to_alert(&snap, matcher, min_asks))
    }
}

impl Views for Reader {
    fn log(&self) -> &Reader {
        self
    }
}

impl Views for Store {
    fn log(&self) -> &Reader {
        self.reader()
    }
}

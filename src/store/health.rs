//! What moderators and the exit line are told of the question log: its health, and what
//! became of the records when it closed.

use serde::Serialize;

/// What moderators see of the store's health.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Health {
    /// The last write (or connection attempt) succeeded.
    pub ok: bool,
    pub last_error: Option<String>,
    /// Unix milliseconds of the last error and of the first failure of the current run of failures.
    pub last_error_at: Option<i64>,
    pub failing_since: Option<i64>,
    pub last_commit_at: Option<i64>,
    /// Records written since the store was opened.
    pub written: u64,
    /// Records lost: the queue was full, or a record could never be written.
    pub dropped: u64,
    /// Records queued or held for a retry, not yet on disk.
    pub backlog: u64,
    /// Rows removed by retention since the store was opened.
    pub purged: u64,
    /// Unix milliseconds of the last moment nothing was waiting to be written.
    pub current_at: Option<i64>,
    /// The deployment's user hash key has not been read yet (the database has not
    /// answered since start-up): records keep the ids in memory until it is.
    pub hash_key_pending: bool,
}

impl Health {
    /// Seconds since the log was last up to date (a commit, or nothing waiting), at `now` (unix ms).
    pub fn last_write_age(&self, now: i64) -> Option<f64> {
        let last = self.last_commit_at.max(self.current_at)?;
        Some((now - last).max(0) as f64 / 1000.0)
    }

    /// One line for a moderator.
    pub fn summary(&self) -> String {
        let mut text = if self.ok && self.backlog == 0 {
            format!("question log ok: {} written", self.written)
        } else if self.ok {
            // Never "ok" alone while records wait: at shutdown those are the ones at risk.
            format!(
                "question log writing: {} written, {} still queued",
                self.written, self.backlog
            )
        } else {
            format!(
                "question log NOT WRITING: {} ({} waiting)",
                self.last_error.as_deref().unwrap_or("unknown error"),
                self.backlog
            )
        };
        if self.dropped > 0 {
            text.push_str(&format!("; {} record(s) lost", self.dropped));
        }
        text
    }
}

/// What became of the records when the store closed (see [`Store::close`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    /// Records committed since the store was opened.
    pub written: u64,
    /// Records not confirmed written: dropped from a full queue, refused, or still
    /// waiting when the grace ran out.
    pub lost: u64,
    /// Of the lost, those whose write was cut off without an answer: they may have
    /// reached the database all the same.
    pub unsure: u64,
    /// The writer had stopped by then (false: it was stuck in a call to the database).
    pub finished: bool,
}

impl Closed {
    /// The line printed at exit.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "question log closed: {} written, {} lost",
            self.written, self.lost
        );
        if self.unsure > 0 {
            text.push_str(&format!(
                " ({} of them were being written when time ran out and may be in the database)",
                self.unsure
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::Health;

    #[test]
    fn the_summary_never_says_ok_while_records_wait() {
        let mut health = Health {
            ok: true,
            written: 10,
            ..Health::default()
        };
        assert_eq!(health.summary(), "question log ok: 10 written");
        health.backlog = 6;
        assert_eq!(
            health.summary(),
            "question log writing: 10 written, 6 still queued"
        );
        health.ok = false;
        health.last_error = Some("disk full".into());
        assert_eq!(
            health.summary(),
            "question log NOT WRITING: disk full (6 waiting)"
        );
    }

    #[test]
    fn the_close_says_what_was_lost() {
        use super::Closed;
        let closed = Closed {
            written: 10,
            lost: 3,
            unsure: 0,
            finished: true,
        };
        assert_eq!(closed.summary(), "question log closed: 10 written, 3 lost");
        let unsure = Closed {
            unsure: 2,
            ..closed
        };
        assert!(unsure.summary().ends_with(
            "(2 of them were being written when time ran out and may be in the database)"
        ));
    }
}

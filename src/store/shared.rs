//! Answering state that processes sharing a PostgreSQL store agree on: cooldowns and the
//! answered-above memory. An embedded store leaves both to the process's own memory.

use std::time::Duration;

use super::read::Backend;
use super::{now_ms, postgres, Store};

/// One step of a shared cooldown (see [`Store::cooldown`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CooldownStep {
    /// The person may ask: a new cooldown has started.
    pub ready: bool,
    /// Time left when not ready.
    pub remaining: Duration,
    /// The first refused try of this cooldown (so public notes are not repeated).
    pub first_warning: bool,
}

impl Store {
    /// One cooldown step for `user`, shared by every process: ready (and a new cooldown
    /// of `period` starts) or how long to wait. `None` when the store is not shared, or
    /// did not answer within the shared timeout: the caller then uses its own memory.
    pub async fn cooldown(&self, user: u64, period: Duration) -> Option<CooldownStep> {
        let Backend::Postgres(pg) = self.backend() else {
            return None;
        };
        if period.is_zero() {
            return Some(CooldownStep {
                ready: true,
                remaining: Duration::ZERO,
                first_warning: false,
            });
        }
        // With the deployment's key unknown, or the database down or hung, the caller's
        // own memory answers: a hash under another key would make one person two.
        let hash = self.known_hash(user)?;
        if !self.inner.shared.answering() {
            return None;
        }
        let (now, ms) = (now_ms(), period.as_millis() as i64);
        let (at, warns) = pg
            .shared(self.inner.shared_timeout, move |pool| {
                Box::pin(postgres::cooldown(pool, hash, now, ms))
            })
            .await?;
        let ready = warns == 0;
        let remaining = Duration::from_millis((at + ms - now).clamp(0, ms) as u64);
        Some(CooldownStep {
            ready,
            remaining: if ready { Duration::ZERO } else { remaining },
            first_warning: warns == 1,
        })
    }

    /// Where the same question (`key`) was answered in `channel` within `window`, from
    /// any process: `Some(None)` when it was not; `None` when the store is not shared or
    /// did not answer in time.
    pub async fn earlier_answer(
        &self,
        channel: u64,
        key: &str,
        window: Duration,
    ) -> Option<Option<String>> {
        let Backend::Postgres(pg) = self.backend() else {
            return None;
        };
        if !self.inner.shared.answering() {
            return None;
        }
        let since = now_ms() - window.as_millis() as i64;
        let key = key.to_string();
        pg.shared(self.inner.shared_timeout, move |pool| {
            Box::pin(postgres::earlier(pool, channel as i64, key, since))
        })
        .await
    }

    /// Remembers where the answer to `key` in `channel` is, for every process; false
    /// when the store is not shared or did not answer in time.
    pub async fn remember_answer(&self, channel: u64, key: &str, link: &str) -> bool {
        let Backend::Postgres(pg) = self.backend() else {
            return false;
        };
        if !self.inner.shared.answering() {
            return false;
        }
        let (key, link, at) = (key.to_string(), link.to_string(), now_ms());
        pg.shared(self.inner.shared_timeout, move |pool| {
            Box::pin(postgres::remember(pool, channel as i64, key, link, at))
        })
        .await
        .is_some()
    }
}

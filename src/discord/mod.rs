//! The Discord front end: turns Discord events into calls on [`Desk`] and renders the
//! one [`crate::reply::Reply`] model as Discord messages. No matching happens here.
//!
//! Two transports share the commands ([`commands`], [`admin`]), the renderers
//! ([`render`], [`components`], [`curation`]) and the answer flow ([`flow`]):
//! - [`gateway`]: the websocket bot. [`run`] connects to Discord (or to
//!   `DISCORD_API_BASE`) until a shutdown signal; [`serve`] is `factdesk serve`.
//! - [`http`]: Discord's Interactions Endpoint URL, `factdesk serve --http ADDR`.

pub mod admin;
pub mod commands;
pub mod components;
pub mod config;
pub mod cooldown;
pub mod curation;
pub mod flow;
pub mod gateway;
pub mod http;
pub mod markup;
pub mod render;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use arc_swap::ArcSwap;
use poise::serenity_prelude as serenity;
use serenity::Permissions;

use crate::desk::Desk;
use crate::knowledge::additions::Draft;
use crate::metrics::Metrics;
use crate::reply::Reply;
use crate::store::{QuestionId, Store, StoreConfig, StoreError};

pub use config::{ConfigError, Settings, ShardRange};
pub use gateway::{run, run_with_store, serve};

pub type Error = anyhow::Error;
pub type Context<'a> = poise::Context<'a, Data, Error>;

/// Refused drafts by (moderator id, cluster id), when there is no store to keep them.
pub type Drafts = std::collections::HashMap<(u64, String), Draft>;
/// Drafts kept in memory at most (without a store).
const KEPT_DRAFTS: usize = 200;

/// What every handler shares. The desk sits behind an [`ArcSwap`] so a new knowledge base
/// can be swapped in atomically while handlers keep the one they started with.
pub struct Data {
    pub desk: Arc<ArcSwap<Desk>>,
    pub newsroom: HashSet<u64>,
    pub cooldowns: Mutex<cooldown::Cooldowns>,
    pub recent: Mutex<cooldown::RecentAnswers>,
    /// The question log; `None` when it could not be opened (answering goes on without it).
    pub store: Option<Store>,
    /// Where each 👎 is posted for moderators.
    pub mod_channel: Option<serenity::ChannelId>,
    /// Members with this role are moderators (as are those with Manage Server).
    pub mod_role: Option<u64>,
    /// The knowledge folder `/faq-admin reload` reads; `None` for the built-in one.
    pub knowledge_dir: Option<std::path::PathBuf>,
    /// New-entry drafts that were refused, by moderator and cluster, to fix rather than
    /// retype: kept in the store when there is one, here when there is none (or it fails).
    pub drafts: Mutex<Drafts>,
    /// Per-person cooldown and answered-above window (also kept in a shared store).
    pub cooldown_period: std::time::Duration,
    pub repeat_window: std::time::Duration,
    /// Counters for `/metrics`, shared with the metrics server.
    pub metrics: Arc<Metrics>,
}

impl Data {
    pub fn new(settings: &Settings, desk: Arc<ArcSwap<Desk>>) -> Self {
        Data::with_store(settings, desk, None)
    }

    pub fn with_store(settings: &Settings, desk: Arc<ArcSwap<Desk>>, store: Option<Store>) -> Self {
        Data {
            desk,
            store,
            mod_channel: settings.mod_channel.map(serenity::ChannelId::new),
            mod_role: settings.mod_role,
            knowledge_dir: settings.knowledge_dir.clone(),
            drafts: Mutex::default(),
            newsroom: settings.newsroom_channels.clone(),
            cooldowns: Mutex::new(cooldown::Cooldowns::new(settings.cooldown)),
            recent: Mutex::new(cooldown::RecentAnswers::new(settings.repeat_window)),
            cooldown_period: settings.cooldown,
            repeat_window: settings.repeat_window,
            metrics: Arc::default(),
        }
    }

    /// What `/healthz` and `/metrics` read.
    pub fn ops(&self) -> crate::metrics::Ops {
        crate::metrics::Ops {
            desk: Arc::clone(&self.desk),
            store: self.store.clone(),
            metrics: Arc::clone(&self.metrics),
        }
    }

    /// Whether `user` may ask now (starting a new cooldown when so). With a shared store
    /// every process sees the same cooldown; when it does not answer in time, this
    /// process's own memory decides.
    pub async fn check_cooldown(&self, user: u64, now: std::time::Instant) -> cooldown::Verdict {
        if let Some(store) = &self.store {
            if let Some(step) = store.cooldown(user, self.cooldown_period).await {
                // Keep the local memory in step, for when the store is unavailable.
                let _ = self.cooldowns().check(user, now);
                return if step.ready {
                    cooldown::Verdict::Ready
                } else {
                    cooldown::Verdict::Wait {
                        remaining: step.remaining,
                        first_warning: step.first_warning,
                    }
                };
            }
        }
        self.cooldowns().check(user, now)
    }

    /// An earlier answer to the same question in `channel` (from any process with a shared store).
    pub async fn earlier_answer(
        &self,
        channel: u64,
        key: &str,
        now: std::time::Instant,
    ) -> Option<cooldown::Earlier> {
        if self.repeat_window.is_zero() {
            return None;
        }
        if let Some(store) = &self.store {
            if let Some(found) = store.earlier_answer(channel, key, self.repeat_window).await {
                return found.map(|link| cooldown::Earlier { link });
            }
        }
        self.recent().earlier(channel, key, now)
    }

    /// Remembers where the answer to `key` in `channel` is (in the shared store too).
    pub async fn remember_answer(
        &self,
        channel: u64,
        key: String,
        link: String,
        now: std::time::Instant,
    ) {
        if self.repeat_window.is_zero() {
            return;
        }
        if let Some(store) = &self.store {
            store.remember_answer(channel, &key, &link).await;
        }
        self.recent().remember(channel, key, link, now);
    }

    pub fn cooldowns(&self) -> MutexGuard<'_, cooldown::Cooldowns> {
        // The state stays usable even if a handler panicked while holding the lock.
        self.cooldowns.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn drafts(&self) -> MutexGuard<'_, Drafts> {
        self.drafts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `moderator`'s refused draft for `cluster`, from the store (any process, any run).
    pub async fn kept_draft(&self, moderator: u64, cluster: &str) -> Option<Draft> {
        if let Some(store) = self.store.clone() {
            let id = cluster.to_string();
            match tokio::task::spawn_blocking(move || store.kept_draft(moderator, &id)).await {
                Ok(Ok(Some(draft))) => return Some(draft),
                Ok(Ok(None)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "could not read a kept draft"),
                Err(e) => tracing::warn!(error = %e, "reading a kept draft panicked"),
            }
        }
        self.drafts()
            .get(&(moderator, cluster.to_string()))
            .cloned()
    }

    /// Keeps a refused draft: in the store, or in this process's memory without one.
    pub async fn keep_draft(&self, moderator: u64, cluster: &str, draft: Draft) {
        if let Some(store) = self.store.clone() {
            let (id, d) = (cluster.to_string(), draft.clone());
            match tokio::task::spawn_blocking(move || store.keep_draft(moderator, &id, &d)).await {
                Ok(Ok(())) => return,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "could not keep a draft in the store; kept in memory")
                }
                Err(e) => tracing::warn!(error = %e, "keeping a draft panicked; kept in memory"),
            }
        }
        let mut drafts = self.drafts();
        if drafts.len() >= KEPT_DRAFTS {
            drafts.clear();
        }
        drafts.insert((moderator, cluster.to_string()), draft);
    }

    /// Forgets `moderator`'s draft for `cluster` (it was added).
    pub async fn forget_draft(&self, moderator: u64, cluster: &str) {
        self.drafts().remove(&(moderator, cluster.to_string()));
        if let Some(store) = self.store.clone() {
            let id = cluster.to_string();
            match tokio::task::spawn_blocking(move || store.forget_draft(moderator, &id)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "could not forget a kept draft"),
                Err(e) => tracing::warn!(error = %e, "forgetting a kept draft panicked"),
            }
        }
    }

    pub fn recent(&self) -> MutexGuard<'_, cooldown::RecentAnswers> {
        self.recent.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An id for a question about to be answered, when there is a question log.
    pub fn reserve_question(&self) -> Option<QuestionId> {
        self.store.as_ref().map(Store::reserve_question_id)
    }

    /// Queues the question and its reply in the question log under `id` (never blocks).
    /// Called once the reply is sent: logging stays off the answering path.
    pub fn log_question(
        &self,
        id: Option<QuestionId>,
        reply: &Reply,
        matching: std::time::Duration,
        guild: Option<serenity::GuildId>,
        channel: serenity::ChannelId,
        user: serenity::UserId,
    ) {
        let (Some(store), Some(id)) = (self.store.as_ref(), id) else {
            return;
        };
        let record = crate::store::QuestionLog::from_reply(reply, matching).asked_by(
            guild.map(|g| g.get()),
            Some(channel.get()),
            Some(user.get()),
        );
        store.log_question_as(id, record);
    }
}

/// What the bot needs in a channel: read and send messages, embed links, read history
/// (replies reference the question), use slash commands, and answer in threads.
pub fn invite_permissions() -> Permissions {
    Permissions::VIEW_CHANNEL
        | Permissions::SEND_MESSAGES
        | Permissions::SEND_MESSAGES_IN_THREADS
        | Permissions::EMBED_LINKS
        | Permissions::READ_MESSAGE_HISTORY
        | Permissions::USE_APPLICATION_COMMANDS
}

pub fn invite_url(application_id: u64) -> String {
    format!(
        "https://discord.com/oauth2/authorize?client_id={application_id}&scope=bot+applications.commands&permissions={}",
        invite_permissions().bits()
    )
}

/// A REST client for `settings` (token, base URL, never any pings), for both transports.
pub fn rest_client(settings: &Settings, application_id: Option<u64>) -> serenity::Http {
    let mut http =
        serenity::HttpBuilder::new(&settings.token).default_allowed_mentions(render::no_pings());
    if let Some(base) = &settings.api_base {
        // The ratelimiter ignores the proxy, so it must be off for the base to apply to
        // every call; a ratelimiting proxy at that base does its job instead.
        http = http.proxy(base.clone()).ratelimiter_disabled(true);
    }
    if let Some(app) = application_id {
        http = http.application_id(serenity::ApplicationId::new(app));
    }
    http.build()
}

/// Removes interaction and webhook tokens from text bound for a log line.
pub fn redact(text: &str) -> String {
    static TOKENS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"((?:interactions|webhooks)/\d+/)[A-Za-z0-9._\-]+").expect("valid regex")
    });
    TOKENS.replace_all(text, "${1}<token>").into_owned()
}

/// Why the bot could not start or stopped: a setting to fix, or anything else.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Setting(#[from] ConfigError),
    /// The question log is unusable in a way a person must fix (corrupt, too new, a bad setting).
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl ServeError {
    /// Whether a person must change a setting or a file (rather than try again).
    pub fn is_setup(&self) -> bool {
        matches!(self, ServeError::Setting(_) | ServeError::Store(_))
    }
}

/// The question log from `FACTDESK_DB`: a corrupt or too-new file or a bad setting stops
/// start-up with what to do; any other failure leaves the bot answering without a log.
pub fn open_store() -> Result<Option<Store>, ServeError> {
    let opened = StoreConfig::from_env().and_then(Store::open);
    match opened {
        Ok(store) => {
            tracing::info!(at = %store.location(), "question log open");
            Ok(Some(store))
        }
        Err(
            e @ (StoreError::Corrupt { .. }
            | StoreError::TooNew { .. }
            | StoreError::Setting { .. }),
        ) => Err(ServeError::Store(e)),
        Err(e) => {
            tracing::warn!(error = %e, "the question log is off: answering goes on without it");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_asks_for_few_permissions() {
        let url = invite_url(123);
        assert!(url.contains("client_id=123"));
        assert!(url.contains("scope=bot+applications.commands"));
        // VIEW_CHANNEL 1<<10, SEND_MESSAGES 1<<11, EMBED_LINKS 1<<14, READ_MESSAGE_HISTORY 1<<16,
        // USE_APPLICATION_COMMANDS 1<<31, SEND_MESSAGES_IN_THREADS 1<<38.
        let expected: u64 = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 31) | (1 << 38);
        assert_eq!(invite_permissions().bits(), expected);
        assert!(url.ends_with(&format!("permissions={expected}")));
    }

    #[test]
    fn tokens_are_redacted() {
        let s = redact("error sending request for url (http://x/api/v10/interactions/123/aW50ZXJhY3Rpb24.abc-_/callback)");
        assert!(!s.contains("aW50"), "{s}");
        assert!(s.contains("interactions/123/<token>/callback"));
        assert!(redact("webhooks/1/tok/messages/@original").contains("webhooks/1/<token>/messages"));
    }
}

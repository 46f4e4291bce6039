//! The bot under test: the real `factdesk::discord::run_with_store` against the fake
//! Discord, with helpers to send interactions and read what the bot answered.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use factdesk::desk::Desk;
use factdesk::discord::Settings;
use factdesk::knowledge::KnowledgeBase;
use factdesk::store::{Store, StoreConfig};
use serde_json::{json, Value};
use tokio::sync::oneshot;

use super::*;

#[path = "../util/mod.rs"]
mod util;
#[allow(unused_imports)]
pub use util::{copy_dir, knowledge_copy};

/// Every test finishes well inside this, or fails.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn within<F: Future<Output = ()>>(test: F) {
    tokio::time::timeout(TEST_TIMEOUT, test)
        .await
        .expect("test timed out");
}

pub fn knowledge() -> KnowledgeBase {
    KnowledgeBase::bundled().expect("the built-in knowledge base loads")
}

pub struct Bot {
    pub fake: FakeDiscord,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    pub user: String,
}

impl Bot {
    pub async fn start(tweak: impl FnOnce(&mut Settings)) -> Bot {
        Bot::start_with(knowledge(), tweak).await
    }

    pub async fn start_with(kb: KnowledgeBase, tweak: impl FnOnce(&mut Settings)) -> Bot {
        Bot::start_logged(kb, None, tweak).await
    }

    pub async fn start_logged(
        kb: KnowledgeBase,
        store: Option<Store>,
        tweak: impl FnOnce(&mut Settings),
    ) -> Bot {
        // RUST_LOG=debug shows the bot's logs in failing tests.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let fake = FakeDiscord::start().await;
        let mut settings = Settings::new("fake-token");
        settings.api_base = Some(fake.api_base());
        settings.guild_id = Some(GUILD_ID.parse().unwrap());
        settings.cooldown = Duration::ZERO;
        tweak(&mut settings);
        let desk = Arc::new(ArcSwap::from_pointee(Desk::new(kb)));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(factdesk::discord::run_with_store(
            settings,
            desk,
            store,
            async {
                let _ = stopped.await;
            },
        ));
        // Commands are registered in poise's setup, after READY: the bot is ready then.
        fake.wait_call(|c| c.method == "PUT" && c.path.ends_with("/commands"))
            .await;
        let user = fake.next_id();
        Bot {
            fake,
            stop: Some(stop),
            task,
            user,
        }
    }

    pub fn token(&self) -> String {
        format!("tok-{}", self.fake.next_id())
    }

    /// Sends an interaction built by `make(id, token)` and returns the callback body.
    pub async fn interact(&self, make: impl FnOnce(&str, &str) -> Value) -> Value {
        let (id, token) = (self.fake.next_id(), self.token());
        self.fake
            .dispatch("INTERACTION_CREATE", make(&id, &token))
            .await;
        self.fake.callback(&token).await.body
    }

    pub async fn ask(&self, question: &str) -> Value {
        self.ask_with(&self.user.clone(), &[("question", json!(question))])
            .await
    }

    pub async fn ask_with(&self, user: &str, options: &[(&str, Value)]) -> Value {
        self.interact(|id, tok| command(id, tok, user, "ask", options))
            .await
    }

    pub async fn complete(&self, command_name: &str, option: &str, partial: &str) -> Vec<Value> {
        let body = self
            .interact(|id, tok| autocomplete(id, tok, &self.user, command_name, option, partial))
            .await;
        assert_eq!(body["type"], 8, "autocomplete result: {body}");
        body["data"]["choices"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// A click by `user`; `permissions` replaces the member's (all by default).
    pub async fn click_as(
        &self,
        user: &str,
        permissions: Option<&str>,
        custom_id: &str,
        values: Option<&[&str]>,
    ) -> Value {
        self.interact(|id, tok| {
            let mut v = click(id, tok, user, custom_id, values);
            if let Some(p) = permissions {
                v["member"]["permissions"] = json!(p);
            }
            v
        })
        .await
    }

    /// Sends a form with `fields` and returns the callback body.
    pub async fn submit(&self, custom_id: &str, fields: &[(&str, &str)]) -> Value {
        self.interact(|id, tok| modal_submit(id, tok, &self.user, custom_id, fields))
            .await
    }

    /// Time from sending `/ask question` (as user 99) to the bot's reply arriving.
    pub async fn time_ask(&self, question: &str) -> Duration {
        let (id, tok) = (self.fake.next_id(), self.token());
        let sent = Instant::now();
        self.fake
            .dispatch(
                "INTERACTION_CREATE",
                command(&id, &tok, "99", "ask", &[("question", json!(question))]),
            )
            .await;
        let call = self.fake.callback(&tok).await;
        call.at.duration_since(sent)
    }

    pub async fn click(&self, custom_id: &str, values: Option<&[&str]>) -> Value {
        self.interact(|id, tok| click(id, tok, &self.user, custom_id, values))
            .await
    }

    /// Posts a MESSAGE_CREATE and returns the bot's message to that channel, if any within `wait`.
    pub async fn message(&self, message: Value, wait: Duration) -> Option<Value> {
        let id = message["id"].as_str().unwrap().to_string();
        let channel = message["channel_id"].as_str().unwrap().to_string();
        self.fake.dispatch("MESSAGE_CREATE", message).await;
        let path = format!("/api/v10/channels/{channel}/messages");
        let reply_to = |c: &Call| {
            c.method == "POST"
                && c.path == path
                && c.body["message_reference"]["message_id"].as_str() == Some(&id)
        };
        tokio::time::timeout(wait, self.fake.wait_call(reply_to))
            .await
            .ok()
            .map(|c| c.body)
    }

    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let done = tokio::time::timeout(Duration::from_secs(10), self.task).await;
        let result = done
            .expect("the bot shuts down cleanly")
            .expect("the bot task did not panic");
        result.expect("run returns Ok after shutdown");
    }
}

pub fn reader(id: &str) -> Value {
    user(id, "reader", false)
}

/// Nothing may ping: no parsed mention types, no listed users or roles, no reply ping.
pub fn assert_no_pings(allowed: &Value, context: &Value) {
    assert_eq!(allowed["parse"], json!([]), "allowed mentions in {context}");
    for list in ["users", "roles"] {
        assert!(
            allowed[list].is_null() || allowed[list] == json!([]),
            "{list} in {context}"
        );
    }
    assert_ne!(allowed["replied_user"], json!(true), "{context}");
}

pub fn no_pings(body: &Value) {
    assert_no_pings(&body["data"]["allowed_mentions"], body);
}

pub fn embed_text(body: &Value) -> String {
    body["data"]["embeds"].to_string()
}

pub fn buttons(data: &Value) -> Vec<String> {
    data["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["custom_id"].as_str().map(str::to_string))
        .collect()
}

pub const GOAL_Q: &str =
    "How many migrants does the Trump administration aim to deport in its first year?";

pub fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = StoreConfig::new(dir.path().join("factdesk.db"));
    config.hash_key = Some("test".into());
    let store = Store::open(config).expect("the store opens");
    (dir, store)
}

/// `/faq-admin <sub>` with options, from `user`; `permissions` replaces the member's.
pub fn admin_command(
    id: &str,
    token: &str,
    user: &str,
    sub: &str,
    options: &[(&str, Value)],
    permissions: Option<&str>,
) -> Value {
    let mut v = command(id, token, user, "faq-admin", &[]);
    let opts: Vec<Value> = options
        .iter()
        .map(|(n, val)| json!({"name": n, "type": 4, "value": val}))
        .collect();
    v["data"]["options"] = json!([{"name": sub, "type": 1, "options": opts}]);
    if let Some(p) = permissions {
        v["member"]["permissions"] = json!(p);
    }
    v
}

/// Waits until at least `records` records reached the store, then until they are written.
/// Questions are logged just after their reply is sent, so a test can see the reply first.
pub async fn settle(store: &Store, records: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let h = store.health();
        if h.written + h.backlog >= records {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {records} records arrived",
            h.written + h.backlog
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    store
        .flush(Duration::from_secs(10))
        .expect("the log is written");
}

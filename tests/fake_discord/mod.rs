//! A fake Discord on 127.0.0.1: REST (axum) and gateway (tokio-tungstenite), both on
//! OS-chosen ports. It records every REST request and pushes gateway dispatches to the
//! connected bot. Shapes follow /work/shared/notes/discord-testing.md.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::Message as WsMessage;

mod harness;
#[allow(unused_imports)] // not every test uses the harness
pub use harness::*;

pub const APP_ID: &str = "900000000000000001";
pub const BOT_ID: &str = "900000000000000001";
pub const GUILD_ID: &str = "800000000000000001";
pub const CHANNEL_ID: &str = "700000000000000001";
pub const DM_CHANNEL_ID: &str = "700000000000000099";

/// One REST request the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub body: Value,
    pub at: Instant,
}

#[derive(Default)]
struct State {
    calls: Mutex<Vec<Call>>,
    new_call: Notify,
    /// The live gateway connection, once it has identified.
    gateway: Mutex<Option<mpsc::UnboundedSender<String>>>,
    connected: Notify,
    identifies: AtomicU64,
    seq: AtomicU64,
    ids: AtomicU64,
    gateway_url: Mutex<String>,
}

pub struct FakeDiscord {
    state: Arc<State>,
    pub rest: SocketAddr,
    pub gateway: SocketAddr,
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let state = Arc::new(State {
            ids: AtomicU64::new(1_000_000),
            ..State::default()
        });
        let rest_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gw_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let rest = rest_listener.local_addr().unwrap();
        let gateway = gw_listener.local_addr().unwrap();
        *state.gateway_url.lock().unwrap() = format!("ws://{gateway}");

        let s = state.clone();
        let app = Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
            let s = s.clone();
            async move { rest_handler(s, method, uri, body) }
        });
        tokio::spawn(async move { axum::serve(rest_listener, app).await.unwrap() });

        let s = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = gw_listener.accept().await {
                tokio::spawn(gateway_connection(s.clone(), stream));
            }
        });
        FakeDiscord {
            state,
            rest,
            gateway,
        }
    }

    /// What `DISCORD_API_BASE` should be.
    pub fn api_base(&self) -> String {
        format!("http://{}", self.rest)
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.calls.lock().unwrap().clone()
    }

    pub fn identifies(&self) -> u64 {
        self.state.identifies.load(Ordering::SeqCst)
    }

    /// Waits for the first recorded call that `pred` accepts.
    pub async fn wait_call(&self, pred: impl Fn(&Call) -> bool) -> Call {
        loop {
            let notified = self.state.new_call.notified();
            // Search newest first without copying the whole log: the timing test makes thousands of calls.
            let found = self
                .state
                .calls
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|c| pred(c))
                .cloned();
            if let Some(c) = found {
                return c;
            }
            notified.await;
        }
    }

    /// True if a matching call arrives within `wait`.
    pub async fn sees_call_within(&self, wait: Duration, pred: impl Fn(&Call) -> bool) -> bool {
        tokio::time::timeout(wait, self.wait_call(pred))
            .await
            .is_ok()
    }

    /// The interaction callback for `token`.
    pub async fn callback(&self, token: &str) -> Call {
        let needle = format!("/{token}/callback");
        self.wait_call(|c| c.method == "POST" && c.path.ends_with(&needle))
            .await
    }

    async fn sender(&self) -> mpsc::UnboundedSender<String> {
        loop {
            let notified = self.state.connected.notified();
            if let Some(tx) = self.state.gateway.lock().unwrap().clone() {
                if !tx.is_closed() {
                    return tx;
                }
            }
            notified.await;
        }
    }

    /// Pushes a dispatch event (with its sequence number) to the bot.
    pub async fn dispatch(&self, event: &str, d: Value) {
        let s = self.state.seq.fetch_add(1, Ordering::SeqCst) + 2;
        self.send_raw(json!({"op": 0, "s": s, "t": event, "d": d}).to_string())
            .await;
    }

    /// Pushes any text frame, valid or not.
    pub async fn send_raw(&self, text: String) {
        let _ = self.sender().await.send(text);
    }

    pub fn next_id(&self) -> String {
        self.state.ids.fetch_add(1, Ordering::SeqCst).to_string()
    }
}

fn rest_handler(s: Arc<State>, method: Method, uri: Uri, body: Bytes) -> Response {
    let path = uri.path().to_string();
    let body_json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let response = match (method.as_str(), path.as_str()) {
        ("GET", "/api/v10/gateway") => json!({"url": *s.gateway_url.lock().unwrap()}).to_string().into_response(),
        ("GET", "/api/v10/gateway/bot") => json!({
            "url": *s.gateway_url.lock().unwrap(),
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        })
        .to_string()
        .into_response(),
        ("PUT", p) if p.ends_with("/commands") => "[]".into_response(),
        ("POST", p) if p.ends_with("/callback") => StatusCode::NO_CONTENT.into_response(),
        ("POST", p) if p.starts_with("/api/v10/channels/") && p.ends_with("/messages") => {
            let channel = p.trim_start_matches("/api/v10/channels/").trim_end_matches("/messages");
            let id = s.ids.fetch_add(1, Ordering::SeqCst).to_string();
            let mut m = message(&id, channel, bot_user(), body_json["content"].as_str().unwrap_or(""));
            m["embeds"] = json!([]);
            m.to_string().into_response()
        }
        (_, p) if p.starts_with("/api/v10/webhooks/") && p.contains("/messages/") => {
            let id = s.ids.fetch_add(1, Ordering::SeqCst).to_string();
            message(&id, CHANNEL_ID, bot_user(), "").to_string().into_response()
        }
        _ => (StatusCode::NOT_FOUND, json!({"message": "Unknown", "code": 0}).to_string()).into_response(),
    };
    let mut response = response;
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    s.calls.lock().unwrap().push(Call {
        method: method.to_string(),
        path,
        body: body_json,
        at: Instant::now(),
    });
    s.new_call.notify_waiters();
    response
}

async fn gateway_connection(s: Arc<State>, stream: tokio::net::TcpStream) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut write, mut read) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 41250}}).to_string();
    if write.send(WsMessage::text(hello)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            frame = read.next() => {
                let Some(Ok(frame)) = frame else { break };
                let Ok(text) = frame.to_text() else { continue };
                let Ok(v) = serde_json::from_str::<Value>(text) else { continue };
                match v["op"].as_u64() {
                    Some(1) => { let _ = write.send(WsMessage::text(json!({"op": 11}).to_string())).await; }
                    Some(2) => {
                        s.identifies.fetch_add(1, Ordering::SeqCst);
                        let ready = json!({"op": 0, "s": 1, "t": "READY", "d": {
                            "v": 10, "user": bot_user(), "guilds": [], "session_id": "fake-session",
                            "resume_gateway_url": *s.gateway_url.lock().unwrap(),
                            "application": {"id": APP_ID, "flags": 0},
                            "shard": [0, 1]
                        }});
                        if write.send(WsMessage::text(ready.to_string())).await.is_err() { break; }
                        *s.gateway.lock().unwrap() = Some(tx.clone());
                        s.connected.notify_waiters();
                    }
                    Some(6) => {
                        let n = s.seq.fetch_add(1, Ordering::SeqCst) + 2;
                        let resumed = json!({"op": 0, "s": n, "t": "RESUMED", "d": {}});
                        if write.send(WsMessage::text(resumed.to_string())).await.is_err() { break; }
                        *s.gateway.lock().unwrap() = Some(tx.clone());
                        s.connected.notify_waiters();
                    }
                    _ => {}
                }
            }
            out = rx.recv() => {
                let Some(text) = out else { break };
                if write.send(WsMessage::text(text)).await.is_err() { break; }
            }
        }
    }
}

pub fn user(id: &str, name: &str, bot: bool) -> Value {
    json!({"id": id, "username": name, "discriminator": "0", "global_name": name, "avatar": null, "bot": bot})
}

pub fn bot_user() -> Value {
    user(BOT_ID, "factdesk", true)
}

pub fn message(id: &str, channel: &str, author: Value, content: &str) -> Value {
    json!({
        "id": id, "channel_id": channel, "author": author, "content": content,
        "timestamp": "2025-01-01T00:00:00.000000+00:00", "edited_timestamp": null,
        "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
        "attachments": [], "embeds": [], "pinned": false, "type": 0, "flags": 0, "components": []
    })
}

fn member(user: Value) -> Value {
    json!({"user": user, "roles": [], "deaf": false, "mute": false, "flags": 0,
           "joined_at": "2024-01-01T00:00:00.000000+00:00", "permissions": "2147483647"})
}

/// The fields every interaction carries; in a guild unless `dm`.
fn interaction_base(id: &str, token: &str, kind: u8, user_id: &str, dm: bool) -> Value {
    let mut v = json!({
        "id": id, "application_id": APP_ID, "type": kind, "token": token, "version": 1,
        "locale": "en-US", "entitlements": [], "attachment_size_limit": 8388608,
    });
    let u = user(user_id, "reader", false);
    if dm {
        v["channel_id"] = json!(DM_CHANNEL_ID);
        v["user"] = u;
        v["app_permissions"] = json!("2147483647");
    } else {
        v["guild_id"] = json!(GUILD_ID);
        v["channel_id"] = json!(CHANNEL_ID);
        v["app_permissions"] = json!("2147483647");
        v["member"] = member(u);
        v["guild_locale"] = json!("en-US");
    }
    v
}

/// A slash command (type 2) with options `[(name, value)]`.
pub fn command(
    id: &str,
    token: &str,
    user_id: &str,
    name: &str,
    options: &[(&str, Value)],
) -> Value {
    let mut v = interaction_base(id, token, 2, user_id, false);
    let opts: Vec<Value> = options
        .iter()
        .map(|(n, val)| {
            let kind = match val {
                Value::Bool(_) => 5,
                Value::Number(_) => 4,
                _ => 3,
            };
            json!({"name": n, "type": kind, "value": val})
        })
        .collect();
    v["data"] = json!({"id": "600000000000000001", "name": name, "type": 1, "options": opts});
    v
}

/// An autocomplete request (type 4) with `focused` being typed.
pub fn autocomplete(
    id: &str,
    token: &str,
    user_id: &str,
    name: &str,
    focused: &str,
    partial: &str,
) -> Value {
    let mut v = interaction_base(id, token, 4, user_id, false);
    v["data"] = json!({"id": "600000000000000001", "name": name, "type": 1,
        "options": [{"name": focused, "type": 3, "value": partial, "focused": true}]});
    v
}

/// A button click (component type 2) or a string select (type 3) on a bot message.
pub fn click(
    id: &str,
    token: &str,
    user_id: &str,
    custom_id: &str,
    values: Option<&[&str]>,
) -> Value {
    let mut v = interaction_base(id, token, 3, user_id, false);
    v["message"] = message("500000000000000001", CHANNEL_ID, bot_user(), "");
    v["data"] = match values {
        None => json!({"custom_id": custom_id, "component_type": 2}),
        Some(values) => json!({"custom_id": custom_id, "component_type": 3, "values": values}),
    };
    v
}

/// A submitted form (interaction type 5): one text input per row.
pub fn modal_submit(
    id: &str,
    token: &str,
    user_id: &str,
    custom_id: &str,
    fields: &[(&str, &str)],
) -> Value {
    let mut v = interaction_base(id, token, 5, user_id, false);
    let rows: Vec<Value> = fields
        .iter()
        .map(|(name, value)| {
            json!({"type": 1, "components": [{"type": 4, "custom_id": name, "value": value}]})
        })
        .collect();
    v["data"] = json!({"custom_id": custom_id, "components": rows});
    v
}

/// A MESSAGE_CREATE payload; `guild` false makes it a DM.
pub fn channel_message(
    id: &str,
    channel: &str,
    author: Value,
    content: &str,
    guild: bool,
    mentions: Vec<Value>,
) -> Value {
    let mut m = message(id, channel, author, content);
    m["mentions"] = json!(mentions);
    if guild {
        m["guild_id"] = json!(GUILD_ID);
    }
    m
}

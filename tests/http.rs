//! The HTTP interactions endpoint, over real HTTP on 127.0.0.1: signatures, limits,
//! commands rendered by the Discord layer, health and metrics, and replicas sharing a
//! PostgreSQL store.

mod fake_discord;
mod pg;
mod signing;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use ed25519_dalek::{Signer, SigningKey};
use factdesk::curation::Views as _;
use factdesk::desk::Desk;
use factdesk::discord::http::{App, HttpSettings};
use factdesk::discord::Settings;
use factdesk::knowledge::KnowledgeBase;
use factdesk::store::{Reader, Store, StoreConfig};
use serde_json::{json, Value};
use signing::hex;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// One replica on 127.0.0.1, stopped (gracefully) when dropped.
struct Replica {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Replica {
    async fn start(store: Option<Store>, cooldown: Duration) -> Replica {
        let mut settings = Settings::new("test-token");
        settings.cooldown = cooldown;
        settings.api_base = Some("http://127.0.0.1:9".into());
        let http = HttpSettings {
            addr: "127.0.0.1:0".parse().unwrap(),
            public_key: hex(key().verifying_key().as_bytes()),
            application_id: Some(1),
            register: false,
        };
        let desk = Arc::new(ArcSwap::from_pointee(Desk::new(
            KnowledgeBase::bundled().unwrap(),
        )));
        let app = Arc::new(App::new(&settings, &http, desk, store).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(factdesk::discord::http::run(
            listener,
            Arc::clone(&app),
            async {
                let _ = stopped.await;
            },
        ));
        let task = tokio::spawn(async move {
            task.await.unwrap().unwrap();
        });
        Replica {
            base,
            stop: Some(stop),
            task: Some(task),
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// POSTs `body` signed by `signer` at `ts` (or unsigned); the status and the body.
async fn post(base: &str, body: &[u8], signer: Option<(&SigningKey, i64)>) -> (u16, String) {
    let mut req = client()
        .post(format!("{base}/interactions"))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some((k, ts)) = signer {
        let ts = ts.to_string();
        let mut message = ts.as_bytes().to_vec();
        message.extend_from_slice(body);
        req = req
            .header("x-signature-ed25519", hex(&k.sign(&message).to_bytes()))
            .header("x-signature-timestamp", ts);
    }
    let res = req.send().await.expect("the replica answers");
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn signed(base: &str, v: &Value) -> Value {
    let (status, body) = post(base, v.to_string().as_bytes(), Some((&key(), now()))).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn ask(id: u64, user: u64, question: &str) -> Value {
    fake_discord::command(
        &id.to_string(),
        &format!("token-{id}"),
        &user.to_string(),
        "ask",
        &[("question", json!(question))],
    )
}

fn answerable() -> String {
    let kb = KnowledgeBase::bundled().unwrap();
    kb.entries
        .iter()
        .find(|e| !e.is_gap())
        .unwrap()
        .question
        .clone()
}

#[tokio::test]
async fn only_signed_well_formed_interactions_are_acted_on() {
    let r = Replica::start(None, Duration::ZERO).await;
    let ping = br#"{"type":1,"id":"1","application_id":"1","token":"t","version":1}"#;
    let (status, _) = post(&r.base, ping, None).await;
    assert_eq!(status, 401, "unsigned");
    let (status, _) = post(
        &r.base,
        ping,
        Some((&SigningKey::from_bytes(&[1; 32]), now())),
    )
    .await;
    assert_eq!(status, 401, "wrong key");
    // Signed, then changed on the way.
    let ts = now().to_string();
    let mut message = ts.as_bytes().to_vec();
    message.extend_from_slice(ping);
    let sig = hex(&key().sign(&message).to_bytes());
    let tampered = br#"{"type":2,"id":"1","application_id":"1","token":"t","version":1}"#;
    let res = client()
        .post(format!("{}/interactions", r.base))
        .header("x-signature-ed25519", &sig)
        .header("x-signature-timestamp", &ts)
        .body(tampered.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401, "tampered body");
    let (status, _) = post(&r.base, ping, Some((&key(), now() - 301))).await;
    assert_eq!(status, 401, "stale timestamp (a replay)");

    let (status, body) = post(&r.base, ping, Some((&key(), now()))).await;
    assert_eq!((status, body.as_str()), (200, r#"{"type":1,"data":null}"#));

    let big = vec![b' '; 70 * 1024];
    let (status, _) = post(&r.base, &big, Some((&key(), now()))).await;
    assert_eq!(status, 413, "over 64 KiB");
    let (status, _) = post(&r.base, b"{not json", Some((&key(), now()))).await;
    assert_eq!(status, 400, "malformed JSON");
    let (status, _) = post(&r.base, br#"{"type":99,"id":"1"}"#, Some((&key(), now()))).await;
    assert_eq!(status, 400, "unknown interaction type");
    // Still serving after all that.
    let (status, _) = post(&r.base, ping, Some((&key(), now()))).await;
    assert_eq!(status, 200);

    let metrics = client()
        .get(format!("{}/metrics", r.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("factdesk_refused_total{reason=\"signature\"} 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains("factdesk_refused_total{reason=\"input\"} 2"),
        "{metrics}"
    );
    let health = client()
        .get(format!("{}/healthz", r.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    r.stop().await;
}

#[tokio::test]
async fn commands_autocomplete_and_buttons_render_like_the_gateway_bot() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig::new(dir.path().join("f.db"))).unwrap();
    let r = Replica::start(Some(store.clone()), Duration::ZERO).await;
    let question = answerable();
    let res = signed(&r.base, &ask(1, 5, &question)).await;
    assert_eq!(res["type"], 4, "{res}");
    // No pings: nothing may be parsed for mentions, no user or role listed.
    let allowed = &res["data"]["allowed_mentions"];
    assert_eq!(allowed["parse"], json!([]), "{res}");
    for list in ["users", "roles"] {
        assert!(
            allowed[list].is_null() || allowed[list] == json!([]),
            "{res}"
        );
    }
    let text = fake_discord::embed_text(&res["data"]);
    let desk = Desk::new(KnowledgeBase::bundled().unwrap());
    let reply = desk.ask(&question, None).unwrap();
    let expected = factdesk::discord::render::reply(&reply).to_json();
    assert_eq!(
        res["data"]["embeds"], expected["embeds"],
        "the gateway's rendering"
    );
    assert!(!text.is_empty());
    let buttons = fake_discord::buttons(&res["data"]);
    assert!(
        buttons.iter().any(|b| b.starts_with("fd:vote:up:")),
        "{buttons:?}"
    );

    let res = signed(
        &r.base,
        &fake_discord::autocomplete("2", "t2", "5", "ask", "question", "deprot"),
    )
    .await;
    assert_eq!(res["type"], 8);
    assert!(
        !res["data"]["choices"].as_array().unwrap().is_empty(),
        "{res}"
    );

    let res = signed(
        &r.base,
        &fake_discord::command("3", "t3", "5", "topics", &[]),
    )
    .await;
    assert_eq!(res["type"], 4);
    assert_eq!(res["data"]["flags"], 64, "private");

    // Commands are found in poise's table, their options held to poise's definitions.
    let long = signed(&r.base, &ask(6, 5, &"why ".repeat(300))).await;
    assert_eq!(long["data"]["flags"], 64, "{long}");
    assert_eq!(
        long["data"]["content"],
        "`question` must be at most 1000 characters."
    );
    let unknown = fake_discord::command("7", "t7", "5", "weather", &[]);
    let unknown = signed(&r.base, &unknown).await;
    let text = unknown["data"]["content"].as_str().unwrap_or_default();
    assert!(text.contains("not one of my commands"), "{unknown}");

    let up = buttons
        .iter()
        .find(|b| b.starts_with("fd:vote:up:"))
        .unwrap();
    let click = fake_discord::click("4", "t4", "5", up, None);
    let res = signed(&r.base, &click).await;
    assert_eq!(res["type"], 4, "{res}");
    store.flush(Duration::from_secs(10)).unwrap();
    let stats = Reader::open(dir.path().join("f.db"))
        .unwrap()
        .stats(desk.matcher(), 1)
        .unwrap();
    assert_eq!((stats.questions, stats.answered), (1, 1));
    assert_eq!(stats.votes.iter().map(|v| v.up).sum::<u64>(), 1);
    r.stop().await;
}

fn content(v: &Value) -> &str {
    v["data"]["content"].as_str().unwrap_or("")
}

/// `/faq-admin` and the cluster buttons, menus and forms over HTTP: the gateway bot's own
/// replies (same functions), moderators only, and refused drafts kept in the store.
#[tokio::test(flavor = "multi_thread")]
async fn faq_admin_and_curation_answer_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig::new(dir.path().join("f.db"))).unwrap();
    let r = Replica::start(Some(store.clone()), Duration::ZERO).await;
    let admin = |id: u64, sub: &str, options: &[(&str, Value)], permissions: Option<&str>| {
        fake_discord::admin_command(
            &id.to_string(),
            &format!("t{id}"),
            "5",
            sub,
            options,
            permissions,
        )
    };
    let refused = signed(&r.base, &admin(1, "stats", &[], Some("0"))).await;
    assert!(
        content(&refused).starts_with("Only moderators"),
        "{refused}"
    );
    assert_eq!(refused["data"]["flags"], 64);

    for (n, user) in [(2, 61), (3, 62)] {
        signed(
            &r.base,
            &ask(n, user, "what is the weather on mars tomorrow"),
        )
        .await;
    }
    store.flush(Duration::from_secs(10)).unwrap();
    let stats = signed(&r.base, &admin(4, "stats", &[("days", json!(1))], None)).await;
    let text = content(&stats);
    assert!(
        text.starts_with("**Last 1 day(s)**: 2 question(s) from 2 people"),
        "{stats}"
    );
    assert!(text.contains("weather on mars"), "{stats}");
    assert_eq!(stats["data"]["flags"], 64, "private");

    let list = signed(&r.base, &admin(5, "unanswered", &[], None)).await;
    assert!(
        content(&list).contains("1 cluster(s), page 1 of 1"),
        "{list}"
    );
    let ids = fake_discord::buttons(&list["data"]);
    let find = |prefix: &str| ids.iter().find(|b| b.starts_with(prefix)).unwrap().clone();
    let (add, draft, dismiss) = (
        find("fd:cl:add:"),
        find("fd:cl:draft:"),
        find("fd:cl:dismiss:"),
    );

    // Buttons and menus: moderators only.
    let click = |id: u64, custom: &str, values: Option<&[&str]>, permissions: Option<&str>| {
        let mut v = fake_discord::click(&id.to_string(), &format!("t{id}"), "5", custom, values);
        if let Some(p) = permissions {
            v["member"]["permissions"] = json!(p);
        }
        v
    };
    let res = signed(&r.base, &click(6, &add, None, Some("0"))).await;
    assert!(content(&res).starts_with("Only moderators"), "{res}");
    let menu = signed(&r.base, &click(7, &add, None, None)).await;
    let pick = menu["data"]["components"][0]["components"][0]["custom_id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = signed(&r.base, &click(8, &pick, Some(&["goal-one-million"]), None)).await;
    assert!(content(&res).contains("built-in knowledge base"), "{res}");

    // The form opens; a refused draft is kept in the store.
    let form = signed(&r.base, &click(9, &draft, None, None)).await;
    assert_eq!(form["type"], 9, "a form: {form}");
    let submit = form["data"]["custom_id"].as_str().unwrap().to_string();
    let fields = [
        ("question", "What will the weather be on Mars?"),
        ("variants", "mars weather"),
        ("answer", "The report does not say."),
        ("paragraph", "1"),
        ("quote", "nothing like this"),
    ];
    let sent = signed(
        &r.base,
        &fake_discord::modal_submit("10", "t10", "5", &submit, &fields),
    )
    .await;
    assert!(
        content(&sent).starts_with("The entry was not added"),
        "{sent}"
    );
    let cluster = draft.trim_start_matches("fd:cl:draft:");
    let kept = store
        .kept_draft(5, cluster)
        .unwrap()
        .expect("the draft is kept");
    assert_eq!(kept.question, "What will the weather be on Mars?");
    let again = signed(&r.base, &click(11, &draft, None, None)).await;
    assert!(
        again.to_string().contains("nothing like this"),
        "reopened as typed: {again}"
    );

    let res = signed(&r.base, &click(12, &dismiss, None, None)).await;
    assert!(content(&res).starts_with("Dismissed"), "{res}");
    store.flush(Duration::from_secs(10)).unwrap();
    let list = signed(&r.base, &admin(13, "unanswered", &[], None)).await;
    assert!(content(&list).contains("0 cluster(s)"), "{list}");

    let reload = signed(&r.base, &admin(14, "reload", &[], None)).await;
    assert!(
        content(&reload).contains("built-in knowledge base"),
        "{reload}"
    );
    let coverage = signed(&r.base, &admin(15, "coverage", &[], None)).await;
    assert!(!content(&coverage).is_empty(), "{coverage}");
    r.stop().await;
}

/// Opening a store and reading it block (like SQLite file access): done outside the runtime.
#[test]
fn replicas_share_cooldowns_and_the_question_log_on_postgres() {
    let Some(db) = pg::TestDb::create() else {
        return;
    };
    let open = || {
        Store::open(StoreConfig {
            database_url: Some(db.url.clone()),
            ..StoreConfig::new("unused.db")
        })
        .unwrap()
    };
    let (sa, sb) = (open(), open());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(replicas(&sa, &sb));
    sa.flush(Duration::from_secs(10)).unwrap();
    sb.flush(Duration::from_secs(10)).unwrap();
    let desk = Desk::new(KnowledgeBase::bundled().unwrap());
    let stats = Reader::open_url(&db.url)
        .unwrap()
        .stats(desk.matcher(), 1)
        .unwrap();
    assert_eq!(
        stats.questions, 1001,
        "every question from both replicas, once"
    );
}

async fn replicas(sa: &Store, sb: &Store) {
    let a = Replica::start(Some(sa.clone()), Duration::from_secs(60)).await;
    let b = Replica::start(Some(sb.clone()), Duration::from_secs(60)).await;
    let question = answerable();
    let first = signed(&a.base, &ask(1, 7, &question)).await;
    assert!(!first["data"]["embeds"].as_array().unwrap().is_empty());
    let second = signed(&b.base, &ask(2, 7, "how many people")).await;
    let note = second["data"]["content"].as_str().unwrap_or("");
    assert!(
        note.contains("wait") || note.contains("again"),
        "cooldown met on the other replica: {second}"
    );

    // 1,000 signed questions from different people, spread over both replicas.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..1000u64 {
        let base = if i % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        tasks.push(tokio::spawn(async move {
            let v = ask(
                10 + i,
                1000 + i,
                &format!("question number {i} about deportations"),
            );
            signed(&base, &v).await
        }));
        if tasks.len() >= 50 {
            for t in tasks.drain(..) {
                t.await.unwrap();
            }
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    eprintln!(
        "1,000 questions over two replicas in {:?}",
        started.elapsed()
    );
    a.stop().await;
    b.stop().await;
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// Measurement: signed `/ask` at 1,000 a second for 5 s against one replica (the client
/// in the same process, on loopback), p50/p99 from request to response.
/// `cargo test --release --test http -- --ignored --nocapture http_latency`
#[test]
#[ignore]
fn http_latency_at_1000_signed_asks_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(StoreConfig::new(dir.path().join("f.db"))).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let questions = [
        answerable(),
        "how many people will be deported".to_string(),
        "what does the plan cost".to_string(),
        "who is stephen miller".to_string(),
    ];
    let mut took = rt.block_on(async {
        let r = Replica::start(Some(store.clone()), Duration::ZERO).await;
        let http = client();
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        let mut tasks = Vec::with_capacity(5000);
        for i in 0..5000u64 {
            tick.tick().await;
            let body = ask(i + 1, 10_000 + i, &questions[i as usize % 4]).to_string();
            let ts = now().to_string();
            let mut message = ts.as_bytes().to_vec();
            message.extend_from_slice(body.as_bytes());
            let sig = hex(&key().sign(&message).to_bytes());
            let req = http
                .post(format!("{}/interactions", r.base))
                .header("x-signature-ed25519", sig)
                .header("x-signature-timestamp", ts)
                .body(body);
            tasks.push(tokio::spawn(async move {
                let start = Instant::now();
                let res = req.send().await.unwrap();
                assert_eq!(res.status().as_u16(), 200);
                res.bytes().await.unwrap();
                start.elapsed()
            }));
        }
        let mut took = Vec::new();
        for t in tasks {
            took.push(t.await.unwrap());
        }
        r.stop().await;
        took
    });
    took.sort();
    eprintln!(
        "HTTP /ask at 1,000/s, {} requests: p50 {:?}, p99 {:?}, max {:?}",
        took.len(),
        percentile(&took, 0.50),
        percentile(&took, 0.99),
        took.last().unwrap()
    );
    store.flush(Duration::from_secs(10)).unwrap();
}

/// Measurement: questions committed to PostgreSQL a second, batched by the writer.
/// `cargo test --release --test http -- --ignored --nocapture postgres_logging`
#[test]
#[ignore]
fn postgres_logging_throughput() {
    let Some(db) = pg::TestDb::create() else {
        return;
    };
    let store = Store::open(StoreConfig {
        database_url: Some(db.url.clone()),
        queue: 200_000,
        ..StoreConfig::new("unused.db")
    })
    .unwrap();
    let desk = Desk::new(KnowledgeBase::bundled().unwrap());
    let reply = desk.ask(&answerable(), None).unwrap();
    let n = 100_000u64;
    let start = Instant::now();
    for i in 0..n {
        let log = factdesk::store::QuestionLog::from_reply(&reply, Duration::from_micros(20))
            .asked_by(Some(1), Some(2), Some(i));
        assert!(store.log_question(log).ack.is_some());
    }
    store.flush(Duration::from_secs(120)).unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(db.count("SELECT count(*) FROM questions"), n as i64);
    eprintln!(
        "PostgreSQL: {n} questions committed in {secs:.2} s = {:.0} a second",
        n as f64 / secs
    );
}

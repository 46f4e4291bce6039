//! End to end with real processes: the built `factdesk` binary as two HTTP replicas
//! (`serve --http`) and one gateway bot (`serve`), all against the fake Discord and one
//! PostgreSQL database, read back with `factdesk stats`.
//!
//! The client plays Discord and the load balancer: it signs every interaction, spreads
//! them over the replicas, and sends a request whose connection fails to the other
//! replica. Each question is asked in its own channel, so the questions table says exactly
//! which answered questions reached the shared log.

mod fake_discord;
mod pg;
mod signing;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use fake_discord::{FakeDiscord, APP_ID, GUILD_ID};
use futures_util::StreamExt;
use serde_json::{json, Value};
use signing::{hex, signed_request};

const BIN: &str = env!("CARGO_BIN_EXE_factdesk");
/// Every wait on the fake Discord ends inside this or fails.
const WAIT: Duration = Duration::from_secs(20);
/// Channels of the load phases start here (one channel per question).
const LOAD_CHANNEL: u64 = 710_000_000_000_000_000;
const KILL_CHANNEL: u64 = 720_000_000_000_000_000;

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// One `factdesk` process; killed (SIGKILL) and reaped when dropped.
struct Proc {
    name: &'static str,
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Proc {
    fn spawn(
        name: &'static str,
        args: &[&str],
        env: &[(&str, String)],
        cwd: &std::path::Path,
    ) -> Proc {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .current_dir(cwd)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for var in [
            "FACTDESK_DB",
            "FACTDESK_KNOWLEDGE",
            "FACTDESK_HTTP_ADDR",
            "FACTDESK_METRICS_ADDR",
            "FACTDESK_SHARDS",
            "FACTDESK_HASH_KEY",
        ] {
            cmd.env_remove(var);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        // The process dies with the test, even when the test is killed.
        // SAFETY: prctl(2) only, between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("the factdesk binary starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        // Drains stderr for as long as the process lives (a full pipe would stall it).
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[{name}] {line}");
                let _ = tx.send(line);
            }
        });
        Proc { name, child, lines }
    }

    /// Waits for a stderr line containing `needle` and returns it.
    fn wait_line(&self, needle: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!("{} never printed `{needle}`", self.name),
            }
        }
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on the id of a child this test started and has not reaped.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(rc, 0, "signal {signal} to {}", self.name);
    }

    /// SIGTERM, then waits for a clean exit.
    fn terminate(mut self) {
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{} exited with {status}", self.name);
                return;
            }
            assert!(Instant::now() < deadline, "{} ignores SIGTERM", self.name);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP replica on an OS-chosen port; returns it with its base URL.
fn replica(name: &'static str, env: &[(&str, String)], cwd: &std::path::Path) -> (Proc, String) {
    let p = Proc::spawn(name, &["serve", "--http", "127.0.0.1:0"], env, cwd);
    let line = p.wait_line("serves Discord interactions at ", Duration::from_secs(30));
    let url = signing::base_url(&line);
    (p, url)
}

/// Where a question was answered, and when the answer arrived.
struct Answered {
    replica: usize,
    at: Instant,
    /// Connections that failed first (each retried on the other replica).
    retries: u32,
    /// The reply says the question was already taken: a cooldown note, or a pointer to
    /// an answer given before (the answered-above memory). Neither is logged.
    taken: bool,
}

/// Sends to `bases[first]`; a failed connection goes to the next replica, as a load
/// balancer does. `None` when no replica answered.
async fn send(
    client: &reqwest::Client,
    bases: &[String],
    first: usize,
    body: &Value,
) -> Option<(Answered, Value)> {
    let mut retries = 0;
    for n in 0..bases.len() * 2 {
        let r = (first + n) % bases.len();
        match signed_request(client, &bases[r], &key(), body).send().await {
            Ok(res) => {
                assert_eq!(res.status(), 200, "replica {r}");
                let v: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
                return Some((
                    Answered {
                        replica: r,
                        at: Instant::now(),
                        retries,
                        taken: is_cooldown(&v)
                            || content(&v).starts_with("That was just answered here"),
                    },
                    v,
                ));
            }
            Err(_) => retries += 1,
        }
    }
    None
}

fn ask(id: u64, user: u64, channel: u64, question: &str) -> Value {
    let mut v = fake_discord::command(
        &id.to_string(),
        &format!("token-{id}"),
        &user.to_string(),
        "ask",
        &[("question", json!(question))],
    );
    v["channel_id"] = json!(channel.to_string());
    v
}

fn content(v: &Value) -> String {
    v["data"]["content"].as_str().unwrap_or("").to_string()
}

fn is_cooldown(v: &Value) -> bool {
    content(v).contains("you can ask again")
}

/// `factdesk stats --json` against the database: the number of questions logged.
fn stats_questions(url: &str, cwd: &std::path::Path) -> u64 {
    let out = Command::new(BIN)
        .args(["stats", "--json", "--days", "1", "--database-url", url])
        .current_dir(cwd)
        .env_remove("FACTDESK_DB")
        .output()
        .expect("factdesk stats runs");
    assert!(
        out.status.success(),
        "factdesk stats: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("stats as JSON");
    v["questions"].as_u64().expect("a question count")
}

/// Polls `stats` until it reports `want` questions (writers commit within tens of ms).
fn stats_reaches(url: &str, cwd: &std::path::Path, want: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = stats_questions(url, cwd);
        if n >= want || Instant::now() > deadline {
            return n;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Channels (one per question) of the logged questions in `[from, from + 10^15)`.
fn logged_channels(db: &pg::TestDb, from: u64) -> BTreeSet<u64> {
    let list = pg::scalar(
        &db.url,
        &format!(
            "SELECT coalesce(string_agg(DISTINCT channel::text, ','), '') FROM questions \
             WHERE channel >= {from} AND channel < {}",
            from + 1_000_000_000_000_000
        ),
    )
    .unwrap_or_default();
    list.split(',').filter_map(|s| s.parse().ok()).collect()
}

#[test]
fn replicas_and_gateway_processes_share_one_postgres() {
    let Some(db) = pg::TestDb::create() else {
        return;
    };
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fake = rt.block_on(FakeDiscord::start());
    // A working directory without a .env or ./knowledge: the built-in knowledge base.
    let cwd = tempfile::tempdir().unwrap();
    let env = vec![
        ("DISCORD_TOKEN", "fake-token".to_string()),
        ("DISCORD_API_BASE", fake.api_base()),
        ("DISCORD_GUILD_ID", GUILD_ID.to_string()),
        ("DISCORD_APPLICATION_ID", APP_ID.to_string()),
        ("DISCORD_PUBLIC_KEY", hex(key().verifying_key().as_bytes())),
        ("FACTDESK_DATABASE_URL", db.url.clone()),
        ("FACTDESK_COOLDOWN_SECS", "60".to_string()),
        ("FACTDESK_REGISTER", "0".to_string()),
    ];
    let gateway = Proc::spawn("gateway", &["serve"], &env, cwd.path());
    let (a, base_a) = replica("replica-a", &env, cwd.path());
    let (b, base_b) = replica("replica-b", &env, cwd.path());
    rt.block_on(async {
        tokio::time::timeout(
            WAIT,
            fake.wait_call(|c| c.method == "PUT" && c.path.ends_with("/commands")),
        )
        .await
        .expect("the gateway bot connects and registers its commands");
    });
    eprintln!("three processes up in {:?}", started.elapsed());
    let bases = vec![base_a.clone(), base_b.clone()];
    let client = reqwest::Client::new();
    let question =
        "How many migrants does the Trump administration aim to deport in its first year?";

    // 1. One person: replica A answers, then replica B and the gateway bot hold the cooldown.
    rt.block_on(async {
        let (_, first) = send(
            &client,
            &bases,
            0,
            &ask(1, 5001, 700_000_000_000_000_001, question),
        )
        .await
        .unwrap();
        assert!(!is_cooldown(&first), "first question answered: {first}");
        assert!(
            !first["data"]["embeds"].as_array().unwrap().is_empty(),
            "{first}"
        );
        let (_, second) = send(
            &client,
            &bases,
            1,
            &ask(2, 5001, 700_000_000_000_000_002, "who leads ICE"),
        )
        .await
        .unwrap();
        assert!(is_cooldown(&second), "cooldown met on replica B: {second}");
        let token = "tok-gateway-1";
        let mut v = ask(3, 5001, 700_000_000_000_000_003, "who leads ICE");
        v["token"] = json!(token);
        fake.dispatch("INTERACTION_CREATE", v).await;
        let reply = tokio::time::timeout(WAIT, fake.callback(token))
            .await
            .expect("the gateway bot replies")
            .body;
        assert!(
            is_cooldown(&reply),
            "cooldown met on the gateway bot: {reply}"
        );
        // And the other way: someone answered by the gateway bot waits on a replica.
        let token = "tok-gateway-2";
        let mut v = ask(4, 5002, 700_000_000_000_000_004, question);
        v["token"] = json!(token);
        fake.dispatch("INTERACTION_CREATE", v).await;
        let reply = tokio::time::timeout(WAIT, fake.callback(token))
            .await
            .expect("the gateway bot replies")
            .body;
        assert!(!is_cooldown(&reply), "answered by the gateway bot: {reply}");
        let (_, on_a) = send(
            &client,
            &bases,
            0,
            &ask(5, 5002, 700_000_000_000_000_005, question),
        )
        .await
        .unwrap();
        assert!(
            is_cooldown(&on_a),
            "the gateway's cooldown met on replica A: {on_a}"
        );
    });
    assert_eq!(
        stats_reaches(&db.url, cwd.path(), 2),
        2,
        "only the two answered questions are logged"
    );

    // 2. 1,000 signed questions from different people, spread over both replicas.
    let load_started = Instant::now();
    let answered = rt.block_on(async {
        futures_util::stream::iter(0..1000u64)
            .map(|i| {
                let (client, bases) = (&client, &bases);
                async move {
                    let v = ask(
                        1000 + i,
                        10_000 + i,
                        LOAD_CHANNEL + i,
                        &format!("question {i} about deportations"),
                    );
                    send(client, bases, (i % 2) as usize, &v)
                        .await
                        .map(|(a, _)| a)
                }
            })
            .buffer_unordered(16)
            .filter_map(|a| async move { a })
            .collect::<Vec<_>>()
            .await
    });
    assert_eq!(answered.len(), 1000);
    let per_replica = answered.iter().filter(|a| a.replica == 0).count();
    assert!(
        (400..=600).contains(&per_replica),
        "spread: {per_replica} on A"
    );
    eprintln!(
        "1,000 questions over two replica processes in {:?}",
        load_started.elapsed()
    );
    assert_eq!(
        stats_reaches(&db.url, cwd.path(), 1002),
        1002,
        "factdesk stats sees every question from both replicas, once"
    );
    assert_eq!(logged_channels(&db, LOAD_CHANNEL).len(), 1000);

    // 3. SIGKILL replica A mid-load; refused connections go to B.
    const N: u64 = 1000;
    // Killed once it has answered this many of them: well inside the load.
    const KILL_AT: usize = 150;
    let on_a = std::sync::atomic::AtomicUsize::new(0);
    let load_started = Instant::now();
    let (answered, killed_at) = rt.block_on(async {
        let load = futures_util::stream::iter(0..N)
            .map(|i| {
                let (client, bases, on_a) = (&client, &bases, &on_a);
                async move {
                    let v = ask(
                        100_000 + i,
                        100_000 + i,
                        KILL_CHANNEL + i,
                        &format!("question {i} about the border"),
                    );
                    let answered = send(client, bases, (i % 2) as usize, &v)
                        .await
                        .map(|(a, _)| a);
                    if matches!(&answered, Some(a) if a.replica == 0) {
                        on_a.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    (i, answered)
                }
            })
            .buffer_unordered(16)
            .collect::<Vec<_>>();
        let killer = async {
            while on_a.load(std::sync::atomic::Ordering::Relaxed) < KILL_AT {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            a.signal(libc::SIGKILL);
            eprintln!("replica A killed");
            Instant::now()
        };
        let (results, killed_at) = tokio::join!(load, killer);
        let answered: BTreeMap<u64, Answered> = results
            .into_iter()
            .filter_map(|(i, a)| a.map(|a| (i, a)))
            .collect();
        (answered, killed_at)
    });
    let took = load_started.elapsed();
    eprintln!("load under the kill done in {took:?}");
    drop(a);
    let on_a_before_kill = answered.values().filter(|x| x.replica == 0).count();
    let retried = answered.values().filter(|x| x.retries > 0).count();
    assert!(
        on_a_before_kill >= KILL_AT,
        "the kill came mid-load: A answered {on_a_before_kill}"
    );
    assert!(
        answered
            .values()
            .any(|x| x.replica == 1 && x.at > killed_at + Duration::from_millis(100)),
        "B kept answering after the kill"
    );
    assert!(
        retried > 0,
        "some connections to the killed replica were retried on B"
    );
    // B flushes its log on SIGTERM; the gateway bot too.
    b.terminate();
    gateway.terminate();

    let logged = logged_channels(&db, KILL_CHANNEL);
    let lost: Vec<(&u64, &Answered)> = answered
        .iter()
        .filter(|(i, _)| !logged.contains(&(KILL_CHANNEL + **i)))
        .collect();
    let kept = answered.len() - lost.len();
    let share = kept as f64 / answered.len() as f64;
    let newest_loss = lost
        .iter()
        .map(|(_, x)| killed_at.saturating_duration_since(x.at))
        .max()
        .unwrap_or_default();
    eprintln!(
        "kill: {} of {N} answered in {took:?} ({on_a_before_kill} by A before its SIGKILL, {retried} retried on B); \
         {kept} in the log ({:.2} %), {} lost: {} answered by A at most {newest_loss:?} before the kill, {} taken by A as it was \
         killed (its reply lost; B's retry met A's cooldown or answer)",
        answered.len(),
        share * 100.0,
        lost.len(),
        lost.iter().filter(|(_, x)| x.replica == 0).count(),
        lost.iter().filter(|(_, x)| x.replica == 1).count(),
    );
    assert_eq!(
        answered.len() as u64,
        N,
        "every question answered by one replica or the other"
    );
    assert!(
        share >= 0.98,
        "at least 98 % of the answered questions are logged"
    );
    // B logs what it answers. Its only unlogged replies are to questions A took (cooldown
    // and answered-above are written to the shared store as A answers) just before the
    // kill, whose reply never reached the client: A's unflushed batch again.
    for (i, x) in &lost {
        assert!(
            x.replica == 0 || (x.taken && x.retries > 0),
            "question {i} lost though B answered it"
        );
    }
    // The killed replica's unflushed batch: what it answered in the writer's last moments.
    assert!(
        newest_loss <= Duration::from_millis(500),
        "lost questions were answered {newest_loss:?} before the kill"
    );
    let rows = db.count(&format!(
        "SELECT count(*) FROM questions WHERE channel >= {KILL_CHANNEL}"
    )) as u64;
    if rows > logged.len() as u64 {
        eprintln!(
            "{} questions logged twice: committed by A, whose reply never arrived, then answered by B",
            rows - logged.len() as u64
        );
    }
    assert_eq!(
        stats_questions(&db.url, cwd.path()),
        1002 + rows,
        "factdesk stats counts every logged row"
    );
    eprintln!("whole test {:?}", started.elapsed());
}

/// The value of the metric line starting with `series ` in `/metrics` at `base`.
async fn metric(client: &reqwest::Client, base: &str, series: &str) -> f64 {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("/metrics answers")
        .text()
        .await
        .unwrap();
    let prefix = format!("{series} ");
    text.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("{series} in\n{text}"))
        .parse()
        .unwrap()
}

/// Polls `series` at `base` until it is `want` (a reload needs two looks at the folder).
async fn metric_reaches(client: &reqwest::Client, base: &str, series: &str, want: f64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = metric(client, base, series).await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{series} at {base}: {got}, not {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Both front ends serve `/healthz` and `/metrics` from the same code: the gateway bot on
/// `FACTDESK_METRICS_ADDR`, a replica on its own address; questions, reloads and reload
/// failures are counted in both (SQLite here: no PostgreSQL needed).
#[test]
fn gateway_and_replica_serve_health_and_metrics() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let fake = rt.block_on(FakeDiscord::start());
    let cwd = tempfile::tempdir().unwrap();
    let kdir = fake_discord::knowledge_copy();
    let entries = kdir.path().join("deport-one-million/entries.toml");
    let good = std::fs::read_to_string(&entries).unwrap();
    let common = vec![
        ("DISCORD_TOKEN", "fake-token".to_string()),
        ("DISCORD_API_BASE", fake.api_base()),
        ("DISCORD_GUILD_ID", GUILD_ID.to_string()),
        ("FACTDESK_KNOWLEDGE", kdir.path().display().to_string()),
        ("FACTDESK_COOLDOWN_SECS", "0".to_string()),
    ];
    let mut env = common.clone();
    env.push(("FACTDESK_METRICS_ADDR", "127.0.0.1:0".to_string()));
    env.push((
        "FACTDESK_DB",
        cwd.path().join("gateway.db").display().to_string(),
    ));
    let gateway = Proc::spawn("gateway", &["serve"], &env, cwd.path());
    let line = gateway.wait_line("serves /healthz and /metrics at ", Duration::from_secs(30));
    let gw = line.split("at ").last().unwrap().trim().to_string();
    let mut env = common;
    env.push(("DISCORD_PUBLIC_KEY", hex(key().verifying_key().as_bytes())));
    env.push(("FACTDESK_REGISTER", "0".to_string()));
    env.push((
        "FACTDESK_DB",
        cwd.path().join("replica.db").display().to_string(),
    ));
    let (replica, rb) = replica("replica", &env, cwd.path());
    let client = reqwest::Client::new();
    rt.block_on(async {
        tokio::time::timeout(
            WAIT,
            fake.wait_call(|c| c.method == "PUT" && c.path.ends_with("/commands")),
        )
        .await
        .expect("the gateway bot connects");
        for base in [&gw, &rb] {
            let res = client.get(format!("{base}/healthz")).send().await.unwrap();
            assert_eq!(res.status(), 200, "{base}");
            assert_eq!(res.text().await.unwrap(), "ok\n");
        }

        // A question on each front end, counted under its own name.
        let token = "tok-metrics-1";
        let mut v = ask(1, 42, 700_000_000_000_000_001, fake_discord::GOAL_Q);
        v["token"] = json!(token);
        fake.dispatch("INTERACTION_CREATE", v).await;
        tokio::time::timeout(WAIT, fake.callback(token))
            .await
            .expect("the gateway bot answers");
        let (_, reply) = send(
            &client,
            std::slice::from_ref(&rb),
            0,
            &ask(2, 42, 7, fake_discord::GOAL_Q),
        )
        .await
        .unwrap();
        assert!(!reply["data"]["embeds"].as_array().unwrap().is_empty());
        let answered = |front: &str| {
            format!("factdesk_questions_total{{front_end=\"{front}\",outcome=\"answered\"}}")
        };
        // The gateway counts once the reply is sent, just after the fake records it.
        metric_reaches(&client, &gw, &answered("gateway"), 1.0).await;
        assert_eq!(metric(&client, &gw, &answered("http")).await, 0.0);
        assert_eq!(
            metric(&client, &gw, "factdesk_answer_seconds_count").await,
            1.0
        );
        assert_eq!(metric(&client, &rb, &answered("http")).await, 1.0);
        assert_eq!(metric(&client, &rb, &answered("gateway")).await, 0.0);
        for base in [&gw, &rb] {
            assert_eq!(metric(&client, base, "factdesk_store_up").await, 1.0);
            assert!(metric(&client, base, "factdesk_knowledge_entries").await > 10.0);
        }

        // A broken folder: both processes refuse it and count the failure.
        let failed = "factdesk_knowledge_reloads_total{result=\"failed\"}";
        let applied = "factdesk_knowledge_reloads_total{result=\"applied\"}";
        std::fs::write(&entries, format!("{good}\n[[entry]\nbroken")).unwrap();
        for base in [&gw, &rb] {
            metric_reaches(&client, base, failed, 1.0).await;
            assert_eq!(metric(&client, base, applied).await, 0.0);
        }
        // `/faq-admin reload` counts too.
        let token = "tok-metrics-2";
        let v = fake_discord::admin_command("3", token, "42", "reload", &[], None);
        fake.dispatch("INTERACTION_CREATE", v).await;
        let reply = tokio::time::timeout(WAIT, fake.callback(token))
            .await
            .expect("the reload is answered")
            .body;
        assert!(content(&reply).contains("Not reloaded"), "{reply}");
        assert_eq!(metric(&client, &gw, failed).await, 2.0);
        // Fixed: reloaded by both.
        std::fs::write(&entries, &good).unwrap();
        for base in [&gw, &rb] {
            metric_reaches(&client, base, applied, 1.0).await;
        }
    });
    replica.terminate();
    gateway.terminate();
}

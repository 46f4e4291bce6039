//! Durability: a child process writes questions and votes under load and prints every
//! write once the store has acknowledged it (committed it); the parent kills it with
//! SIGKILL at a random moment, reopens the database and checks that every acknowledged
//! write is there and that `PRAGMA integrity_check` is ok. The child is this same test
//! binary, run again with an environment variable.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use factdesk::reply::Status;
use factdesk::store::{QuestionLog, Store, StoreConfig, Vote};
use rusqlite::Connection;

const CHILD: &str = "FACTDESK_STORE_KILL_CHILD";
/// Unix milliseconds the child's vote times count from.
const BASE: &str = "FACTDESK_STORE_KILL_BASE";
const ITERATIONS: usize = 20;
const THREADS: u64 = 4;

/// The child: writes until killed.
#[test]
fn kill_child() {
    let Some(path) = std::env::var_os(CHILD) else {
        return;
    };
    let store = Store::open(StoreConfig::new(PathBuf::from(path))).expect("store opens");
    let out = Arc::new(Mutex::new(std::io::stdout()));
    {
        let mut o = out.lock().unwrap();
        writeln!(o, "ready").unwrap();
        o.flush().unwrap();
    }
    let base_ms: u64 = std::env::var(BASE).unwrap().parse().unwrap();
    let base = SystemTime::UNIX_EPOCH + Duration::from_millis(base_ms);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (store, out) = (store.clone(), Arc::clone(&out));
            s.spawn(move || {
                let mut n: u64 = 0;
                loop {
                    let mut lines = Vec::new();
                    let mut last = None;
                    for _ in 0..25 {
                        n += 1;
                        let logged = store.log_question(QuestionLog {
                            at: SystemTime::now(),
                            guild: Some(1),
                            channel: Some(t),
                            user: Some(t),
                            question: format!("question {t}-{n}"),
                            status: Status::Declined,
                            decline: None,
                            entry: None,
                            suggested: vec!["a".into(), "b".into()],
                            report: None,
                            confidence: 0.25,
                            matching: Duration::from_micros(n % 100),
                        });
                        if let Some(ack) = logged.ack {
                            lines.push(format!("q {}", logged.id));
                            last = Some(ack);
                        }
                        if n.is_multiple_of(3) {
                            // Votes on 40 messages per thread, changed again and again; `at` grows.
                            let message = t * 1_000_000 + n % 40;
                            let at_ms = n;
                            let vote = Vote {
                                at: base + Duration::from_millis(at_ms),
                                message,
                                question: Some(logged.id),
                                entry: "entry".into(),
                                user: t,
                                up: n.is_multiple_of(2),
                            };
                            if let Some(ack) = store.record_vote(vote) {
                                lines.push(format!("v {message} {t} {at_ms}"));
                                last = Some(ack);
                            }
                        }
                    }
                    if let Some(ack) = last {
                        assert!(store.wait(ack, Duration::from_secs(30)), "commit");
                        let mut o = out.lock().unwrap();
                        for line in &lines {
                            writeln!(o, "{line}").unwrap();
                        }
                        o.flush().unwrap();
                    }
                }
            });
        }
    });
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Runs the child, kills it after `after`, returns the complete lines it printed.
fn run_and_kill(path: &Path, base_ms: i64, after: Duration) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "kill_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, path)
        .env(BASE, base_ms.to_string())
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the child");
    let stdout = child.stdout.take().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let reader = {
        let lines = Arc::clone(&lines);
        std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match stdout.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(_) if buf.ends_with(b"\n") => {
                        let line = String::from_utf8_lossy(&buf).trim_end().to_string();
                        // libtest may print "test kill_child ... " just before.
                        if line.ends_with("ready") {
                            let _ = ready_tx.send(());
                        }
                        lines.lock().unwrap().push(line);
                    }
                    // A line cut short by the kill was never fully acknowledged to us.
                    Ok(_) => return,
                }
            }
        })
    };
    ready_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the child starts");
    std::thread::sleep(after);
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    reader.join().unwrap();
    Arc::try_unwrap(lines).unwrap().into_inner().unwrap()
}

fn check(path: &Path, base_ms: i64, lines: &[String]) -> (usize, usize) {
    // Reopening runs recovery of the WAL; the store must open cleanly.
    let store = Store::open(StoreConfig::new(path)).expect("reopens after SIGKILL");
    let conn = Connection::open(path).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let mut questions = 0;
    let mut newest: HashMap<(u64, u64), i64> = HashMap::new();
    let mut find = conn
        .prepare("SELECT count(*) FROM questions WHERE qid = ?1")
        .unwrap();
    for line in lines {
        let parts: Vec<&str> = line.split(' ').collect();
        match parts.as_slice() {
            ["q", id] => {
                let id: i64 = id.parse().unwrap();
                let n: i64 = find.query_row([id], |r| r.get(0)).unwrap();
                assert_eq!(n, 1, "acknowledged question {id} is missing after the kill");
                questions += 1;
            }
            ["v", message, user, at] => {
                let key = (message.parse().unwrap(), user.parse().unwrap());
                let at: i64 = at.parse().unwrap();
                let e = newest.entry(key).or_insert(at);
                *e = (*e).max(at);
            }
            _ => {}
        }
    }
    let mut vote = conn
        .prepare("SELECT at FROM votes WHERE message = ?1 AND user = ?2")
        .unwrap();
    for ((message, user), at) in &newest {
        let stored: i64 = vote
            .query_row(
                rusqlite::params![*message as i64, store.user_hash(*user)],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| {
                panic!("acknowledged vote on message {message} by {user} is missing: {e}")
            });
        // The last acknowledged change (or a later one) is what is stored.
        assert!(
            stored >= base_ms + at,
            "vote on message {message} by {user}: {stored} is older than the acknowledged {}",
            base_ms + at
        );
    }
    drop(store);
    (questions, newest.len())
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    let mut rng = Rng(seed);
    let start = Instant::now();
    let (mut total_q, mut total_v, mut empty) = (0, 0, 0);
    for i in 0..ITERATIONS {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("factdesk.db");
        let after = Duration::from_millis(10 + rng.next() % 290);
        let base_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let lines = run_and_kill(&path, base_ms, after);
        let (q, v) = check(&path, base_ms, &lines);
        if q == 0 {
            empty += 1;
        }
        total_q += q;
        total_v += v;
        // A second round on the same file: kill again, check again.
        let base_ms = base_ms + 1_000_000;
        let lines = run_and_kill(&path, base_ms, Duration::from_millis(rng.next() % 100));
        check(&path, base_ms, &lines);
        eprintln!("iteration {i}: killed after {after:?}, {q} questions and {v} votes acknowledged and found");
    }
    eprintln!(
        "seed {seed}: {total_q} questions, {total_v} vote keys checked in {:?}",
        start.elapsed()
    );
    assert!(
        empty <= ITERATIONS / 4,
        "too many kills before any acknowledgement ({empty}): the test proves little"
    );
    assert!(total_q > 1000, "{total_q}");
}

//! Counters for `/metrics`, in the Prometheus text format, and the `/healthz`,
//! `/healthz/store` and `/metrics` routes both front ends serve (the HTTP mode on its own
//! address, the gateway bot on `FACTDESK_METRICS_ADDR`). Lock-free: front ends count on
//! the answering path.
//!
//! `/healthz` says whether questions can be answered (the knowledge base is loaded) and
//! nothing else: the question log being down or hung never takes the bot out of a load
//! balancer. The log's own state is `/healthz/store` and the `factdesk_store_*` metrics.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::desk::Desk;
use crate::reply::Status;
use crate::store::{Health, Store};

/// Upper bounds (seconds) of the answer latency histogram.
pub const BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];
/// Front ends that count questions.
pub const FRONT_ENDS: [&str; 2] = ["gateway", "http"];
/// Index of the gateway bot in [`FRONT_ENDS`].
pub const GATEWAY: usize = 0;
/// Index of the HTTP interactions endpoint in [`FRONT_ENDS`].
pub const HTTP: usize = 1;
const OUTCOMES: [Status; 3] = [Status::Answered, Status::Suggested, Status::Declined];

#[derive(Debug, Default)]
pub struct Metrics {
    /// [front end][outcome]
    questions: [[AtomicU64; 3]; 2],
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_micros: AtomicU64,
    /// Requests refused before any work: bad signature, bad body.
    refused_signature: AtomicU64,
    refused_input: AtomicU64,
    /// Knowledge folder reloads that were applied, and those refused for problems.
    reloads: AtomicU64,
    reload_failures: AtomicU64,
}

fn outcome_index(s: Status) -> usize {
    OUTCOMES.iter().position(|o| *o == s).unwrap_or(2)
}

impl Metrics {
    /// A question answered by `front_end` (index into [`FRONT_ENDS`]) in `took`.
    pub fn question(&self, front_end: usize, status: Status, took: Duration) {
        self.questions[front_end.min(1)][outcome_index(status)].fetch_add(1, Ordering::Relaxed);
        let secs = took.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn refused_signature(&self) {
        self.refused_signature.fetch_add(1, Ordering::Relaxed);
    }

    pub fn refused_input(&self) {
        self.refused_input.fetch_add(1, Ordering::Relaxed);
    }

    /// A knowledge reload: applied (`ok`) or refused, the old knowledge base serving on.
    pub fn reload(&self, ok: bool) {
        let counter = if ok {
            &self.reloads
        } else {
            &self.reload_failures
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Everything in the Prometheus text format; `store` when there is a question log.
    pub fn render(&self, store: Option<&Health>, entries: usize) -> String {
        self.render_at(store, entries, crate::store::now_ms())
    }

    /// [`Metrics::render`] at `now` (unix ms).
    pub fn render_at(&self, store: Option<&Health>, entries: usize, now: i64) -> String {
        let mut out = String::new();
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        out.push_str("# HELP factdesk_questions_total Questions answered, by front end and outcome.\n# TYPE factdesk_questions_total counter\n");
        for (f, front) in FRONT_ENDS.iter().enumerate() {
            for (o, outcome) in OUTCOMES.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "factdesk_questions_total{{front_end=\"{front}\",outcome=\"{}\"}} {}",
                    outcome.as_str(),
                    load(&self.questions[f][o])
                );
            }
        }
        out.push_str("# HELP factdesk_answer_seconds Time from a question arriving to its reply being ready.\n# TYPE factdesk_answer_seconds histogram\n");
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "factdesk_answer_seconds_bucket{{le=\"{bound}\"}} {}",
                load(&self.buckets[i])
            );
        }
        let count = load(&self.latency_count);
        let _ = writeln!(out, "factdesk_answer_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "factdesk_answer_seconds_sum {}",
            load(&self.latency_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "factdesk_answer_seconds_count {count}");
        out.push_str("# HELP factdesk_refused_total Requests refused before any work.\n# TYPE factdesk_refused_total counter\n");
        let _ = writeln!(
            out,
            "factdesk_refused_total{{reason=\"signature\"}} {}",
            load(&self.refused_signature)
        );
        let _ = writeln!(
            out,
            "factdesk_refused_total{{reason=\"input\"}} {}",
            load(&self.refused_input)
        );
        out.push_str("# HELP factdesk_knowledge_reloads_total Knowledge folder reloads, applied or refused for problems.\n# TYPE factdesk_knowledge_reloads_total counter\n");
        let _ = writeln!(
            out,
            "factdesk_knowledge_reloads_total{{result=\"applied\"}} {}",
            load(&self.reloads)
        );
        let _ = writeln!(
            out,
            "factdesk_knowledge_reloads_total{{result=\"failed\"}} {}",
            load(&self.reload_failures)
        );
        out.push_str("# HELP factdesk_knowledge_entries Entries in the knowledge base being served.\n# TYPE factdesk_knowledge_entries gauge\n");
        let _ = writeln!(out, "factdesk_knowledge_entries {entries}");
        if let Some(h) = store {
            out.push_str("# HELP factdesk_store_up 1 when the question log's database answers: the last call succeeded and none has hung past the watchdog.\n# TYPE factdesk_store_up gauge\n");
            let _ = writeln!(out, "factdesk_store_up {}", u8::from(h.ok));
            out.push_str("# HELP factdesk_store_written_total Records committed to the question log.\n# TYPE factdesk_store_written_total counter\n");
            let _ = writeln!(out, "factdesk_store_written_total {}", h.written);
            out.push_str("# HELP factdesk_store_dropped_total Records lost (queue full, or never writable).\n# TYPE factdesk_store_dropped_total counter\n");
            let _ = writeln!(out, "factdesk_store_dropped_total {}", h.dropped);
            out.push_str("# HELP factdesk_store_queue_depth Records queued or held for a retry.\n# TYPE factdesk_store_queue_depth gauge\n");
            let _ = writeln!(out, "factdesk_store_queue_depth {}", h.backlog);
            out.push_str("# HELP factdesk_store_last_write_age_seconds Seconds since the question log was last up to date (a commit, or nothing waiting); -1 when it never was.\n# TYPE factdesk_store_last_write_age_seconds gauge\n");
            let _ = writeln!(
                out,
                "factdesk_store_last_write_age_seconds {}",
                h.last_write_age(now).unwrap_or(-1.0)
            );
            out.push_str("# HELP factdesk_store_hash_key_pending 1 while the deployment's user hash key has not been read from the database yet.\n# TYPE factdesk_store_hash_key_pending gauge\n");
            let _ = writeln!(
                out,
                "factdesk_store_hash_key_pending {}",
                u8::from(h.hash_key_pending)
            );
        }
        out
    }
}

/// What `/healthz` and `/metrics` read: the knowledge being served, the store, the counters.
#[derive(Clone)]
pub struct Ops {
    pub desk: Arc<ArcSwap<Desk>>,
    pub store: Option<Store>,
    pub metrics: Arc<Metrics>,
}

/// `GET /healthz`, `GET /healthz/store` and `GET /metrics`.
pub fn router(ops: Ops) -> axum::Router {
    axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/healthz/store", get(healthz_store))
        .route("/metrics", get(metrics))
        .with_state(ops)
}

/// Serves [`router`] on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    ops: Ops,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(ops))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Liveness and readiness: 200 when the knowledge base has entries, so questions can be
/// answered; 503 with the reason otherwise. The question log is not part of it.
async fn healthz(State(ops): State<Ops>) -> Response {
    let desk = ops.desk.load();
    if desk.knowledge().entries.is_empty() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the knowledge base has no entries\n",
        )
            .into_response()
    } else {
        (StatusCode::OK, "ok\n").into_response()
    }
}

/// The question log's state as JSON: 200 while its database answers, 503 when it is
/// down, hung or refusing writes (records then wait in memory), and when there is no log.
async fn healthz_store(State(ops): State<Ops>) -> Response {
    let body = store_status(
        ops.store.as_ref().map(Store::health).as_ref(),
        crate::store::now_ms(),
    );
    let code = if body["up"] == serde_json::Value::Bool(true) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, axum::Json(body)).into_response()
}

/// The body of `/healthz/store` at `now` (unix ms).
pub fn store_status(health: Option<&Health>, now: i64) -> serde_json::Value {
    match health {
        None => serde_json::json!({
            "up": false,
            "summary": "the question log is off",
        }),
        Some(h) => serde_json::json!({
            "up": h.ok,
            "summary": h.summary(),
            "queue_depth": h.backlog,
            "written": h.written,
            "dropped": h.dropped,
            "last_write_age_seconds": h.last_write_age(now),
            "last_error": h.last_error,
            "failing_since": h.failing_since,
            "hash_key_pending": h.hash_key_pending,
        }),
    }
}

async fn metrics(State(ops): State<Ops>) -> Response {
    let health = ops.store.as_ref().map(Store::health);
    let entries = ops.desk.load().knowledge().entries.len();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        ops.metrics.render(health.as_ref(), entries),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_render_as_prometheus_text() {
        let m = Metrics::default();
        m.question(1, Status::Answered, Duration::from_micros(700));
        m.question(1, Status::Declined, Duration::from_millis(30));
        m.question(0, Status::Answered, Duration::from_micros(100));
        m.refused_signature();
        m.reload(true);
        m.reload(false);
        m.reload(false);
        let text = m.render(Some(&Health::default()), 42);
        for line in [
            "factdesk_questions_total{front_end=\"http\",outcome=\"answered\"} 1",
            "factdesk_questions_total{front_end=\"http\",outcome=\"declined\"} 1",
            "factdesk_questions_total{front_end=\"gateway\",outcome=\"answered\"} 1",
            "factdesk_questions_total{front_end=\"gateway\",outcome=\"suggested\"} 0",
            "factdesk_answer_seconds_bucket{le=\"0.0005\"} 1",
            "factdesk_answer_seconds_bucket{le=\"0.001\"} 2",
            "factdesk_answer_seconds_bucket{le=\"0.05\"} 3",
            "factdesk_answer_seconds_bucket{le=\"+Inf\"} 3",
            "factdesk_answer_seconds_count 3",
            "factdesk_refused_total{reason=\"signature\"} 1",
            "factdesk_knowledge_entries 42",
            "factdesk_knowledge_reloads_total{result=\"applied\"} 1",
            "factdesk_knowledge_reloads_total{result=\"failed\"} 2",
            "factdesk_store_up 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }

    #[test]
    fn the_store_status_and_metrics_say_how_stale_the_log_is() {
        let down = Health {
            ok: false,
            last_error: Some("the database is not answering".into()),
            last_commit_at: Some(10_000),
            current_at: Some(12_000),
            backlog: 7,
            ..Health::default()
        };
        let body = store_status(Some(&down), 15_500);
        assert_eq!(body["up"], false);
        assert_eq!(body["queue_depth"], 7);
        assert_eq!(body["last_write_age_seconds"], 3.5);
        assert_eq!(store_status(None, 0)["up"], false);
        let text = Metrics::default().render_at(Some(&down), 1, 15_500);
        for line in [
            "factdesk_store_up 0",
            "factdesk_store_queue_depth 7",
            "factdesk_store_last_write_age_seconds 3.5",
            "factdesk_store_hash_key_pending 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        let never = Metrics::default().render_at(Some(&Health::default()), 1, 0);
        assert!(never.contains("factdesk_store_last_write_age_seconds -1\n"));
    }
}

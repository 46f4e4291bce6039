//! `/faq-admin …` for moderators, and live reload of the knowledge folder. The Discord
//! layer only renders: loading and validation are the core's, numbers are the store's.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use poise::serenity_prelude as serenity;

use super::commands::{respond, Call, Route};
use super::curation;
use super::flow::Outcome;
use super::render::{self, Rendered, MAX_CONTENT};
use super::{Context, Data, Error};
use crate::curation::Views as _;
use crate::desk::Desk;
use crate::metrics::Metrics;
use crate::store::Store;

/// How often the knowledge folder is looked at for changes.
pub const POLL: Duration = Duration::from_secs(2);
/// `/faq-admin stats` covers this many days unless asked otherwise.
pub const DEFAULT_DAYS: u32 = 7;
/// Unanswered clusters on one page.
pub const UNANSWERED_PER_PAGE: usize = 5;

/// Loads and validates the knowledge folder, then swaps it in at once; on any problem the
/// knowledge base already serving stays. Returns a one-line summary or the problems.
pub fn reload_knowledge(desk: &ArcSwap<Desk>, dir: &Path) -> Result<String, String> {
    let kb = crate::desk::load_knowledge(Some(dir)).map_err(|e| e.to_string())?;
    let summary = format!(
        "Reloaded {}: {} report(s), {} entries.",
        dir.display(),
        kb.reports.len(),
        kb.entries.len()
    );
    desk.store(Arc::new(Desk::new(kb)));
    Ok(summary)
}

/// [`reload_knowledge`], counted in `metrics` (applied or failed).
pub fn reload_counted(
    desk: &ArcSwap<Desk>,
    dir: &Path,
    metrics: &Metrics,
) -> Result<String, String> {
    let result = reload_knowledge(desk, dir);
    metrics.reload(result.is_ok());
    result
}

/// What the knowledge folder holds: every file under it with a hash of its content, sorted.
/// Content rather than modification time, so an edit inside the clock's granularity counts.
pub type Snapshot = Vec<(PathBuf, blake3::Hash)>;

/// Takes a [`Snapshot`] of `dir`; unreadable files and folders are left out.
pub fn snapshot(dir: &Path) -> Snapshot {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, blake3::hash(&bytes)));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Reloads when files in `dir` change, once they have stayed the same for one more poll
/// (an editor saving several files triggers one reload). Problems are logged and, when
/// there is a moderator channel, posted there; the old knowledge base keeps serving.
/// `applied` is the folder as it was when the serving knowledge base was loaded; taking it
/// before the watcher task runs means an edit made meanwhile is not mistaken for the baseline.
pub async fn watch(
    desk: Arc<ArcSwap<Desk>>,
    dir: PathBuf,
    applied: Snapshot,
    poll: Duration,
    notify: Option<(Arc<serenity::Http>, serenity::ChannelId)>,
    metrics: Arc<Metrics>,
) {
    let scan = |dir: PathBuf| async move {
        tokio::task::spawn_blocking(move || snapshot(&dir))
            .await
            .unwrap_or_default()
    };
    let mut applied = applied;
    let mut pending: Option<Vec<_>> = None;
    loop {
        tokio::time::sleep(poll).await;
        let now = scan(dir.clone()).await;
        if now == applied {
            pending = None;
            continue;
        }
        if pending.as_ref() != Some(&now) {
            // Changed since the last look: wait until it settles.
            pending = Some(now);
            continue;
        }
        pending = None;
        applied = now;
        let (d, target, m) = (dir.clone(), Arc::clone(&desk), Arc::clone(&metrics));
        let result = tokio::task::spawn_blocking(move || reload_counted(&target, &d, &m))
            .await
            .unwrap_or_else(|e| {
                metrics.reload(false);
                Err(format!("the reload failed: {e}"))
            });
        let note = match result {
            Ok(summary) => {
                tracing::info!(%summary, "knowledge reloaded after a change");
                continue;
            }
            Err(problems) => {
                tracing::warn!(%problems, "the changed knowledge folder has problems; the old one keeps serving");
                format!("The knowledge folder changed but has problems, so the previous version keeps serving:\n{problems}")
            }
        };
        if let Some((http, channel)) = &notify {
            let msg = Rendered::text(render::shorten(&note, MAX_CONTENT)).to_message();
            if let Err(e) = channel.send_message(http, msg).await {
                tracing::warn!(error = %super::redact(&e.to_string()), "could not tell the moderators");
            }
        }
    }
}

/// Follows `settings.knowledge_dir`, when there is one, with [`watch`] (both transports):
/// problems are posted to the moderator channel through `rest`.
pub fn follow_folder(
    settings: &super::Settings,
    desk: &Arc<ArcSwap<Desk>>,
    rest: &Arc<serenity::Http>,
    metrics: &Arc<Metrics>,
) -> Option<tokio::task::JoinHandle<()>> {
    let dir = settings.knowledge_dir.clone()?;
    let applied = snapshot(&dir);
    let notify = settings
        .mod_channel
        .map(|c| (Arc::clone(rest), serenity::ChannelId::new(c)));
    Some(tokio::spawn(watch(
        Arc::clone(desk),
        dir,
        applied,
        settings.reload_poll,
        notify,
        Arc::clone(metrics),
    )))
}

/// Tells the moderator channel when the question log stops being written (full or
/// read-only disk, a lock held elsewhere) and when it recovers. Answering never waits for
/// the log; this is how moderators learn that records are waiting or being lost.
pub async fn watch_store(
    store: crate::store::Store,
    http: Arc<serenity::Http>,
    channel: serenity::ChannelId,
    every: Duration,
) {
    let mut was_ok = true;
    loop {
        tokio::time::sleep(every).await;
        let health = store.health();
        if health.ok == was_ok {
            continue;
        }
        let note = if health.ok {
            format!(
                "The question log is being written again ({}).",
                health.summary()
            )
        } else {
            format!(
                "⚠️ The question log can't be written: {}. The bot keeps answering; records wait in memory and are retried (see `/faq-admin stats`).",
                health.summary()
            )
        };
        let msg = Rendered::text(render::shorten(&render::escape(&note), MAX_CONTENT)).to_message();
        match channel.send_message(&http, msg).await {
            Ok(_) => was_ok = health.ok,
            // Not marked as told: the next look tries again.
            Err(e) => {
                tracing::warn!(error = %super::redact(&e.to_string()), "could not tell the moderators about the question log")
            }
        }
    }
}

/// Whether a member (as an interaction carries it, with permissions) is a moderator:
/// Manage Server, Administrator or the moderator role. No member (a DM): never.
pub fn member_is_moderator(member: Option<&serenity::Member>, mod_role: Option<u64>) -> bool {
    let Some(member) = member else {
        return false;
    };
    let manages = member
        .permissions
        .is_some_and(|p| p.manage_guild() || p.administrator());
    let has_role = mod_role.is_some_and(|r| member.roles.contains(&serenity::RoleId::new(r)));
    manages || has_role
}

/// What anyone who is not a moderator is told.
pub const NOT_MODERATOR: &str =
    "Only moderators (Manage Server, or the moderator role) can use `/faq-admin`.";
/// What a bot without a question log says to the log's subcommands.
pub const NO_LOG: &str = "The question log is off (see the bot's logs).";
/// What the log's subcommands say when its database is down or does not answer in time.
pub const NOT_ANSWERING: &str = "The question log is not answering, try again in a moment.";

/// A read of the log that failed (down, hung past its deadline): said, not raised, so
/// the moderator hears back within Discord's window.
fn not_answering(e: &crate::store::StoreError) -> Rendered {
    tracing::warn!(error = %e, "a moderator's read of the question log failed");
    Rendered::text(NOT_ANSWERING)
}

/// A moderator's subcommand: anyone else is refused; a failure is logged and told
/// briefly. Every reply is private.
async fn moderated(
    call: &Call<'_>,
    reply: impl std::future::Future<Output = Result<Rendered, Error>>,
) -> Outcome {
    if !member_is_moderator(call.member, call.data.mod_role) {
        return Outcome::reply(Rendered::text(NOT_MODERATOR), true);
    }
    let rendered = reply.await.unwrap_or_else(|e| {
        tracing::error!(error = %super::redact(&format!("{e:#}")), "/faq-admin failed");
        render::error_note()
    });
    Outcome::reply(rendered, true)
}

/// A day count or page from a subcommand's options (poise's definitions bound them).
fn count(call: &Call<'_>, name: &str, default: u32) -> u32 {
    call.integer(name)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(default)
}

/// Moderator tools: statistics, unanswered questions, reload
#[poise::command(
    slash_command,
    rename = "faq-admin",
    subcommands("stats", "unanswered", "coverage", "reload"),
    subcommand_required,
    default_member_permissions = "MANAGE_GUILD",
    guild_only
)]
pub async fn faq_admin(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Reload the knowledge folder (the old one keeps serving if the new one has problems)
#[poise::command(slash_command, custom_data = "Route(|c| Box::pin(reload_route(c)))")]
pub async fn reload(ctx: Context<'_>) -> Result<(), Error> {
    respond(ctx).await
}

async fn reload_route(call: Call<'_>) -> Outcome {
    moderated(&call, reload_reply(call.data)).await
}

/// `/faq-admin reload`'s reply (both front ends): reloads, counted in the metrics.
pub async fn reload_reply(data: &Data) -> Result<Rendered, Error> {
    let text = match data.knowledge_dir.clone() {
        None => "I'm using the built-in knowledge base: there is no folder to reload (set FACTDESK_KNOWLEDGE).".to_string(),
        Some(dir) => {
            let (desk, metrics) = (Arc::clone(&data.desk), Arc::clone(&data.metrics));
            let result =
                tokio::task::spawn_blocking(move || reload_counted(&desk, &dir, &metrics)).await?;
            match result {
                Ok(summary) => summary,
                Err(problems) => format!("Not reloaded, the previous version keeps serving:\n{problems}"),
            }
        }
    };
    Ok(Rendered::text(render::shorten(&text, MAX_CONTENT)))
}

/// What a report's entries still miss: uncovered sentences, thin phrasings, collisions
#[poise::command(slash_command, custom_data = "Route(|c| Box::pin(coverage_route(c)))")]
pub async fn coverage(
    ctx: Context<'_>,
    #[description = "Report id (default: every report)"] report: Option<String>,
) -> Result<(), Error> {
    // Poise parsed it; the route reads the same option on both transports.
    let _ = report;
    respond(ctx).await
}

async fn coverage_route(call: Call<'_>) -> Outcome {
    moderated(&call, coverage_reply(call.data, call.string("report"))).await
}

/// `/faq-admin coverage`'s reply (both front ends).
pub async fn coverage_reply(data: &Data, report: Option<&str>) -> Result<Rendered, Error> {
    let desk = data.desk.load_full();
    let text = match desk.report_filter(report) {
        Err(e) => e.to_string(),
        Ok(filter) => {
            let c = tokio::task::spawn_blocking(move || crate::authoring::coverage(&desk, filter))
                .await?;
            coverage_text(&c)
        }
    };
    Ok(Rendered::text(render::shorten(&text, MAX_CONTENT)))
}

/// Coverage as a moderator's to-do list; the full list is `factdesk kb coverage`.
pub fn coverage_text(c: &crate::authoring::Coverage) -> String {
    let mut text = String::new();
    for r in &c.reports {
        let bare: Vec<String> = r
            .paragraphs
            .iter()
            .filter(|p| p.entries.is_empty())
            .map(|p| p.number.to_string())
            .collect();
        let uncovered: Vec<_> = r
            .paragraphs
            .iter()
            .flat_map(|p| p.uncovered.iter().map(move |s| (p.number, s)))
            .filter(|(_, s)| s.restated_by.is_none())
            .collect();
        text.push_str(&format!(
            "**{}**: {} paragraph(s), {} without entries{}; {} uncovered sentence(s); {} entr(y/ies) with few phrasings; {} gap(s) without phrasings; {}; estimated answer rate {:.2}\n",
            render::escape(&r.report),
            r.paragraphs.len(),
            bare.len(),
            if bare.is_empty() { String::new() } else { format!(" ({})", bare.join(", ")) },
            uncovered.len(),
            r.few_phrasings.len(),
            r.gaps_without_phrasings.len(),
            r.diagnosis.count(),
            r.diagnosis.estimated_rate,
        ));
        for (n, s) in uncovered.iter().take(5) {
            text.push_str(&format!(
                "- ¶{n}: {}\n",
                render::shorten(&render::escape(&s.text), 160)
            ));
        }
        for col in r.diagnosis.collisions.iter().take(3) {
            text.push_str(&format!(
                "- “{}” ({}) → {}: {}\n",
                render::shorten(&render::escape(&col.phrasing), 100),
                render::escape(&col.entry),
                render::escape(&col.lands_on),
                render::escape(&col.why())
            ));
        }
    }
    text.push_str("-# The full list: `factdesk kb coverage`.");
    text
}

fn percent(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

/// Questions, rates, top entries and unanswered, and 👍/👎 per entry
#[poise::command(slash_command, custom_data = "Route(|c| Box::pin(stats_route(c)))")]
pub async fn stats(
    ctx: Context<'_>,
    #[description = "Over the last this many days (default 7)"]
    #[min = 1]
    #[max = 3650]
    days: Option<u32>,
) -> Result<(), Error> {
    // Poise parsed it; the route reads the same option on both transports.
    let _ = days;
    respond(ctx).await
}

async fn stats_route(call: Call<'_>) -> Outcome {
    let days = count(&call, "days", DEFAULT_DAYS);
    let reply = async {
        match call.data.store.clone() {
            None => Ok(Rendered::text(NO_LOG)),
            Some(store) => stats_reply(call.data, store, days).await,
        }
    };
    moderated(&call, reply).await
}

/// `/faq-admin stats`'s reply (both front ends).
pub async fn stats_reply(data: &Data, store: Store, days: u32) -> Result<Rendered, Error> {
    let desk = data.desk.load_full();
    let health = store.health();
    let s = match tokio::task::spawn_blocking(move || store.stats(desk.matcher(), days)).await? {
        Ok(s) => s,
        Err(e) => return Ok(not_answering(&e)),
    };
    let mut text = format!(
        "**Last {days} day(s)**: {} question(s) from {} people · answered {} · suggested {} · declined {} · {} suggestion click(s)",
        s.questions,
        s.askers,
        percent(s.answer_rate()),
        percent(s.suggestion_rate()),
        percent(s.decline_rate()),
        s.clicks
    );
    if !s.top_entries.is_empty() {
        text.push_str("\n**Most answered**");
        for e in &s.top_entries {
            text.push_str(&format!("\n- `{}` × {}", e.entry, e.count));
        }
    }
    if !s.top_unanswered.is_empty() {
        text.push_str(&format!(
            "\n**Unanswered** ({} cluster(s))",
            s.unanswered_clusters
        ));
        for c in &s.top_unanswered {
            let q = c
                .questions
                .first()
                .map(|q| render::echo(q))
                .unwrap_or_default();
            text.push_str(&format!("\n- {q} × {}", c.asks));
        }
    }
    if !s.votes.is_empty() {
        text.push_str("\n**Votes**");
        for v in &s.votes {
            text.push_str(&format!("\n- `{}` 👍 {} 👎 {}", v.entry, v.up, v.down));
        }
    }
    text.push_str(&format!("\n-# Question log: {}", health.summary()));
    Ok(Rendered::text(text))
}

/// Declined and low-confidence questions, grouped, biggest first
#[poise::command(
    slash_command,
    custom_data = "Route(|c| Box::pin(unanswered_route(c)))"
)]
pub async fn unanswered(
    ctx: Context<'_>,
    #[description = "Page (default 1)"]
    #[min = 1]
    #[max = 1000]
    page: Option<u32>,
    #[description = "Over the last this many days (default 7)"]
    #[min = 1]
    #[max = 3650]
    days: Option<u32>,
) -> Result<(), Error> {
    // Poise parsed them; the route reads the same options on both transports.
    let _ = (page, days);
    respond(ctx).await
}

async fn unanswered_route(call: Call<'_>) -> Outcome {
    let (page, days) = (count(&call, "page", 1), count(&call, "days", DEFAULT_DAYS));
    let reply = async {
        match call.data.store.clone() {
            None => Ok(Rendered::text(NO_LOG)),
            Some(store) => unanswered_reply(call.data, store, page, days).await,
        }
    };
    moderated(&call, reply).await
}

/// `/faq-admin unanswered`'s reply (both front ends): a page of clusters with their buttons.
pub async fn unanswered_reply(
    data: &Data,
    store: Store,
    page: u32,
    days: u32,
) -> Result<Rendered, Error> {
    let page = page.max(1) as usize;
    let desk = data.desk.load_full();
    let offset = (page - 1) * UNANSWERED_PER_PAGE;
    let u = match tokio::task::spawn_blocking(move || {
        store.unanswered(desk.matcher(), days, offset, UNANSWERED_PER_PAGE)
    })
    .await?
    {
        Ok(u) => u,
        Err(e) => return Ok(not_answering(&e)),
    };
    let pages = u.total.div_ceil(UNANSWERED_PER_PAGE).max(1);
    let mut text = format!(
        "**Unanswered, last {days} day(s)** — {} cluster(s), page {page} of {pages}",
        u.total
    );
    let mut rows = Vec::new();
    for (n, c) in u.clusters.iter().enumerate() {
        let number = offset + n + 1;
        text.push_str(&format!("\n**{number}.** {}", curation::cluster_text(c)));
        rows.push(curation::actions_row(Some(number), &c.id));
    }
    if u.clusters.is_empty() {
        text.push_str("\nNothing here.");
    } else if page < pages {
        text.push_str(&format!(
            "\n-# Next: `/faq-admin unanswered page:{}`",
            page + 1
        ));
    }
    Ok(Rendered {
        components: rows,
        ..Rendered::text(render::shorten(&text, MAX_CONTENT))
    })
}

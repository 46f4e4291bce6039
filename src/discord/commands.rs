//! Slash commands: `/ask`, `/topics`, `/source`, and their autocompletion.

use std::time::Instant;

use poise::serenity_prelude as serenity;
use serenity::{AutocompleteChoice, CreateAutocompleteResponse};

use super::cooldown::{question_key, Verdict};
use super::render::{self, echo, shorten, Rendered, MAX_CHOICE_CHARS};
use super::{Context, Data, Error};
use crate::knowledge::KnowledgeBase;
use crate::reply::Status;

/// Discord offers at most this many autocomplete choices.
pub const MAX_CHOICES: usize = 25;
/// Typed text beyond this is ignored while autocompleting (Discord allows 6000).
const MAX_PARTIAL_CHARS: usize = 300;

/// Every command, shaped for this knowledge base: the `report` options only appear when
/// there is more than one report to choose from.
pub fn all(kb: &KnowledgeBase) -> Vec<poise::Command<Data, Error>> {
    let mut commands = vec![ask(), topics(), source(), super::admin::faq_admin()];
    if kb.reports.len() < 2 {
        for c in &mut commands {
            c.parameters.retain(|p| p.name != "report");
        }
    }
    commands
}

/// A link to a channel; DMs have no guild.
pub fn channel_link(guild: Option<serenity::GuildId>, channel: serenity::ChannelId) -> String {
    match guild {
        Some(g) => format!("https://discord.com/channels/{g}/{channel}"),
        None => format!("https://discord.com/channels/@me/{channel}"),
    }
}

/// A link to a message; DMs have no guild.
pub fn message_link(
    guild: Option<serenity::GuildId>,
    channel: serenity::ChannelId,
    message: serenity::MessageId,
) -> String {
    format!("{}/{message}", channel_link(guild, channel))
}

/// The option value of another option in the same autocomplete interaction.
fn string_arg<'a>(ctx: Context<'a>, name: &str) -> Option<&'a str> {
    let poise::Context::Application(actx) = ctx else {
        return None;
    };
    actx.args
        .iter()
        .find(|o| o.name == name)
        .and_then(|o| match &o.value {
            serenity::ResolvedValue::String(s) => Some(*s),
            serenity::ResolvedValue::Autocomplete { value, .. } => Some(*value),
            _ => None,
        })
}

fn clip(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// The questions offered while `partial` is typed (both front ends).
pub fn question_choices(
    desk: &crate::desk::Desk,
    partial: &str,
    report: Option<&str>,
) -> CreateAutocompleteResponse {
    let report = report.and_then(|r| desk.knowledge().report_index(r));
    let choices: Vec<AutocompleteChoice> = desk
        .autocomplete(clip(partial, MAX_PARTIAL_CHARS), report, MAX_CHOICES)
        .into_iter()
        .take(MAX_CHOICES)
        .map(|s| {
            let q = shorten(&s.question, MAX_CHOICE_CHARS);
            AutocompleteChoice::new(q.clone(), q)
        })
        .collect();
    CreateAutocompleteResponse::new().set_choices(choices)
}

async fn autocomplete_question(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    let started = Instant::now();
    let desk = ctx.data().desk.load();
    let response = question_choices(&desk, partial, string_arg(ctx, "report"));
    tracing::debug!(
        micros = started.elapsed().as_micros() as u64,
        "autocomplete"
    );
    response
}

async fn autocomplete_report(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    report_choices(&ctx.data().desk.load(), partial)
}

/// The reports offered while `partial` is typed (both front ends).
pub fn report_choices(desk: &crate::desk::Desk, partial: &str) -> CreateAutocompleteResponse {
    let typed = crate::matcher::fold(clip(partial, MAX_PARTIAL_CHARS));
    let choices = desk
        .knowledge()
        .reports
        .iter()
        .filter(|r| {
            typed.trim().is_empty()
                || crate::matcher::fold(&r.title).contains(typed.trim())
                || crate::matcher::fold(&r.id).contains(typed.trim())
        })
        .filter(|r| r.id.chars().count() <= MAX_CHOICE_CHARS)
        .take(MAX_CHOICES)
        .map(|r| {
            AutocompleteChoice::new(
                shorten(&format!("{} ({})", r.title, r.id), MAX_CHOICE_CHARS),
                r.id.clone(),
            )
        })
        .collect();
    CreateAutocompleteResponse::new().set_choices(choices)
}

/// The report a person picked, or a private note saying it is unknown.
async fn pick_report(
    ctx: Context<'_>,
    kb: &KnowledgeBase,
    report: Option<&str>,
) -> Result<Option<Option<usize>>, Error> {
    let Some(id) = report.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(Some(None));
    };
    if let Some(i) = kb.report_index(id) {
        return Ok(Some(Some(i)));
    }
    let text = format!(
        "I don't know a report called “{}”. Pick one from the list.",
        echo(id)
    );
    ctx.send(Rendered::text(text).to_poise(true)).await?;
    Ok(None)
}

/// Ask a question about the news report
#[poise::command(slash_command)]
pub async fn ask(
    ctx: Context<'_>,
    #[description = "Your question"]
    #[autocomplete = "autocomplete_question"]
    #[max_length = 1000]
    question: String,
    #[description = "Only you see the answer"] private: Option<bool>,
    #[description = "Which report to answer from"]
    #[autocomplete = "autocomplete_report"]
    report: Option<String>,
) -> Result<(), Error> {
    let started = Instant::now();
    let question = super::markup::question_text(&question);
    let data = ctx.data();
    let private = private.unwrap_or(false);
    let verdict = data.check_cooldown(ctx.author().id.get(), started).await;
    if let Verdict::Wait { remaining, .. } = verdict {
        ctx.send(render::cooldown_note(remaining).to_poise(true))
            .await?;
        return Ok(());
    }
    let desk = data.desk.load_full();
    let Some(report) = pick_report(ctx, desk.knowledge(), report.as_deref()).await? else {
        return Ok(());
    };
    let report_id = report.map(|r| desk.knowledge().reports[r].id.as_str());
    let channel = ctx.channel_id();
    let key = question_key(&question, report_id);
    if !private {
        let earlier = data.earlier_answer(channel.get(), &key, started).await;
        if let Some(earlier) = earlier {
            ctx.send(render::repeat_pointer(&earlier.link).to_poise(true))
                .await?;
            return Ok(());
        }
    }
    let answered = desk.ask_timed(&question, report_id, &desk.matcher().config())?;
    let reply = answered.reply;
    let logged = data.reserve_question();
    let remember = !private && reply.status == Status::Answered;
    if remember {
        // Until the message id is known, a repeat points at the channel.
        let url = channel_link(ctx.guild_id(), channel);
        data.remember_answer(channel.get(), key.clone(), url, started)
            .await;
    }
    let sent = ctx
        .send(render::reply_logged(&reply, logged).to_poise(private))
        .await;
    data.metrics
        .question(crate::metrics::GATEWAY, reply.status, started.elapsed());
    data.log_question(
        logged,
        &reply,
        answered.elapsed,
        ctx.guild_id(),
        channel,
        ctx.author().id,
    );
    let handle = sent?;
    tracing::debug!(
        micros = started.elapsed().as_micros() as u64,
        status = reply.status.as_str(),
        entry = reply.entry.as_deref().unwrap_or("-"),
        "/ask answered"
    );
    if remember {
        // Remember where the answer is, so a repeat gets a pointer instead of a copy.
        match handle.message().await {
            Ok(m) => {
                let url = message_link(ctx.guild_id(), channel, m.id);
                data.remember_answer(channel.get(), key, url, Instant::now())
                    .await;
            }
            Err(e) => {
                tracing::debug!(error = %super::redact(&e.to_string()), "could not look up the answer message")
            }
        }
    }
    Ok(())
}

/// Everything I can answer, by topic
#[poise::command(slash_command)]
pub async fn topics(ctx: Context<'_>) -> Result<(), Error> {
    let desk = ctx.data().desk.load_full();
    ctx.send(render::topics_page(desk.knowledge(), 0).to_poise(true))
        .await?;
    Ok(())
}

/// Where the answers come from; optionally one paragraph of the report
#[poise::command(slash_command)]
pub async fn source(
    ctx: Context<'_>,
    #[description = "Which report"]
    #[autocomplete = "autocomplete_report"]
    report: Option<String>,
    #[description = "Show this paragraph of the report"]
    #[min = 1]
    #[max = 10000]
    paragraph: Option<i64>,
) -> Result<(), Error> {
    let desk = ctx.data().desk.load_full();
    let Some(report) = pick_report(ctx, desk.knowledge(), report.as_deref()).await? else {
        return Ok(());
    };
    ctx.send(render::source(desk.knowledge(), report, paragraph).to_poise(false))
        .await?;
    Ok(())
}

//! Slash commands: `/ask`, `/topics`, `/source` and `/faq-admin`, and their autocompletion.
//!
//! Each command's body is written once, as a [`Route`] kept in the poise command's
//! `custom_data`: the gateway runs it from poise's context ([`respond`]), the HTTP
//! transport finds the same command in the same table and runs the same route. The
//! typed parameters below are poise's definitions (names, limits, autocompletion), which
//! Discord enforces and the HTTP transport checks again.

use std::time::Instant;

use futures_util::future::BoxFuture;
use poise::serenity_prelude as serenity;
use serenity::{AutocompleteChoice, CreateAutocompleteResponse, ResolvedOption, ResolvedValue};

use super::flow::{self, Asker, Outcome, Place, Transport};
use super::render::{self, shorten, MAX_CHOICE_CHARS};
use super::{Context, Data, Error};
use crate::knowledge::KnowledgeBase;

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

/// One command invocation, as either transport received it.
pub struct Call<'a> {
    pub data: &'a Data,
    pub asker: Asker,
    /// The member who invoked it (with permissions), in a guild.
    pub member: Option<&'a serenity::Member>,
    /// The options of the command (or of the subcommand) that runs.
    pub options: &'a [ResolvedOption<'a>],
    pub transport: Transport,
}

impl<'a> Call<'a> {
    /// A string option (also while it is being autocompleted).
    pub fn string(&self, name: &str) -> Option<&'a str> {
        string_option(self.options, name)
    }

    pub fn integer(&self, name: &str) -> Option<i64> {
        self.options.iter().find_map(|o| match o.value {
            ResolvedValue::Integer(n) if o.name == name => Some(n),
            _ => None,
        })
    }

    pub fn boolean(&self, name: &str) -> Option<bool> {
        self.options.iter().find_map(|o| match o.value {
            ResolvedValue::Boolean(b) if o.name == name => Some(b),
            _ => None,
        })
    }
}

/// The named string option among `options`.
pub fn string_option<'a>(options: &[ResolvedOption<'a>], name: &str) -> Option<&'a str> {
    options.iter().find_map(|o| match o.value {
        ResolvedValue::String(s) if o.name == name => Some(s),
        ResolvedValue::Autocomplete { value, .. } if o.name == name => Some(value),
        _ => None,
    })
}

/// What a command does, whichever transport carried it: kept in its `custom_data`.
pub struct Route(pub for<'a> fn(Call<'a>) -> BoxFuture<'a, Outcome>);

/// The route of a poise command; `None` for a group that only holds subcommands.
pub fn route(command: &poise::Command<Data, Error>) -> Option<&Route> {
    command.custom_data.downcast_ref::<Route>()
}

/// The gateway transport of every command: runs its [`Route`] and sends the result.
pub async fn respond(ctx: Context<'_>) -> Result<(), Error> {
    let poise::Context::Application(actx) = ctx else {
        return Ok(());
    };
    let Some(route) = route(ctx.command()) else {
        return Ok(());
    };
    let data = ctx.data();
    let call = Call {
        data,
        asker: Asker {
            user: ctx.author().id,
            guild: ctx.guild_id(),
            channel: ctx.channel_id(),
        },
        member: actx.interaction.member.as_deref(),
        options: actx.args,
        transport: Transport::Gateway,
    };
    let outcome = (route.0)(call).await;
    let Some(rendered) = &outcome.rendered else {
        outcome.sent(data, None).await;
        return Ok(());
    };
    let sent = ctx.send(rendered.to_poise(outcome.private)).await;
    let mut message = None;
    if let (Ok(handle), true) = (&sent, outcome.remembers()) {
        match handle.message().await {
            Ok(m) => message = Some(m.id),
            Err(e) => {
                tracing::debug!(error = %super::redact(&e.to_string()), "could not look up the answer message")
            }
        }
    }
    outcome.sent(data, message).await;
    sent?;
    Ok(())
}

fn clip(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// The questions offered while `partial` is typed (both transports).
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
    let report = match ctx {
        poise::Context::Application(actx) => string_option(actx.args, "report"),
        poise::Context::Prefix(_) => None,
    };
    let response = question_choices(&desk, partial, report);
    tracing::debug!(
        micros = started.elapsed().as_micros() as u64,
        "autocomplete"
    );
    response
}

async fn autocomplete_report(ctx: Context<'_>, partial: &str) -> CreateAutocompleteResponse {
    report_choices(&ctx.data().desk.load(), partial)
}

/// The reports offered while `partial` is typed (both transports).
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

/// Ask a question about the news report
#[poise::command(slash_command, custom_data = "Route(|c| Box::pin(ask_route(c)))")]
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
    // Poise parsed them; the route reads the same options on both transports.
    let _ = (question, private, report);
    respond(ctx).await
}

async fn ask_route(call: Call<'_>) -> Outcome {
    let place = Place::Command {
        private: call.boolean("private").unwrap_or(false),
        report: call.string("report"),
    };
    let question = call.string("question").unwrap_or_default();
    flow::answer(call.data, question, place, call.asker, call.transport).await
}

/// Everything I can answer, by topic
#[poise::command(slash_command, custom_data = "Route(|c| Box::pin(topics_route(c)))")]
pub async fn topics(ctx: Context<'_>) -> Result<(), Error> {
    respond(ctx).await
}

async fn topics_route(call: Call<'_>) -> Outcome {
    let desk = call.data.desk.load_full();
    Outcome::reply(render::topics_page(desk.knowledge(), 0), true)
}

/// Where the answers come from; optionally one paragraph of the report
#[poise::command(slash_command, custom_data = "Route(|c| Box::pin(source_route(c)))")]
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
    let _ = (report, paragraph);
    respond(ctx).await
}

async fn source_route(call: Call<'_>) -> Outcome {
    let desk = call.data.desk.load_full();
    let kb = desk.knowledge();
    let report = match call
        .string("report")
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        None => None,
        Some(id) => match kb.report_index(id) {
            Some(i) => Some(i),
            None => return Outcome::reply(flow::unknown_report(id), true),
        },
    };
    Outcome::reply(render::source(kb, report, call.integer("paragraph")), false)
}

//! One click from an unanswered cluster to a fix: add its question as a phrasing of an
//! entry (picked from a menu), draft a new entry in a form, or dismiss it. The checks and
//! the writing are the core's ([`crate::knowledge::additions`]); this file renders the
//! buttons, menu and form, and reads back what the moderator chose.

mod form;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use poise::serenity_prelude as serenity;
use serenity::{
    ActionRowComponent, ButtonStyle, ComponentInteraction, ComponentInteractionDataKind,
    CreateActionRow, CreateButton, CreateInteractionResponse, CreateSelectMenu,
    CreateSelectMenuKind, CreateSelectMenuOption, ModalInteraction,
};

use super::render::{self, Rendered, MAX_CHOICE_CHARS, MAX_CONTENT};
use super::{admin, redact, Data, Error};
use crate::curation::{self, CurateError, Curator};
use crate::curation::{Cluster, Views as _};
use crate::desk::Desk;
use crate::knowledge::additions;
use crate::store::Store;
use form::{draft_for, draft_form, draft_from_form};

/// `fd:cl:<action>:<cluster id>`.
pub const CLUSTER_ID: &str = "fd:cl:";
pub use crate::curation::CLUSTER_DAYS;
/// Entries offered in the menu (Discord's limit for one menu).
const MENU_ENTRIES: usize = 25;
/// Clusters posted to the moderator channel in one round (the rest wait for the next).
const ALERTS_PER_ROUND: usize = 5;

/// What a curation component asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Show the menu of entries.
    Add,
    /// An entry was picked in that menu.
    Pick,
    /// Open the form for a new entry.
    Draft,
    /// The form was sent.
    Submit,
    Dismiss,
}

impl Action {
    fn key(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Pick => "pick",
            Action::Draft => "draft",
            Action::Submit => "submit",
            Action::Dismiss => "dismiss",
        }
    }

    fn id(self, cluster: &str) -> String {
        format!("{CLUSTER_ID}{}:{cluster}", self.key())
    }
}

/// Reads a curation custom id: the action and the cluster id.
pub fn parse(custom_id: &str) -> Option<(Action, String)> {
    let rest = custom_id.strip_prefix(CLUSTER_ID)?;
    let (key, cluster) = rest.split_once(':')?;
    let action = [
        Action::Add,
        Action::Pick,
        Action::Draft,
        Action::Submit,
        Action::Dismiss,
    ]
    .into_iter()
    .find(|a| a.key() == key)?;
    let valid = !cluster.is_empty()
        && cluster.len() <= 64
        && cluster.chars().all(|c| c.is_ascii_hexdigit());
    valid.then(|| (action, cluster.to_string()))
}

/// The three buttons under a cluster; `number` labels them when several clusters share a message.
pub fn actions_row(number: Option<usize>, cluster: &str) -> CreateActionRow {
    let label = |text: &str| match number {
        Some(n) => format!("{n} · {text}"),
        None => text.to_string(),
    };
    CreateActionRow::Buttons(vec![
        CreateButton::new(Action::Add.id(cluster))
            .label(label("Add as phrasing…"))
            .style(ButtonStyle::Primary),
        CreateButton::new(Action::Draft.id(cluster))
            .label(label("New entry…"))
            .style(ButtonStyle::Secondary),
        CreateButton::new(Action::Dismiss.id(cluster))
            .label(label("Dismiss"))
            .style(ButtonStyle::Danger),
    ])
}

/// A cluster as text: its main wording, how often it was asked, other wordings.
pub fn cluster_text(c: &Cluster) -> String {
    let q = c
        .questions
        .first()
        .map(|q| render::echo(q))
        .unwrap_or_default();
    let mut text = format!("{q} — asked {} time(s) by {} people", c.asks, c.askers);
    for other in c.questions.iter().skip(1) {
        text.push_str(&format!("\n  - {}", render::echo(other)));
    }
    text
}

/// The post in the moderator channel for a cluster that reached a few asks.
pub fn alert(c: &Cluster) -> Rendered {
    let text = format!(
        "**Unanswered, asked {} times** — what should I say?\n- {}",
        c.asks,
        cluster_text(c)
    );
    Rendered {
        components: vec![actions_row(None, &c.id)],
        ..Rendered::text(render::shorten(&text, MAX_CONTENT))
    }
}

/// Entries to offer for a cluster: those people clicked, those offered, the matcher's
/// best guesses for its main wording, then the rest in file order.
fn menu_entries(desk: &Desk, c: &Cluster) -> Vec<usize> {
    let kb = desk.knowledge();
    let mut picked: Vec<usize> = Vec::new();
    let push = |i: usize, picked: &mut Vec<usize>| {
        if !picked.contains(&i) && picked.len() < MENU_ENTRIES {
            picked.push(i);
        }
    };
    for e in c.clicked.iter().chain(&c.suggested) {
        if let Some(i) = kb.entry_index(&e.entry) {
            push(i, &mut picked);
        }
    }
    if let Some(q) = c.questions.first() {
        for r in desk.matcher().ask(q, None).ranked {
            push(r.entry, &mut picked);
        }
    }
    for i in 0..kb.entries.len() {
        push(i, &mut picked);
    }
    // A menu value holds at most 100 characters.
    picked.retain(|&i| kb.entries[i].id.len() <= MAX_CHOICE_CHARS);
    picked
}

fn entry_menu(desk: &Desk, c: &Cluster) -> Rendered {
    let kb = desk.knowledge();
    let options: Vec<CreateSelectMenuOption> = menu_entries(desk, c)
        .into_iter()
        .map(|i| {
            let e = &kb.entries[i];
            let kind = if e.is_gap() {
                " · says the report doesn't say"
            } else {
                ""
            };
            CreateSelectMenuOption::new(render::shorten(&e.question, MAX_CHOICE_CHARS), &e.id)
                .description(render::shorten(
                    &format!("{}{kind}", e.topic),
                    MAX_CHOICE_CHARS,
                ))
        })
        .collect();
    let q = c
        .questions
        .first()
        .map(|q| render::echo(q))
        .unwrap_or_default();
    let menu = CreateSelectMenu::new(
        Action::Pick.id(&c.id),
        CreateSelectMenuKind::String { options },
    )
    .placeholder("The entry this question should get");
    Rendered {
        components: vec![CreateActionRow::SelectMenu(menu)],
        ..Rendered::text(format!("Add “{q}” as another way of asking which entry?"))
    }
}

fn is_moderator(data: &Data, member: Option<&serenity::Member>) -> bool {
    admin::member_is_moderator(member, data.mod_role)
}

fn refusal() -> CreateInteractionResponse {
    let note = "Only moderators (Manage Server, or the moderator role) can curate questions.";
    CreateInteractionResponse::Message(Rendered::text(note).to_interaction(true))
}

fn private(text: impl Into<String>) -> CreateInteractionResponse {
    CreateInteractionResponse::Message(Rendered::text(text).to_interaction(true))
}

const NO_FOLDER: &str = "Curation writes to the knowledge folder, and this bot serves the built-in knowledge base. Start it with `factdesk serve --knowledge <folder>` (or FACTDESK_KNOWLEDGE) to curate from Discord.";
const GONE: &str = "That cluster is no longer listed (dismissed or fixed already). `/faq-admin unanswered` shows the current ones.";

async fn find(data: &Data, store: &Store, cluster: &str) -> Result<Option<Cluster>, Error> {
    let (store, desk, id) = (store.clone(), data.desk.load_full(), cluster.to_string());
    let found =
        tokio::task::spawn_blocking(move || curator(&store, None, &desk, |c| c.cluster(&id)))
            .await?;
    match found {
        Ok(c) => Ok(Some(c)),
        Err(CurateError::Gone(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Runs `f` with the core's curator over this bot's store, folder and matcher.
fn curator<T>(
    store: &Store,
    dir: Option<&std::path::Path>,
    desk: &Desk,
    f: impl FnOnce(&Curator<'_>) -> T,
) -> T {
    f(&Curator {
        store,
        knowledge_dir: dir,
        matcher: desk.matcher(),
        via: VIA,
    })
}

/// Where changes come from, in the note above them in `additions.toml`.
const VIA: &str = "Discord";

/// Why a change was not made, for the moderator.
fn refused(e: &CurateError) -> String {
    match e {
        CurateError::NoFolder => NO_FOLDER.to_string(),
        other => other.to_string(),
    }
}

/// Serves the knowledge base with an accepted change in it, at once.
fn serve_applied(data: &Data, applied: &additions::Applied) {
    data.desk
        .store(Arc::new(Desk::new(applied.knowledge.clone())));
    tracing::info!(entry = %applied.entry, file = %applied.file.display(), "curated from Discord");
}

/// A click on a curation button or menu.
pub async fn handle_click(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    action: Action,
    cluster: &str,
) -> Result<(), Error> {
    let response = click_response(data, click, action, cluster).await?;
    if let Err(e) = click.create_response(&ctx.http, response).await {
        tracing::error!(error = %redact(&e.to_string()), "could not answer a curation click");
    }
    Ok(())
}

/// What a curation click gets (both front ends): moderators only.
pub async fn click_response(
    data: &Data,
    click: &ComponentInteraction,
    action: Action,
    cluster: &str,
) -> Result<CreateInteractionResponse, Error> {
    Ok(if !is_moderator(data, click.member.as_ref()) {
        refusal()
    } else if let Some(store) = data.store.as_ref() {
        respond(data, store, click, action, cluster, click.user.id.get()).await?
    } else {
        private("The question log is off (see the bot's logs), so there are no clusters to curate.")
    })
}

async fn respond(
    data: &Data,
    store: &Store,
    click: &ComponentInteraction,
    action: Action,
    cluster: &str,
    user: u64,
) -> Result<CreateInteractionResponse, Error> {
    if action == Action::Dismiss {
        let (store, desk, id) = (store.clone(), data.desk.load_full(), cluster.to_string());
        let dismissed = tokio::task::spawn_blocking(move || {
            curator(&store, None, &desk, |c| c.dismiss(&id, Some(user)))
        })
        .await?;
        return Ok(match dismissed {
            Ok(_) => private("Dismissed: it won't be listed or posted again."),
            Err(CurateError::Gone(_)) => private(GONE),
            Err(e) => return Err(e.into()),
        });
    }
    let Some(c) = find(data, store, cluster).await? else {
        return Ok(private(GONE));
    };
    let desk = data.desk.load_full();
    Ok(match action {
        Action::Add => {
            CreateInteractionResponse::Message(entry_menu(&desk, &c).to_interaction(true))
        }
        Action::Draft => {
            let kept = data.kept_draft(user, &c.id).await;
            let draft = kept.unwrap_or_else(|| draft_for(&desk, &c));
            CreateInteractionResponse::Modal(draft_form(desk.knowledge(), &c.id, &draft))
        }
        Action::Pick => {
            let entry = match &click.data.kind {
                ComponentInteractionDataKind::StringSelect { values } => values.first().cloned(),
                _ => None,
            };
            let Some(entry) = entry else {
                return Ok(private("Pick an entry in the menu."));
            };
            let (store, dir, id, picked) = (
                store.clone(),
                data.knowledge_dir.clone(),
                c.id.clone(),
                entry.clone(),
            );
            let added = tokio::task::spawn_blocking(move || {
                curator(&store, dir.as_deref(), &desk, |c| {
                    c.add_phrasing(&id, &picked)
                })
            })
            .await?;
            let text = match added {
                Ok(done) => {
                    serve_applied(data, &done.applied);
                    format!(
                        "Added “{}” as a phrasing of `{entry}` in `{}`. It is live now.",
                        render::echo(done.question.as_deref().unwrap_or_default()),
                        done.applied.file.display()
                    )
                }
                Err(CurateError::Gone(_)) => return Ok(private(GONE)),
                Err(CurateError::Store(e)) => return Err(e.into()),
                Err(why) => format!("Not added: {}", refused(&why)),
            };
            CreateInteractionResponse::UpdateMessage(
                Rendered::text(render::shorten(&text, MAX_CONTENT)).to_update(),
            )
        }
        Action::Submit | Action::Dismiss => return Ok(private(GONE)),
    })
}

/// The new-entry form, sent.
pub async fn handle_modal(
    ctx: &serenity::Context,
    data: &Data,
    modal: &ModalInteraction,
) -> Result<(), Error> {
    let Some(response) = modal_response(data, modal).await? else {
        return Ok(()); // Not one of ours.
    };
    if let Err(e) = modal.create_response(&ctx.http, response).await {
        tracing::error!(error = %redact(&e.to_string()), "could not answer a drafted entry");
    }
    Ok(())
}

/// What a sent new-entry form gets (both front ends); `None` when it is not one of ours.
pub async fn modal_response(
    data: &Data,
    modal: &ModalInteraction,
) -> Result<Option<CreateInteractionResponse>, Error> {
    let Some((Action::Submit, cluster)) = parse(&modal.data.custom_id) else {
        return Ok(None);
    };
    Ok(Some(if is_moderator(data, modal.member.as_ref()) {
        submit(data, modal, &cluster).await?
    } else {
        refusal()
    }))
}

async fn submit(
    data: &Data,
    modal: &ModalInteraction,
    cluster: &str,
) -> Result<CreateInteractionResponse, Error> {
    let fields: HashMap<String, String> = modal
        .data
        .components
        .iter()
        .flat_map(|row| &row.components)
        .filter_map(|c| match c {
            ActionRowComponent::InputText(t) => {
                Some((t.custom_id.clone(), t.value.clone().unwrap_or_default()))
            }
            _ => None,
        })
        .collect();
    let desk = data.desk.load_full();
    let draft = draft_from_form(desk.knowledge(), &fields);
    let c = match &data.store {
        Some(store) => find(data, store, cluster).await?,
        None => None,
    };
    let moderator = modal.user.id.get();
    let (store, dir, id, drafted) = (
        data.store.clone(),
        data.knowledge_dir.clone(),
        cluster.to_string(),
        draft.clone(),
    );
    let added = tokio::task::spawn_blocking(move || {
        curation::add_entry(
            dir.as_deref(),
            store.as_ref(),
            &id,
            drafted,
            c.as_ref(),
            VIA,
        )
    })
    .await?;
    match added {
        Ok(applied) => {
            serve_applied(data, &applied);
            data.forget_draft(moderator, cluster).await;
            let text = format!(
                "Added the entry `{}` to `{}`. It is live now: “{}” gets its answer.",
                applied.entry,
                applied.file.display(),
                render::echo(&draft.question)
            );
            Ok(private(render::shorten(&text, MAX_CONTENT)))
        }
        Err(CurateError::Store(e)) => Err(e.into()),
        Err(why) => {
            let why = refused(&why);
            // Kept, so fixing it does not mean typing it all again.
            data.keep_draft(moderator, cluster, draft).await;
            let text = format!("The entry was not added: {why}");
            let fix = CreateActionRow::Buttons(vec![CreateButton::new(Action::Draft.id(cluster))
                .label("Fix the draft")
                .style(ButtonStyle::Primary)]);
            let rendered = Rendered {
                components: vec![fix],
                ..Rendered::text(render::shorten(&text, MAX_CONTENT))
            };
            Ok(CreateInteractionResponse::Message(
                rendered.to_interaction(true),
            ))
        }
    }
}

/// Posts each unanswered cluster that reaches `min_asks` asks to the moderator channel,
/// once; looks every `every`.
pub async fn post_clusters(
    desk: Arc<ArcSwap<Desk>>,
    store: Store,
    http: Arc<serenity::Http>,
    channel: serenity::ChannelId,
    min_asks: u64,
    every: Duration,
) {
    // The mark goes through the store's write queue, so the next look can come before it
    // lands: what this loop posted is remembered here too, never posted twice.
    let mut posted: std::collections::HashSet<String> = std::collections::HashSet::new();
    loop {
        tokio::time::sleep(every).await;
        let (s, d) = (store.clone(), desk.load_full());
        let due = tokio::task::spawn_blocking(move || {
            s.clusters_to_alert(d.matcher(), admin::DEFAULT_DAYS, min_asks)
        })
        .await;
        let due = match due {
            Ok(Ok(due)) => due,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not read unanswered clusters");
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading unanswered clusters failed");
                continue;
            }
        };
        let fresh: Vec<_> = due.iter().filter(|c| !posted.contains(&c.id)).collect();
        for c in fresh.into_iter().take(ALERTS_PER_ROUND) {
            match channel.send_message(&http, alert(c).to_message()).await {
                // Marked only once posted: a failed post is tried again next time.
                Ok(_) => {
                    store.mark_alerted(&c.id);
                    posted.insert(c.id.clone());
                }
                Err(e) => {
                    tracing::warn!(error = %redact(&e.to_string()), "could not post a cluster to the moderator channel");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids_round_trip_and_reject_junk() {
        for a in [
            Action::Add,
            Action::Pick,
            Action::Draft,
            Action::Submit,
            Action::Dismiss,
        ] {
            assert_eq!(
                parse(&a.id("0a1b2c3d4e5f")),
                Some((a, "0a1b2c3d4e5f".into()))
            );
            assert!(a.id("0a1b2c3d4e5f").len() <= render::MAX_CUSTOM_ID);
        }
        assert_eq!(parse("fd:cl:add:"), None);
        assert_eq!(parse("fd:cl:add:../../etc"), None);
        assert_eq!(parse("fd:cl:burn:0a1b"), None);
        assert_eq!(parse("fd:entry:x"), None);
    }
}

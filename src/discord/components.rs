//! Button and menu clicks: related questions, "did you mean", `/topics` pages and picks.

use poise::serenity_prelude as serenity;
use serenity::{ComponentInteraction, ComponentInteractionDataKind, CreateInteractionResponse};

use super::render::{self, Rendered, ENTRY_ID, PICK_ID, TOPICS_ID, VOTE_DOWN_ID, VOTE_UP_ID};
use super::{redact, Data, Error};

/// What a click asks for, read from its custom id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Click {
    Entry(String),
    Page(usize),
    Pick(Option<String>),
    /// `question`: the logged question the answer was for, when known.
    Vote {
        entry: String,
        question: Option<i64>,
        up: bool,
    },
}

/// `[<question id>:]<entry>` after a vote prefix.
fn vote_target(rest: &str) -> (String, Option<i64>) {
    match rest.split_once(':') {
        Some((q, entry))
            if !entry.is_empty() && !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (entry.to_string(), q.parse().ok())
        }
        _ => (rest.to_string(), None),
    }
}

pub fn parse(custom_id: &str, values: &[String]) -> Option<Click> {
    for (prefix, up) in [(VOTE_UP_ID, true), (VOTE_DOWN_ID, false)] {
        if let Some(rest) = custom_id.strip_prefix(prefix) {
            let (entry, question) = vote_target(rest);
            return Some(Click::Vote {
                entry,
                question,
                up,
            });
        }
    }
    if let Some(id) = custom_id.strip_prefix(ENTRY_ID) {
        return Some(Click::Entry(id.to_string()));
    }
    if let Some(rest) = custom_id.strip_prefix(TOPICS_ID) {
        let page = rest.split(':').next()?.parse().ok()?;
        return Some(Click::Page(page));
    }
    (custom_id == PICK_ID).then(|| Click::Pick(values.first().cloned()))
}

/// Answers a click privately (the answer is for the person who clicked) or turns the page.
pub async fn handle(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
) -> Result<(), Error> {
    let Some((action, response)) = respond(data, click) else {
        return Ok(()); // Not one of ours, or nothing to say.
    };
    if let Err(e) = click.create_response(&ctx.http, response).await {
        tracing::error!(error = %redact(&e.to_string()), custom_id = %click.data.custom_id, "could not answer a click");
        let note = CreateInteractionResponse::Message(render::error_note().to_interaction(true));
        let _ = click.create_response(&ctx.http, note).await;
    }
    // After the acknowledgement: Discord wants an answer to the click within 3 seconds.
    if let Click::Vote {
        entry,
        question,
        up: false,
    } = &action
    {
        report_downvote(&ctx.http, data, click, entry, *question).await;
    }
    Ok(())
}

/// The response to a click, for either front end (records clicks and votes on the way);
/// `None` when the click is not one of ours or needs no answer.
pub fn respond(
    data: &Data,
    click: &ComponentInteraction,
) -> Option<(Click, CreateInteractionResponse)> {
    let values = match &click.data.kind {
        ComponentInteractionDataKind::StringSelect { values } => values.as_slice(),
        _ => &[],
    };
    let action = parse(&click.data.custom_id, values)?;
    let desk = data.desk.load_full();
    let response = match action.clone() {
        Click::Page(page) => CreateInteractionResponse::UpdateMessage(
            render::topics_page(desk.knowledge(), page).to_update(),
        ),
        Click::Entry(id) | Click::Pick(Some(id)) => {
            // Suggested and related questions are evidence of what a question meant;
            // picks from `/topics` are not.
            if let (Some(store), Click::Entry(_)) = (&data.store, &action) {
                store.record_click(crate::store::Click {
                    at: std::time::SystemTime::now(),
                    guild: click.guild_id.map(|g| g.get()),
                    channel: Some(click.channel_id.get()),
                    user: Some(click.user.id.get()),
                    question: None,
                    asked: None,
                    entry: id.clone(),
                });
            }
            let rendered = match desk.answer_entry(&id) {
                Some(reply) => render::reply(&reply),
                None => Rendered::text(
                    "I no longer know that question. `/topics` lists what I can answer now.",
                ),
            };
            CreateInteractionResponse::Message(rendered.to_interaction(true))
        }
        Click::Pick(None) => return None,
        Click::Vote {
            entry,
            question,
            up,
        } => {
            record_vote(data, click, &entry, question, up);
            CreateInteractionResponse::Message(render::vote_ack(up).to_interaction(true))
        }
    };
    Some((action, response))
}

/// Records a vote: one per person per answer message (the store keeps the newest).
fn record_vote(
    data: &Data,
    click: &ComponentInteraction,
    entry: &str,
    question: Option<i64>,
    up: bool,
) {
    if let Some(store) = &data.store {
        store.record_vote(crate::store::Vote {
            at: std::time::SystemTime::now(),
            message: click.message.id.get(),
            question,
            entry: entry.to_string(),
            user: click.user.id.get(),
            up,
        });
    }
}

/// Posts a 👎 to the moderator channel, if there is one. Failures are logged, never shown
/// to the voter.
pub async fn report_downvote(
    http: &serenity::Http,
    data: &Data,
    click: &ComponentInteraction,
    entry: &str,
    question: Option<i64>,
) {
    let Some(channel) = data.mod_channel else {
        return;
    };
    let Some(reply) = data.desk.load().answer_entry(entry) else {
        return;
    };
    // The question as logged; else, for a mention, the message the answer replies to.
    let logged = match (&data.store, question) {
        // A store that is down or hung is not waited for: the message's text serves.
        (Some(store), Some(id)) if store.answering() => {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.question_text(id))
                .await
                .ok()
                .and_then(Result::ok)
                .flatten()
        }
        _ => None,
    };
    let asked = logged.as_deref().or_else(|| {
        click
            .message
            .referenced_message
            .as_ref()
            .map(|m| m.content.as_str())
    });
    let link = super::flow::message_link(click.guild_id, click.channel_id, click.message.id);
    let report = render::downvote_report(&reply, asked, &link);
    if let Err(e) = channel.send_message(http, report.to_message()).await {
        tracing::warn!(error = %redact(&e.to_string()), "could not post a 👎 to the moderator channel");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids() {
        assert_eq!(
            parse("fd:entry:goal", &[]),
            Some(Click::Entry("goal".into()))
        );
        assert_eq!(parse("fd:topics:2:next", &[]), Some(Click::Page(2)));
        assert_eq!(parse("fd:topics:x", &[]), None);
        assert_eq!(
            parse("fd:pick", &["a".into()]),
            Some(Click::Pick(Some("a".into())))
        );
        assert_eq!(parse("other", &[]), None);
        assert_eq!(
            parse("fd:vote:down:goal", &[]),
            Some(Click::Vote {
                entry: "goal".into(),
                question: None,
                up: false
            })
        );
        assert_eq!(
            parse("fd:vote:down:123456:goal", &[]),
            Some(Click::Vote {
                entry: "goal".into(),
                question: Some(123456),
                up: false
            })
        );
        assert_eq!(
            parse("fd:vote:up:x1:goal", &[]),
            Some(Click::Vote {
                entry: "x1:goal".into(),
                question: None,
                up: true
            })
        );
        assert_eq!(
            parse("fd:vote:up:goal", &[]),
            Some(Click::Vote {
                entry: "goal".into(),
                question: None,
                up: true
            })
        );
    }
}

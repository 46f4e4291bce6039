//! Messages: "@factdesk how many …?" in a channel, anything in a DM, and plain questions
//! in newsroom channels (answered only when the desk is sure).

use std::time::Instant;

use poise::serenity_prelude as serenity;
use serenity::{Message, MessageType, UserId};

use super::commands::message_link;
use super::cooldown::{question_key, Verdict};
use super::render::{self, Rendered};
use super::{Data, Error};
use crate::reply::Status;

/// Words that open a question, for newsroom channels where nobody mentions the bot.
const QUESTION_WORDS: &[&str] = &[
    "who", "whom", "whose", "what", "whats", "when", "where", "why", "how", "which", "is", "are",
    "was", "were", "do", "does", "did", "can", "could", "will", "would", "should", "has", "have",
    "had",
];

/// Whether a message reads as a question: ends with `?` or starts with a question word.
pub fn reads_as_question(text: &str) -> bool {
    let text = text.trim();
    if text.ends_with('?') || text.ends_with('？') {
        return true;
    }
    let first = text.split_whitespace().next().unwrap_or_default();
    let first = crate::matcher::fold(first);
    // "who's" reads as "who".
    let first = first.split('\'').next().unwrap_or_default();
    let first = first.trim_matches(|c: char| !c.is_alphanumeric());
    QUESTION_WORDS.contains(&first)
}

fn mentions_bot(msg: &Message, bot: UserId) -> bool {
    let id = bot.get();
    msg.mentions.iter().any(|u| u.id == bot)
        || msg.content.contains(&format!("<@{id}>"))
        || msg.content.contains(&format!("<@!{id}>"))
}

enum Kind {
    /// A mention or a DM: always answered.
    Direct,
    /// A newsroom channel: answered only when sure, otherwise silence.
    Newsroom,
}

pub async fn handle(
    ctx: &serenity::Context,
    data: &Data,
    bot: UserId,
    msg: &Message,
) -> Result<(), Error> {
    // Never answer bots, webhooks, system messages or ourselves: no loops.
    if msg.author.bot || msg.author.system || msg.webhook_id.is_some() || msg.author.id == bot {
        return Ok(());
    }
    if !matches!(msg.kind, MessageType::Regular | MessageType::InlineReply) {
        return Ok(());
    }
    let kind = if msg.guild_id.is_none() || mentions_bot(msg, bot) {
        Kind::Direct
    } else if data.newsroom.contains(&msg.channel_id.get()) && reads_as_question(&msg.content) {
        Kind::Newsroom
    } else {
        return Ok(());
    };
    let started = Instant::now();
    // The bot's own mention and any other markup are not part of the question.
    let question = super::markup::question_text(&msg.content);
    let desk = data.desk.load_full();
    let answered = match kind {
        Kind::Newsroom => {
            let strict = crate::matcher::Config::newsroom();
            let answered = desk.ask_timed(&question, None, &strict)?;
            if answered.reply.status != Status::Answered {
                return Ok(());
            }
            answered
        }
        Kind::Direct if question.is_empty() => {
            let text = format!(
                "{}\nUse `/topics` to see every question I can answer.",
                crate::reply::HELP_TEXT
            );
            return send(ctx, msg, &Rendered::text(text)).await.map(|_| ());
        }
        Kind::Direct => desk.ask_timed(&question, None, &desk.matcher().config())?,
    };
    let reply = answered.reply;
    let verdict = data.check_cooldown(msg.author.id.get(), started).await;
    if let Verdict::Wait {
        remaining,
        first_warning,
    } = verdict
    {
        // A public note once per cooldown; newsroom answers are simply skipped.
        if first_warning && matches!(kind, Kind::Direct) {
            send(ctx, msg, &render::cooldown_note(remaining)).await?;
        }
        return Ok(());
    }
    let key = question_key(&question, None);
    let earlier = data
        .earlier_answer(msg.channel_id.get(), &key, started)
        .await;
    if let Some(earlier) = earlier {
        send(ctx, msg, &render::repeat_pointer(&earlier.link)).await?;
        return Ok(());
    }
    let logged = data.reserve_question();
    let sent = send(ctx, msg, &render::reply_logged(&reply, logged)).await;
    data.metrics
        .question(crate::metrics::GATEWAY, reply.status, started.elapsed());
    data.log_question(
        logged,
        &reply,
        answered.elapsed,
        msg.guild_id,
        msg.channel_id,
        msg.author.id,
    );
    let sent = sent?;
    tracing::debug!(
        micros = started.elapsed().as_micros() as u64,
        status = reply.status.as_str(),
        "message answered"
    );
    if reply.status == Status::Answered {
        let url = message_link(msg.guild_id, msg.channel_id, sent.id);
        data.remember_answer(msg.channel_id.get(), key, url, Instant::now())
            .await;
    }
    Ok(())
}

/// A reply to `msg` (message reference, no pings, not even the person replied to).
async fn send(
    ctx: &serenity::Context,
    msg: &Message,
    rendered: &Rendered,
) -> Result<Message, Error> {
    let builder = rendered.to_message().reference_message(msg);
    Ok(msg.channel_id.send_message(&ctx.http, builder).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_recognised() {
        assert!(reads_as_question("how many migrants were deported"));
        assert!(reads_as_question("They said what?"));
        assert!(reads_as_question("  Who's involved  "));
        assert!(reads_as_question("¿qué? ?"));
        assert!(!reads_as_question("great article"));
        assert!(!reads_as_question(""));
        assert!(!reads_as_question("however, it works"));
    }
}

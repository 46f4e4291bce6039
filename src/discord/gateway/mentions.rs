//! Messages: "@factdesk how many …?" in a channel, anything in a DM, and plain questions
//! in newsroom channels (answered only when the desk is sure). The answer itself is the
//! shared [`flow`]'s.

use poise::serenity_prelude as serenity;
use serenity::{Message, MessageType, UserId};

use crate::discord::flow::{self, Asker, Place, Transport};
use crate::discord::{Data, Error};

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

/// Where a message asks, if it asks the bot at all.
fn place(data: &Data, bot: UserId, msg: &Message) -> Option<Place<'static>> {
    // Never answer bots, webhooks, system messages or ourselves: no loops.
    if msg.author.bot || msg.author.system || msg.webhook_id.is_some() || msg.author.id == bot {
        return None;
    }
    if !matches!(msg.kind, MessageType::Regular | MessageType::InlineReply) {
        return None;
    }
    if msg.guild_id.is_none() || mentions_bot(msg, bot) {
        Some(Place::Mention)
    } else if data.newsroom.contains(&msg.channel_id.get()) && reads_as_question(&msg.content) {
        Some(Place::Newsroom)
    } else {
        None
    }
}

/// Runs the answer flow for a message and replies with what it says.
pub async fn handle(
    ctx: &serenity::Context,
    data: &Data,
    bot: UserId,
    msg: &Message,
) -> Result<(), Error> {
    let Some(place) = place(data, bot, msg) else {
        return Ok(());
    };
    let asker = Asker {
        user: msg.author.id,
        guild: msg.guild_id,
        channel: msg.channel_id,
    };
    let outcome = flow::answer(data, &msg.content, place, asker, Transport::Gateway).await;
    let Some(rendered) = &outcome.rendered else {
        outcome.sent(data, None).await;
        return Ok(());
    };
    // A reply to the message, with no pings (not even the person replied to).
    let builder = rendered.to_message().reference_message(msg);
    let sent = msg.channel_id.send_message(&ctx.http, builder).await;
    outcome.sent(data, sent.as_ref().ok().map(|m| m.id)).await;
    sent?;
    Ok(())
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

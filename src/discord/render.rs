//! Replies as Discord messages: the one `Reply` model rendered to embeds, text and
//! buttons, plus the escaping of anything a person typed. No matching happens here.
//! Kept as one file past 600 lines only by its tests, which sit beside the escaping they check.

use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed,
    CreateEmbedFooter, CreateInteractionResponseMessage, CreateMessage, CreateSelectMenu,
    CreateSelectMenuKind, CreateSelectMenuOption,
};

use crate::knowledge::KnowledgeBase;
use crate::reply::HELP_TEXT;
use crate::reply::{covers_sentence, decline_sentence, Decline, Reply, Status, Suggestion};

/// How much of a person's text is echoed back.
pub const ECHO_CHARS: usize = 200;
/// Discord limits.
pub const MAX_CONTENT: usize = 2000;
pub const MAX_EMBED_TITLE: usize = 256;
pub const MAX_EMBED_DESCRIPTION: usize = 4096;
pub const MAX_FIELD_VALUE: usize = 1024;
pub const MAX_BUTTON_LABEL: usize = 80;
pub const MAX_CUSTOM_ID: usize = 100;
pub const MAX_CHOICE_CHARS: usize = 100;
/// Questions listed on one `/topics` page.
pub const TOPICS_PER_PAGE: usize = 10;

/// Custom id prefixes of the bot's components.
pub const ENTRY_ID: &str = "fd:entry:";
pub const TOPICS_ID: &str = "fd:topics:";
pub const PICK_ID: &str = "fd:pick";
/// `fd:vote:up:[<question id>:]<entry>` and `fd:vote:down:[<question id>:]<entry>`.
pub const VOTE_UP_ID: &str = "fd:vote:up:";
pub const VOTE_DOWN_ID: &str = "fd:vote:down:";

/// Embed colours: answered, informational.
const GREEN: u32 = 0x2e_a0_43;
const BLUE: u32 = 0x3b_82_f6;

/// A message ready to send as an interaction reply, a channel message or an update.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub content: String,
    pub embeds: Vec<CreateEmbed>,
    pub components: Vec<CreateActionRow>,
}

/// No pings, ever: every builder carries this.
pub fn no_pings() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
}

impl Rendered {
    pub fn text(content: impl Into<String>) -> Self {
        Rendered {
            content: shorten(&content.into(), MAX_CONTENT),
            ..Rendered::default()
        }
    }

    pub fn to_poise(&self, ephemeral: bool) -> poise::CreateReply {
        let mut reply = poise::CreateReply::default()
            .ephemeral(ephemeral)
            .allowed_mentions(no_pings())
            .components(self.components.clone());
        if !self.content.is_empty() {
            reply = reply.content(self.content.clone());
        }
        for e in &self.embeds {
            reply = reply.embed(e.clone());
        }
        reply
    }

    pub fn to_interaction(&self, ephemeral: bool) -> CreateInteractionResponseMessage {
        let mut msg = CreateInteractionResponseMessage::new()
            .ephemeral(ephemeral)
            .allowed_mentions(no_pings())
            .embeds(self.embeds.clone())
            .components(self.components.clone());
        if !self.content.is_empty() {
            msg = msg.content(self.content.clone());
        }
        msg
    }

    /// For pagination: replaces content, embeds and components of the clicked message.
    pub fn to_update(&self) -> CreateInteractionResponseMessage {
        CreateInteractionResponseMessage::new()
            .content(self.content.clone())
            .allowed_mentions(no_pings())
            .embeds(self.embeds.clone())
            .components(self.components.clone())
    }

    pub fn to_message(&self) -> CreateMessage {
        let mut msg = CreateMessage::new()
            .allowed_mentions(no_pings())
            .embeds(self.embeds.clone())
            .components(self.components.clone());
        if !self.content.is_empty() {
            msg = msg.content(self.content.clone());
        }
        msg
    }

    /// The JSON Discord would receive, for snapshots.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "content": self.content,
            "embeds": self.embeds,
            "components": self.components,
        })
    }
}

/// At most `max` characters, ending in `…` when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Characters that mean something to Discord markdown or to its mention and link parsing.
fn is_special(c: char) -> bool {
    matches!(
        c,
        '\\' | '*'
            | '_'
            | '~'
            | '`'
            | '|'
            | '>'
            | '<'
            | '['
            | ']'
            | '('
            | ')'
            | '#'
            | '-'
            | ':'
            | '@'
    )
}

/// Text shown literally: markdown escaped, mentions (`@everyone`, `<@id>`, `<#id>`, `<@&id>`)
/// broken, links not clickable (`https\://`). Control characters are dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            continue;
        }
        if c == '@' {
            // A zero-width space after `@` breaks mass mentions even where escapes are not honoured.
            out.push_str("\\@\u{200B}");
        } else if is_special(c) {
            out.push('\\');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

/// What a person typed, safe to echo: one line, at most [`ECHO_CHARS`] characters, escaped.
pub fn echo(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    escape(&shorten(&one_line, ECHO_CHARS))
}

fn entry_buttons(suggestions: &[Suggestion], style: ButtonStyle) -> Vec<CreateActionRow> {
    let buttons: Vec<CreateButton> = suggestions
        .iter()
        .take(crate::matcher::MAX_SUGGESTIONS)
        .filter(|s| ENTRY_ID.len() + s.entry.len() <= MAX_CUSTOM_ID)
        .map(|s| {
            CreateButton::new(format!("{ENTRY_ID}{}", s.entry))
                .label(shorten(&s.question, MAX_BUTTON_LABEL))
                .style(style)
        })
        .collect();
    if buttons.is_empty() {
        Vec::new()
    } else {
        vec![CreateActionRow::Buttons(buttons)]
    }
}

/// A reply from the desk as a Discord message.
pub fn reply(reply: &Reply) -> Rendered {
    reply_logged(reply, None)
}

/// [`reply`] for a question logged under `question`: its votes are tied to that question.
pub fn reply_logged(reply: &Reply, question: Option<i64>) -> Rendered {
    match reply.status {
        Status::Answered => answered(reply, question),
        Status::Suggested => {
            let mut content = String::from("Not sure — did you mean one of these?");
            if !reply.question.trim().is_empty() {
                content.push_str(&format!("\n-# You asked: {}", echo(&reply.question)));
            }
            Rendered {
                content: shorten(&content, MAX_CONTENT),
                embeds: Vec::new(),
                components: entry_buttons(&reply.suggestions, ButtonStyle::Primary),
            }
        }
        Status::Declined => declined(reply),
    }
}

fn answered(reply: &Reply, question: Option<i64>) -> Rendered {
    let mut embeds = vec![answer_embed(reply)];
    // A message that asked several questions: one embed for each answer, with its source.
    embeds.extend(reply.also.iter().map(|more| {
        answer_embed(more).field(
            "You also asked",
            shorten(&escape(&more.question), MAX_FIELD_VALUE),
            false,
        )
    }));
    let mut components = entry_buttons(&reply.related, ButtonStyle::Secondary);
    if let Some(entry) = reply.entry.as_deref() {
        let tied = question.map(|q| format!("{q}:{entry}"));
        let target = tied
            .as_deref()
            .filter(|t| VOTE_DOWN_ID.len() + t.len() <= MAX_CUSTOM_ID)
            .unwrap_or(entry);
        if VOTE_DOWN_ID.len() + target.len() <= MAX_CUSTOM_ID {
            components.push(vote_buttons(target));
        }
    }
    Rendered {
        content: String::new(),
        embeds,
        components,
    }
}

/// One answer as an embed: the answer, its source paragraph and quote, the confidence.
fn answer_embed(reply: &Reply) -> CreateEmbed {
    let mut embed = CreateEmbed::new().colour(GREEN).description(shorten(
        reply.answer.as_deref().unwrap_or_default(),
        MAX_EMBED_DESCRIPTION,
    ));
    if let Some(c) = &reply.citation {
        let place = match c.detail {
            Some(detail) => format!("The {} of *{}*", detail.label(), escape(&c.title)),
            None => format!("Paragraph {} of *{}*", c.paragraph, escape(&c.title)),
        };
        let quote = format!("{place}\n> “{}”", escape(&c.quote));
        embed = embed
            .title(shorten(&c.title, MAX_EMBED_TITLE))
            .field("Source", shorten(&quote, MAX_FIELD_VALUE), false)
            .field(
                "According to",
                shorten(&escape(&c.attribution), MAX_FIELD_VALUE),
                false,
            );
        if let Some(date) = &c.published {
            embed = embed.field(
                "Published",
                shorten(&date_text(date), MAX_FIELD_VALUE),
                true,
            );
        }
        if let Some(url) = c.url.as_deref().filter(|u| plain_link(u)) {
            embed = embed.url(url);
        }
    }
    let confidence = (reply.confidence.clamp(0.0, 1.0) * 100.0).round();
    embed.footer(CreateEmbedFooter::new(format!(
        "Confidence {confidence:.0}% · answers quote the report verbatim"
    )))
}

fn declined(reply: &Reply) -> Rendered {
    let mut content = match reply.decline {
        Some(Decline::SmallTalk) => HELP_TEXT.to_string(),
        Some(Decline::KnownGap) => decline_sentence(reply.note.as_deref(), escape),
        _ => decline_sentence(None, escape),
    };
    if !reply.topics.is_empty() {
        let topics: Vec<String> = reply.topics.iter().map(|t| escape(t)).collect();
        content.push('\n');
        content.push_str(&covers_sentence(&topics, reply.more_topics));
    }
    content.push_str("\nUse `/topics` to see every question I can answer.");
    if reply.decline != Some(Decline::SmallTalk) && !reply.question.trim().is_empty() {
        content.push_str(&format!("\n-# You asked: {}", echo(&reply.question)));
    }
    Rendered {
        content: shorten(&content, MAX_CONTENT),
        embeds: Vec::new(),
        components: entry_buttons(&reply.suggestions, ButtonStyle::Secondary),
    }
}

/// 👍 / 👎 under an answer; `target` is `<question id>:<entry>`, or the entry alone.
fn vote_buttons(target: &str) -> CreateActionRow {
    CreateActionRow::Buttons(vec![
        CreateButton::new(format!("{VOTE_UP_ID}{target}"))
            .emoji('👍')
            .style(ButtonStyle::Secondary),
        CreateButton::new(format!("{VOTE_DOWN_ID}{target}"))
            .emoji('👎')
            .style(ButtonStyle::Secondary),
    ])
}

/// The private acknowledgement of a vote.
pub fn vote_ack(up: bool) -> Rendered {
    Rendered::text(if up {
        "Thanks for the 👍 — noted. You can change your vote at any time."
    } else {
        "Thanks for the 👎 — the moderators will look at this answer. You can change your vote at any time."
    })
}

/// A 👎 for the moderators: the answer's question and answer, and where it was shown.
pub fn downvote_report(reply: &Reply, asked: Option<&str>, link: &str) -> Rendered {
    let mut content = format!(
        "👎 on the answer to **{}** ({link})",
        escape(&shorten(&reply.question, MAX_EMBED_TITLE))
    );
    if let Some(asked) = asked.filter(|a| !a.trim().is_empty()) {
        content.push_str(&format!("\nAsked: {}", echo(asked)));
    }
    if let Some(entry) = &reply.entry {
        content.push_str(&format!("\nEntry: `{}`", entry.replace('`', "'")));
    }
    let answer = CreateEmbed::new().colour(BLUE).description(shorten(
        reply.answer.as_deref().unwrap_or_default(),
        MAX_EMBED_DESCRIPTION,
    ));
    Rendered {
        content: shorten(&content, MAX_CONTENT),
        embeds: vec![answer],
        components: Vec::new(),
    }
}

/// The short note for a question asked again in the same channel.
pub fn repeat_pointer(link: &str) -> Rendered {
    Rendered::text(format!("That was just answered here: {link}"))
}

pub fn cooldown_note(remaining: std::time::Duration) -> Rendered {
    let secs = remaining.as_secs_f32().ceil().max(1.0);
    Rendered::text(format!("One moment — you can ask again in {secs:.0} s."))
}

/// What went wrong, told briefly; the details are in the log.
pub fn error_note() -> Rendered {
    Rendered::text("Sorry, something went wrong answering that. Please try again in a moment.")
}

/// A publication date as written; escaped unless it is a plain date like 2026-11-28.
fn date_text(date: &str) -> String {
    if date.chars().all(|c| c.is_ascii_digit() || c == '-') {
        date.to_string()
    } else {
        escape(date)
    }
}

/// A web address safe to link as it is: http(s), nothing that could end or restyle it.
fn plain_link(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[]`|".contains(c))
}

/// Reports with nothing to answer yet (a report just started has no entries).
fn reports_without_questions(kb: &KnowledgeBase) -> Vec<&str> {
    kb.reports
        .iter()
        .enumerate()
        .filter(|(i, _)| !kb.entries.iter().any(|e| e.report == *i && !e.is_gap()))
        .map(|(_, r)| r.title.as_str())
        .collect()
}

/// Questions grouped by topic, split into pages of about [`TOPICS_PER_PAGE`]; gaps skipped.
/// Each page is a list of (topic, entry indices).
pub fn topic_pages(kb: &KnowledgeBase) -> Vec<Vec<(String, Vec<usize>)>> {
    let mut pages: Vec<Vec<(String, Vec<usize>)>> = Vec::new();
    let mut page: Vec<(String, Vec<usize>)> = Vec::new();
    let mut count = 0;
    for topic in kb.topics(None) {
        let entries: Vec<usize> = kb
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.is_gap() && e.topic == topic)
            .map(|(i, _)| i)
            .collect();
        for chunk in entries.chunks(TOPICS_PER_PAGE) {
            if count + chunk.len() > TOPICS_PER_PAGE && !page.is_empty() {
                pages.push(std::mem::take(&mut page));
                count = 0;
            }
            count += chunk.len();
            page.push((topic.to_string(), chunk.to_vec()));
        }
    }
    if !page.is_empty() {
        pages.push(page);
    }
    pages
}

/// One page of `/topics`: the questions by topic, a menu to pick one, and page buttons.
pub fn topics_page(kb: &KnowledgeBase, page: usize) -> Rendered {
    let pages = topic_pages(kb);
    let empty: Vec<String> = reports_without_questions(kb)
        .into_iter()
        .map(|t| format!("*{}* has no questions yet.", escape(t)))
        .collect();
    if pages.is_empty() {
        return Rendered::text(if empty.is_empty() {
            "I don't know any reports yet.".to_string()
        } else {
            empty.join("\n")
        });
    }
    let page = page.min(pages.len() - 1);
    let mut description = String::new();
    let mut options = Vec::new();
    for (topic, entries) in &pages[page] {
        description.push_str(&format!("**{}**\n", escape(topic)));
        for &i in entries {
            let e = &kb.entries[i];
            description.push_str(&format!("• {}\n", escape(&e.question)));
            if e.id.len() <= MAX_CHOICE_CHARS {
                options.push(CreateSelectMenuOption::new(
                    shorten(&e.question, MAX_CHOICE_CHARS),
                    e.id.clone(),
                ));
            }
        }
    }
    if page + 1 == pages.len() && !empty.is_empty() {
        description.push_str(&format!("\n{}\n", empty.join("\n")));
    }
    let embed = CreateEmbed::new()
        .colour(BLUE)
        .title(format!("What I can answer ({}/{})", page + 1, pages.len()))
        .description(shorten(&description, MAX_EMBED_DESCRIPTION))
        .footer(CreateEmbedFooter::new(
            "Pick a question below, or ask your own with /ask.",
        ));
    let mut components = Vec::new();
    if !options.is_empty() {
        options.truncate(25);
        components.push(CreateActionRow::SelectMenu(
            CreateSelectMenu::new(PICK_ID, CreateSelectMenuKind::String { options })
                .placeholder("Pick a question"),
        ));
    }
    if pages.len() > 1 {
        let last = pages.len() - 1;
        components.push(CreateActionRow::Buttons(vec![
            CreateButton::new(format!("{TOPICS_ID}{}:prev", page.saturating_sub(1)))
                .label("◀ Previous")
                .style(ButtonStyle::Secondary)
                .disabled(page == 0),
            CreateButton::new(format!("{TOPICS_ID}{}:next", (page + 1).min(last)))
                .label("Next ▶")
                .style(ButtonStyle::Secondary)
                .disabled(page == last),
        ]));
    }
    Rendered {
        content: String::new(),
        embeds: vec![embed],
        components,
    }
}

/// `/source`: where answers come from, and optionally one paragraph verbatim.
pub fn source(kb: &KnowledgeBase, report: Option<usize>, paragraph: Option<i64>) -> Rendered {
    const HOW: &str =
        "Every answer names the paragraph it comes from and quotes the report's exact words. \
                       When the report doesn't answer a question, I say so instead of guessing.";
    let report = match (report, kb.reports.len()) {
        (Some(r), _) => r,
        (None, 1) => 0,
        (None, _) => {
            let mut description = format!("{HOW}\n\n");
            for r in &kb.reports {
                let published = r
                    .date
                    .as_deref()
                    .map(|d| format!(", published {}", date_text(d)))
                    .unwrap_or_default();
                let link = r
                    .url
                    .as_deref()
                    .filter(|u| plain_link(u))
                    .map(|u| format!("\n<{u}>"))
                    .unwrap_or_default();
                description.push_str(&format!(
                    "**{}** (`{}`)\n{}{published}{link}\n",
                    escape(&r.title),
                    escape(&r.id),
                    escape(&r.attribution)
                ));
            }
            let embed = CreateEmbed::new()
                .colour(BLUE)
                .title("Reports I answer from")
                .description(shorten(&description, MAX_EMBED_DESCRIPTION));
            return Rendered {
                embeds: vec![embed],
                ..Rendered::default()
            };
        }
    };
    let r = &kb.reports[report];
    let mut embed = CreateEmbed::new()
        .colour(BLUE)
        .title(shorten(&r.title, MAX_EMBED_TITLE));
    if let Some(url) = r.url.as_deref().filter(|u| plain_link(u)) {
        embed = embed.url(url);
    }
    embed = embed.field(
        "According to",
        shorten(&escape(&r.attribution), MAX_FIELD_VALUE),
        false,
    );
    if let Some(date) = &r.date {
        embed = embed.field(
            "Published",
            shorten(&date_text(date), MAX_FIELD_VALUE),
            true,
        );
    }
    match paragraph {
        None => {
            embed = embed.description(format!(
                "{HOW}\nThe report has {} paragraphs; `/source paragraph:<n>` shows one.",
                r.paragraphs.len()
            ));
        }
        Some(n) => match usize::try_from(n).ok().and_then(|n| r.paragraph(n)) {
            Some(text) => {
                embed = embed.field(
                    format!("Paragraph {n}"),
                    shorten(&escape(text), MAX_FIELD_VALUE),
                    false,
                );
            }
            None => {
                return Rendered::text(format!(
                    "There is no paragraph {n}: the report has paragraphs 1–{}.",
                    r.paragraphs.len()
                ));
            }
        },
    }
    Rendered {
        embeds: vec![embed],
        ..Rendered::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unescape(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.extend(chars.next()),
                '\u{200B}' => {}
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn escapes_mentions_markdown_and_links() {
        let e =
            echo("@everyone @here <@123> <#456> <@&789> **bold** [x](https://evil.example) `code`");
        assert!(!e.contains("@everyone") && !e.contains("@here"));
        assert!(!e.contains("<@") && !e.contains("<#"));
        assert!(!e.contains("https://"));
        assert!(!e.contains("**"));
        assert!(e.contains("\\*\\*bold\\*\\*"));
    }

    #[test]
    fn shortens_on_characters() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcd", 3), "ab…");
        assert_eq!(shorten("ééééé", 2), "é…");
        let long = "x".repeat(10_000);
        assert_eq!(echo(&long).chars().count(), ECHO_CHARS);
    }

    #[test]
    fn echo_is_one_line() {
        assert_eq!(echo("a\n# b\r\n\tc"), "a \\# b c");
    }

    proptest! {
        #[test]
        fn escape_round_trips_and_never_pings(s in "\\PC{0,300}") {
            let e = echo(&s);
            let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
            prop_assert_eq!(unescape(&e), shorten(&one_line, ECHO_CHARS).chars().filter(|c| !c.is_control()).collect::<String>());
            prop_assert!(!e.contains("@everyone") && !e.contains("@here") && !e.contains("<@"));
            prop_assert!(!e.to_lowercase().contains("http://") && !e.to_lowercase().contains("https://"));
            prop_assert!(e.chars().count() <= ECHO_CHARS * 3);
        }

        #[test]
        fn escape_handles_any_text(s in any::<String>()) {
            let e = escape(&s);
            prop_assert!(!e.contains("@everyone"));
            prop_assert!(!e.contains("<@"));
        }
    }
}

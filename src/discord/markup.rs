//! Discord's markup is not part of a question: mentions of people, roles and channels,
//! `@everyone` and `@here`, custom emoji, timestamps, spoiler and code marks are taken out
//! before a question is asked, so "<@&123> @here how many countries?" is read as the clean
//! question ("here" would otherwise be a word, and the role id an unknown number).

use std::sync::OnceLock;

use regex::Regex;

/// Mentions (`<@id>`, `<@!id>`, `<@&id>`, `<#id>`), custom emoji (`<:name:id>`,
/// `<a:name:id>`), timestamps (`<t:…>`) and slash-command mentions (`</name:id>`).
fn markup() -> &'static Regex {
    static MARKUP: OnceLock<Regex> = OnceLock::new();
    MARKUP.get_or_init(|| {
        Regex::new(
            r"(?x)
              <(?:@[!&]?|\#)\d+>
            | <a?:[A-Za-z0-9_~]+:\d+>
            | <t:-?\d+(?::[A-Za-z])?>
            | </[^<>:\s]+(?:\s[^<>:\s]+){0,2}:\d+>
            ",
        )
        .expect("the markup pattern compiles")
    })
}

/// `@everyone` and `@here` as Discord reads them: not inside an address ("me@here.com").
fn everyone() -> &'static Regex {
    static EVERYONE: OnceLock<Regex> = OnceLock::new();
    EVERYONE.get_or_init(|| {
        Regex::new(r"(^|[^\w.@])@(?:everyone|here)\b").expect("the pattern compiles")
    })
}

/// The question a message asks: its text without Discord markup (the bot's own mention
/// included, wherever it stands), spaces collapsed. Markdown emphasis stays: it is how
/// people write, and the tokenizer reads past it.
pub fn question_text(raw: &str) -> String {
    let plain = markup().replace_all(raw, " ");
    let plain = everyone().replace_all(&plain, "$1 ");
    // Spoiler bars and code backticks wrap words; the words are the question.
    let plain = plain.replace("||", " ").replace('`', " ");
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::Desk;
    use crate::knowledge::KnowledgeBase;

    #[test]
    fn markup_is_taken_out_and_words_kept() {
        for (raw, clean) in [
            ("<@42> how many?", "how many?"),
            ("how <@!42> many", "how many"),
            ("<@&123> @everyone @here how many", "how many"),
            ("in <#998> who is miller", "in who is miller"),
            (
                "<:party:123456> <a:wave:99> what is the goal",
                "what is the goal",
            ),
            ("since <t:1700000000:R> what changed", "since what changed"),
            ("||spoiler|| `code` words", "spoiler code words"),
            ("use </ask:123> please", "use please"),
            ("email me@here.com", "email me@here.com"),
            ("@everyone", ""),
            ("", ""),
        ] {
            assert_eq!(question_text(raw), clean, "{raw:?}");
        }
    }

    /// Each kind of markup around real questions gets the outcome the clean question gets.
    #[test]
    fn markup_around_a_question_changes_nothing() {
        let desk = Desk::new(KnowledgeBase::bundled().expect("bundled knowledge"));
        let questions = [
            "how many countries are they negotiating with?",
            "who is stephen miller",
            "how many people does the administration want to deport in a year",
        ];
        let wraps = [
            "<@900000000000000001> {}",
            "{} <@!900000000000000001>",
            "<@&123456789> @everyone @here {}",
            "<#123456789> {}",
            "<:thinking:123456789> {} <a:wave:987654321>",
            "<t:1700000000:R> {}",
            "||{}||",
            "`{}`",
        ];
        for q in questions {
            let clean = desk.ask(q, None).expect("asked");
            for wrap in wraps {
                let raw = wrap.replace("{}", q);
                let asked = desk.ask(&question_text(&raw), None).expect("asked");
                assert_eq!(
                    (asked.status, &asked.entry),
                    (clean.status, &clean.entry),
                    "{raw:?}"
                );
            }
        }
    }
}

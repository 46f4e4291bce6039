//! Replies as terminal text.

use std::fmt::Write as _;

use crate::reply::{covers_sentence, decline_sentence, Decline, Reply, Status, HELP_TEXT};

pub fn reply_text(reply: &Reply) -> String {
    let mut out = String::new();
    match reply.status {
        Status::Answered => {
            let _ = writeln!(out, "{}", reply.answer.as_deref().unwrap_or_default());
            if let Some(c) = &reply.citation {
                match c.detail {
                    Some(detail) => {
                        let _ = writeln!(
                            out,
                            "\nSource: {}, the report's details ({})",
                            c.title,
                            detail.label()
                        );
                    }
                    None => {
                        let _ = writeln!(out, "\nSource: {}, paragraph {}", c.title, c.paragraph);
                    }
                }
                let _ = writeln!(out, "  \"{}\"", c.quote);
                let _ = writeln!(out, "  According to: {}", c.attribution);
                if let Some(date) = &c.published {
                    let _ = writeln!(out, "  Published: {date}");
                }
                if let Some(url) = &c.url {
                    let _ = writeln!(out, "  {url}");
                }
            }
            let _ = writeln!(out, "Confidence: {:.0}%", reply.confidence * 100.0);
            for more in &reply.also {
                let _ = writeln!(out, "\nYou also asked: {}", more.question);
                out.push_str(&reply_text(more));
            }
            if !reply.related.is_empty() {
                let _ = writeln!(out, "\nRelated:");
                for s in &reply.related {
                    let _ = writeln!(out, "  - {}", s.question);
                }
            }
        }
        Status::Suggested => {
            let _ = writeln!(out, "Not sure. Did you mean:");
            for s in &reply.suggestions {
                let _ = writeln!(out, "  - {}", s.question);
            }
        }
        Status::Declined => {
            match reply.decline {
                Some(Decline::SmallTalk) => {
                    let _ = writeln!(out, "{HELP_TEXT}");
                }
                Some(Decline::KnownGap) => {
                    let _ = writeln!(
                        out,
                        "{}",
                        decline_sentence(reply.note.as_deref(), str::to_string)
                    );
                }
                _ => {
                    let _ = writeln!(out, "{}", decline_sentence(None, str::to_string));
                }
            }
            if !reply.topics.is_empty() {
                let _ = writeln!(out, "{}", covers_sentence(&reply.topics, reply.more_topics));
            }
            if !reply.suggestions.is_empty() {
                let _ = writeln!(out, "Closest questions it answers:");
                for s in &reply.suggestions {
                    let _ = writeln!(out, "  - {}", s.question);
                }
            }
        }
    }
    out
}

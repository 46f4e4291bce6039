//! Questions about a report itself rather than its story: who wrote it, which outlet
//! published it, when, and where to read it. They are answered from `report.toml` (the
//! byline, outlet, date and link), never from the article text. Pure: words in, the
//! detail asked for out.

use serde::Serialize;

use crate::matcher::fold;

/// A detail of a report that `report.toml` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    /// Who wrote it.
    Byline,
    /// The publication.
    Outlet,
    /// When it was published.
    Published,
    /// Where it can be read.
    Link,
}

impl Detail {
    /// What the detail is, as a reader calls it.
    pub fn label(self) -> &'static str {
        match self {
            Detail::Byline => "byline",
            Detail::Outlet => "outlet",
            Detail::Published => "publication date",
            Detail::Link => "link",
        }
    }
}

/// Ways of naming the piece itself ("this", "the article"): "who wrote the letter" is
/// about the story, "who wrote this article" about the report.
const PIECE: &[&str] = &[
    "this",
    "it",
    "this article",
    "the article",
    "this story",
    "the story",
    "this piece",
    "the piece",
    "this report",
    "this news",
    "this post",
    "the post",
];

/// Phrases that ask for a detail whatever else the question says.
const ASKS: &[(Detail, &[&str])] = &[
    (
        Detail::Byline,
        &[
            "byline",
            "who is the author",
            "whos the author",
            "who was the author",
            "what is the author",
            "name of the author",
            "authors name",
            "which reporter",
            "what reporter",
            "which journalist",
            "what journalist",
            "who is the reporter",
            "whos the reporter",
            "who is the journalist",
            "who authored",
        ],
    ),
    (
        Detail::Outlet,
        &[
            "which outlet",
            "what outlet",
            "which news outlet",
            "what news outlet",
            "which publication",
            "what publication",
            "which newspaper",
            "what newspaper",
            "which paper",
            "what paper is",
            "which news organization",
            "what news organization",
            "which site",
            "what site",
            "which website",
            "what website",
        ],
    ),
    (
        Detail::Published,
        &[
            "publication date",
            "publish date",
            "date of publication",
            "date published",
            "published date",
        ],
    ),
    (
        Detail::Link,
        &[
            "link to",
            "the link",
            "a link",
            "url",
            "source link",
            "original article",
            "full article",
            "read the full",
            "read the whole",
            "read it online",
        ],
    ),
];

/// Phrases that ask for a detail when followed by a way of naming the piece ("who
/// wrote" + "this").
const ASKS_ABOUT_PIECE: &[(Detail, &[&str])] = &[
    (
        Detail::Byline,
        &[
            "who wrote",
            "who has written",
            "who reported",
            "author of",
            "who is behind",
            "written by whom",
        ],
    ),
    (
        Detail::Outlet,
        &[
            "who published",
            "who ran",
            "where was",
            "where is",
            "which outlet published",
            "what outlet published",
        ],
    ),
    (
        Detail::Published,
        &["when was", "what date was", "what day was", "date of"],
    ),
    (
        Detail::Link,
        &["where can i read", "where do i read", "link for"],
    ),
];

/// Verbs that, after "when was <piece>" or "where was <piece>", make it about publishing.
const PUBLISHED: &[&str] = &[
    "published",
    "written",
    "posted",
    "released",
    "put out",
    "printed",
    "run",
    "from",
];

/// A question about a report itself: the detail it asks for, and whether it names the
/// piece beyond doubt ("this article", "the byline") or only as "it", which a story's
/// own subject may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asked {
    pub detail: Detail,
    pub certain: bool,
}

/// Words a question about the piece itself is made of.
const ABOUT_THE_PIECE: &[&str] = &[
    "a",
    "an",
    "and",
    "are",
    "article",
    "author",
    "authored",
    "break",
    "broke",
    "by",
    "byline",
    "can",
    "date",
    "day",
    "did",
    "do",
    "does",
    "for",
    "from",
    "full",
    "get",
    "give",
    "i",
    "in",
    "is",
    "it",
    "its",
    "journalist",
    "link",
    "me",
    "name",
    "news",
    "newspaper",
    "of",
    "on",
    "online",
    "or",
    "organization",
    "original",
    "outlet",
    "paper",
    "piece",
    "please",
    "post",
    "publication",
    "publish",
    "published",
    "publisher",
    "ran",
    "read",
    "report",
    "reported",
    "reporter",
    "run",
    "s",
    "site",
    "so",
    "source",
    "story",
    "tell",
    "that",
    "the",
    "this",
    "to",
    "url",
    "was",
    "website",
    "what",
    "whats",
    "when",
    "where",
    "which",
    "who",
    "whos",
    "wrote",
    "written",
    "you",
];

/// Where `phrase` stands as whole words in `text` (words between single spaces, with a
/// space at each end): the index of the space before it. No allocation: this runs for
/// every question.
fn word_at(text: &str, phrase: &str) -> Option<usize> {
    text.match_indices(phrase)
        .map(|(i, _)| i)
        .find(|&i| text[..i].ends_with(' ') && text[i + phrase.len()..].starts_with(' '))
        .map(|i| i - 1)
}

/// Does `text` (opening with a space) go on with `phrase` as whole words?
fn opens_with(text: &str, phrase: &str) -> bool {
    text.strip_prefix(' ')
        .and_then(|t| t.strip_prefix(phrase))
        .is_some_and(|t| t.starts_with(' '))
}

/// The detail a question asks for, if it asks about the report itself.
pub fn asks_about(question: &str) -> Option<Detail> {
    asked(question).map(|a| a.detail)
}

/// As [`asks_about`], with how surely it means the report itself.
pub fn asked(question: &str) -> Option<Asked> {
    // "who's" reads "whos", as the phrases are written.
    let words: Vec<String> = fold(question)
        .replace(['\'', '\u{2019}'], "")
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    if words.is_empty() || words.len() > 16 {
        return None;
    }
    let text = format!(" {} ", words.join(" "));
    for (detail, phrases) in ASKS {
        if phrases.iter().any(|p| word_at(&text, p).is_some()) {
            // "which paper did the officials talk to" names a paper in the story: only a
            // question made of words about the piece itself is surely about it.
            let certain = words.iter().all(|w| ABOUT_THE_PIECE.contains(&w.as_str()));
            return Some(Asked {
                detail: *detail,
                certain,
            });
        }
    }
    for (detail, phrases) in ASKS_ABOUT_PIECE {
        for phrase in *phrases {
            let Some(at) = word_at(&text, phrase) else {
                continue;
            };
            let rest = &text[at + phrase.len() + 1..];
            let Some(piece) = PIECE
                .iter()
                .filter(|p| opens_with(rest, p))
                .max_by_key(|p| p.len())
            else {
                continue;
            };
            let mut after = &rest[piece.len() + 1..];
            let needs_verb = matches!(
                (*detail, *phrase),
                (Detail::Published, "when was")
                    | (Detail::Outlet, "where was" | "where is")
                    | (Detail::Published, "what date was" | "what day was")
            );
            if needs_verb {
                let Some(verb) = PUBLISHED.iter().find(|v| opens_with(after, v)) else {
                    continue;
                };
                after = &after[verb.len() + 1..];
            }
            // "where is it" alone asks for a place in the story.
            if *phrase == "where is" && needs_verb && !text.contains(" published ") {
                continue;
            }
            // "who reported it to the police" is about the story: the piece ends the
            // question, give or take a couple of words ("online", "first").
            if after.split_whitespace().count() > 2 {
                continue;
            }
            return Some(Asked {
                detail: *detail,
                certain: *piece != "it",
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_about_the_piece_itself_are_recognised() {
        for (q, d) in [
            ("Who wrote this?", Detail::Byline),
            ("who wrote this article", Detail::Byline),
            ("who's the author", Detail::Byline),
            ("Which reporter covered it?", Detail::Byline),
            ("which outlet is this from", Detail::Outlet),
            ("What newspaper published it?", Detail::Outlet),
            ("who published this story", Detail::Outlet),
            ("When was this published?", Detail::Published),
            ("when was the article written", Detail::Published),
            ("what's the publication date", Detail::Published),
            ("where is the link", Detail::Link),
            ("Where can I read the full article?", Detail::Link),
            ("got a url?", Detail::Link),
        ] {
            assert_eq!(asks_about(q), Some(d), "{q:?}");
        }
    }

    #[test]
    fn only_questions_made_of_words_about_the_piece_are_certain() {
        for (q, certain) in [
            ("which outlet published this", true),
            ("who is the author", true),
            ("when was this article published", true),
            ("when was it published", false),
            ("which paper did the insiders talk to", false),
            (
                "Which outlet broke this story and who were its sources?",
                false,
            ),
        ] {
            assert_eq!(asked(q).map(|a| a.certain), Some(certain), "{q:?}");
        }
    }

    #[test]
    fn questions_about_the_story_are_left_to_the_matcher() {
        for q in [
            "who wrote the letter to the council",
            "when was the plan announced",
            "when was it approved",
            "where is it going to be built",
            "where was the meeting",
            "who reported the leak to the police",
            "who reported it to the police yesterday",
            "how old is the mayor",
            "what did the paper mill announce",
            "",
        ] {
            assert_eq!(asks_about(q), None, "{q:?}");
        }
    }
}

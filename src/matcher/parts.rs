//! The questions a message asks, when it asks several ("how many have final orders,
//! and how many undocumented people are there?"): each is answered on its own, so one
//! answer does not stand in for two.

/// Words that open a question of their own after "and", a comma or a new sentence.
const OPENERS: &[&str] = &[
    "how", "what", "whats", "who", "whos", "which", "where", "when", "why", "is", "are", "was",
    "were", "did", "does", "do", "has", "have", "can", "could", "will", "would",
];
/// Passed over before the opener ("also how many…", "and second, who…").
const LEAD_INS: &[&str] = &[
    "and", "also", "plus", "then", "so", "ok", "okay", "first", "second", "third", "last",
    "lastly", "finally", "but",
];
/// Fewest words a part needs to be asked on its own.
const MIN_PART_WORDS: usize = 3;

/// The questions `text` asks, in order, when it asks at least two; else nothing. A part
/// is a sentence that ends with "?" or opens like a question, split again where ", and"
/// or "and" is followed by a new question ("…in the US, and how many…").
pub fn question_parts(text: &str) -> Vec<String> {
    // Every question goes through here: two parts need at least twice a part's words, so
    // a short question is settled without splitting anything.
    if text
        .split_whitespace()
        .nth(2 * MIN_PART_WORDS - 1)
        .is_none()
    {
        return Vec::new();
    }
    let mut parts = Vec::new();
    for (sentence, asked) in sentences(text) {
        let words: Vec<&str> = sentence.split_whitespace().collect();
        let mut start = 0;
        for i in 1..words.len() {
            let joint = bare(words[i - 1]).is_empty()
                || words[i - 1].ends_with(',')
                || words[i - 1].ends_with(';')
                || words[i - 1].ends_with(':')
                || matches!(bare(words[i]).as_str(), "and" | "also" | "plus");
            if joint && opens_question(&words[i..]) && i - start >= MIN_PART_WORDS {
                push_part(&mut parts, &words[start..i], true);
                start = i;
            }
        }
        let rest = &words[start..];
        push_part(&mut parts, rest, asked || opens_question(rest));
    }
    if parts.len() >= 2 {
        parts
    } else {
        Vec::new()
    }
}

fn push_part(parts: &mut Vec<String>, words: &[&str], asked: bool) {
    if asked && words.len() >= MIN_PART_WORDS && opens_question(words) {
        // Shown back to the reader: without the "and" that joined it or a trailing comma.
        let start = words
            .iter()
            .position(|w| !LEAD_INS.contains(&bare(w).as_str()))
            .unwrap_or(0);
        let text = words[start..].join(" ");
        parts.push(text.trim_end_matches([',', ';', ':']).to_string());
    }
}

/// Sentences, with whether each ended with a question mark.
fn sentences(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let end = match c {
            '?' | '!' | '\n' => true,
            // A full stop or colon ends a sentence only before a space ("1.4 million",
            // "10:30" do not): "couple things: who is…" starts a question after it.
            '.' | ':' => chars.peek().is_none_or(|n| n.is_whitespace()),
            _ => false,
        };
        if end {
            while chars.peek().is_some_and(|n| matches!(n, '?' | '!' | '.')) {
                chars.next();
            }
            if !current.trim().is_empty() {
                out.push((current.trim().to_string(), c == '?'));
            }
            current.clear();
        } else {
            current.push(c);
        }
    }
    if !current.trim().is_empty() {
        out.push((current.trim().to_string(), false));
    }
    out
}

fn bare(word: &str) -> String {
    word.chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

/// Does the text, after lead-ins, open with a question word?
fn opens_question(words: &[&str]) -> bool {
    words
        .iter()
        .map(|w| bare(w))
        .find(|w| !w.is_empty() && !LEAD_INS.contains(&w.as_str()))
        .is_some_and(|w| OPENERS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_questions_joined_by_and_are_two_parts() {
        let parts = question_parts(
            "two things for the graphic: how many undocumented immigrants are in the US, \
             and how many people with final removal orders are still here? need both",
        );
        assert_eq!(
            parts,
            [
                "how many undocumented immigrants are in the US",
                "how many people with final removal orders are still here",
            ]
        );
    }

    #[test]
    fn questions_in_separate_sentences_are_parts_and_the_story_is_not() {
        let parts = question_parts(
            "been lurking a while. theres staffing issues right? what did they ask congress \
             for, and is anyone besides ICE helping track ppl down",
        );
        assert_eq!(
            parts,
            [
                "what did they ask congress for",
                "is anyone besides ICE helping track ppl down",
            ]
        );
    }

    #[test]
    fn a_colon_ends_the_lead_in() {
        let parts = question_parts(
            "couple things: who's the white house guy working with DHS every day on this, \
             and which newspaper did the officials talk to",
        );
        assert_eq!(
            parts,
            [
                "who's the white house guy working with DHS every day on this",
                "which newspaper did the officials talk to",
            ]
        );
    }

    #[test]
    fn one_question_is_not_split() {
        assert!(question_parts("How many migrants and asylum seekers are there?").is_empty());
        assert!(question_parts("whats the goal").is_empty());
        assert!(question_parts("My uncle says 1.4 million. Is that right?").is_empty());
        assert!(question_parts("").is_empty());
    }
}

//! From raw text to tokens: Unicode folding, numbers in one canonical form, word stems.
//! Pure functions shared by the index (knowledge text) and by queries, so both sides
//! are reduced the same way.

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// One word of a text, in the forms the matcher needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Folded surface form: lowercase, no accents, no apostrophes.
    pub surface: String,
    /// Written with a capital inside a sentence (a name the reader means precisely).
    pub capitalized: bool,
    /// A number, stored as `#<value>` in `surface`.
    pub number: bool,
    /// Said around the question rather than in it: outside every sentence that ends
    /// with `?`, in a text that has one ("My uncle keeps saying X. What is Y?").
    pub context: bool,
}

/// Lowercase, NFKC (full-width and compatibility forms), accents removed, typographic
/// quotes and dashes made plain.
pub fn fold(text: &str) -> String {
    // Plain ASCII (most of what people type) needs none of the Unicode work.
    if text.is_ascii() {
        let mut folded = text.to_ascii_lowercase();
        if folded.contains('`') {
            folded = folded.replace('`', "'");
        }
        return folded;
    }
    text.nfkc()
        .collect::<String>()
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '`' | '\u{00B4}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => '"',
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Words written as numbers, and multipliers.
fn number_word(word: &str) -> Option<u64> {
    Some(match word {
        "zero" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        "eleven" => 11,
        "twelve" => 12,
        "thirteen" => 13,
        "fourteen" => 14,
        "fifteen" => 15,
        "twenty" => 20,
        "thirty" => 30,
        "forty" => 40,
        "fifty" => 50,
        "hundred" => 100,
        _ => return None,
    })
}

fn multiplier(word: &str) -> Option<u64> {
    Some(match word {
        "k" | "thousand" | "thou" => 1_000,
        "m" | "mil" | "mio" | "mln" | "million" => 1_000_000,
        "b" | "bn" | "billion" => 1_000_000_000,
        _ => return None,
    })
}

/// Ordinal words, so that a misspelt one ("secnd") can be corrected to one.
pub const ORDINAL_WORDS: [&str; 5] = ["first", "second", "third", "fourth", "fifth"];

/// Ordinals read as their number, so "second year" is a number the report may not know.
pub fn ordinal(word: &str) -> Option<&'static str> {
    Some(match word {
        "first" | "1st" => "#1st",
        "second" | "2nd" => "#2nd",
        "third" | "3rd" => "#3rd",
        "fourth" | "4th" => "#4th",
        "fifth" | "5th" => "#5th",
        _ => return None,
    })
}

/// Splits folded text into raw words: letters and digits, keeping `1.4` and `400,000`
/// together and dropping apostrophes (`don't` → `dont`, `obama's` → `obama`).
/// Each word comes with the number of its sentence; the second list tells, per
/// sentence, whether it ends with a question mark.
fn raw_words(original: &str) -> (Vec<(String, bool, usize)>, Vec<bool>) {
    let mut words = Vec::new();
    let mut questions = vec![false];
    let mut current = String::new();
    let mut capital = false;
    let mut sentence_start = true;
    let unified: String = if original.is_ascii() {
        original.to_string()
    } else {
        original.nfkc().collect()
    };
    let mut chars = unified.chars().peekable();
    let mut prev_digit = false;
    let flush = |current: &mut String,
                 capital: bool,
                 sentence: usize,
                 words: &mut Vec<(String, bool, usize)>| {
        if !current.is_empty() {
            let mut word = fold(current);
            if word.ends_with("'s") {
                word.truncate(word.len() - 2);
            }
            word.retain(|c| c != '\'');
            if !word.is_empty() {
                words.push((word, capital, sentence));
            }
            current.clear();
        }
    };
    while let Some(c) = chars.next() {
        let keep_number_sep = (c == '.' || c == ',')
            && prev_digit
            && chars.peek().is_some_and(|n| n.is_ascii_digit());
        let apostrophe = matches!(c, '\'' | '\u{2019}')
            && !current.is_empty()
            && chars.peek().is_some_and(|n| n.is_alphabetic());
        if c.is_alphanumeric() || keep_number_sep || apostrophe {
            if current.is_empty() {
                capital = c.is_uppercase() && !sentence_start;
                sentence_start = false;
            }
            current.push(c);
        } else {
            let sentence = questions.len() - 1;
            flush(&mut current, capital, sentence, &mut words);
            if c == '$' {
                words.push(("$".to_string(), false, sentence));
            }
            if matches!(c, '.' | '?' | '!' | ':' | '\n') {
                sentence_start = true;
                // A sentence ends here if it has words ("??" and "..." end one).
                if words.last().is_some_and(|w| w.2 == sentence) {
                    questions.push(false);
                }
                if c == '?' {
                    questions[sentence] = true;
                }
            }
        }
        prev_digit = c.is_ascii_digit();
    }
    let sentence = questions.len() - 1;
    flush(&mut current, capital, sentence, &mut words);
    // A tag ("anyone know?", "is that true?") asks nothing of its own: the question is
    // the sentence that says what is asked, so a tag does not make the rest story.
    if questions.iter().any(|&q| q) {
        let mut tag = vec![true; questions.len()];
        for (word, _, sentence) in &words {
            if !TAG_WORDS.contains(&word.as_str()) {
                tag[*sentence] = false;
            }
        }
        for (asks, tag) in questions.iter_mut().zip(tag) {
            *asks &= !tag;
        }
    }
    // Without a question mark, the sentences that ask (a question word in them) are the
    // question and the rest is story ("...need to know which department. my prof says").
    if questions.len() > 1 && !questions.contains(&true) {
        for (word, _, sentence) in &words {
            if QUESTION_WORDS.contains(&word.as_str()) {
                questions[*sentence] = true;
            }
        }
    }
    (words, questions)
}

/// Words a tag question is made of alone ("does anyone know?", "is that right??").
const TAG_WORDS: &[&str] = &[
    "anyone", "anybody", "someone", "somebody", "does", "do", "know", "knows", "any", "idea",
    "ideas", "is", "isnt", "was", "that", "this", "it", "true", "right", "correct", "real",
    "thoughts", "or", "not", "am", "i", "wrong", "idk", "pls", "please", "help", "so", "ok",
    "really", "sure", "for", "lol", "yes", "no", "huh", "eh",
];

/// Words that make a sentence without a question mark a question.
const QUESTION_WORDS: &[&str] = &[
    "what", "whats", "which", "who", "whos", "whom", "how", "why", "where", "when",
];

fn parse_digits(word: &str) -> Option<f64> {
    if !word.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    // "400,000" groups thousands; "1,4" is a European decimal.
    let grouped = word.contains(',') && word.split(',').skip(1).all(|g| g.len() == 3);
    let plain = if grouped {
        word.replace(',', "")
    } else {
        word.replace(',', ".")
    };
    plain.parse().ok()
}

/// Splits `400k`, `1.4m`, `2024` into a value and an optional glued multiplier.
fn split_number(word: &str) -> Option<(f64, Option<u64>)> {
    if let Some(v) = parse_digits(word) {
        return Some((v, None));
    }
    let digits_end = word.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))?;
    let (num, suffix) = word.split_at(digits_end);
    let v = parse_digits(num)?;
    multiplier(suffix).map(|m| (v, Some(m)))
}

fn number_token(value: f64) -> Token {
    let surface = if value.fract() == 0.0 && value < 1e15 {
        format!("#{}", value as u64)
    } else {
        format!("#{value}")
    };
    Token {
        surface,
        capitalized: false,
        number: true,
        context: false,
    }
}

/// Tokens of `text`: folded words, with numbers merged into one canonical token
/// (`1.4 million`, `1,400,000` and `1.4m` all become `#1400000`).
pub fn tokenize(text: &str) -> Vec<Token> {
    let (mut words, questions) = raw_words(text);
    let asks = questions.iter().any(|&q| q);
    let mut tokens = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let (word, capital, sentence) = &words[i];
        let context = asks && !questions[*sentence];
        let next = words.get(i + 1).map(|(w, _, _)| w.as_str());
        let next2 = words.get(i + 2).map(|(w, _, _)| w.as_str());
        // "1.4 million", "400k", "one million", "a million", "one point four million"
        let mut value = split_number(word).map(|(v, m)| v * m.unwrap_or(1) as f64);
        let mut used = 1;
        if value.is_none() {
            // "one of the 30 countries" picks one out, it counts nothing.
            let pronoun = word == "one" && next == Some("of");
            if let Some(n) = number_word(word).filter(|_| !pronoun) {
                value = Some(n as f64);
                if next == Some("point") {
                    if let Some(frac) = next2.and_then(number_word).filter(|f| *f < 10) {
                        value = Some(n as f64 + frac as f64 / 10.0);
                        used = 3;
                    }
                }
            } else if word == "a" && next.and_then(multiplier).is_some_and(|m| m >= 1_000) {
                value = Some(1.0);
            }
        }
        if let Some(v) = value {
            let after = words.get(i + used).map(|(w, _, _)| w.as_str());
            let glued = split_number(word).is_some_and(|(_, m)| m.is_some());
            let scaled = match after.and_then(multiplier) {
                Some(m)
                    if !glued
                        && after.is_some_and(|w| {
                            w.len() > 1
                                || word
                                    .chars()
                                    .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
                        }) =>
                {
                    used += 1;
                    v * m as f64
                }
                _ => v,
            };
            if word == "a" && used == 1 {
                tokens.push(Token {
                    surface: word.clone(),
                    capitalized: false,
                    number: false,
                    context,
                });
            } else {
                tokens.push(Token {
                    context,
                    ..number_token(scaled)
                });
            }
            i += used;
            continue;
        }
        if let Some(ord) = ordinal(word) {
            tokens.push(Token {
                surface: ord.to_string(),
                capitalized: false,
                number: true,
                context,
            });
        } else {
            let capitalized = *capital;
            tokens.push(Token {
                // Numbers only look ahead: this word is not read again.
                surface: std::mem::take(&mut words[i].0),
                capitalized,
                number: false,
                context,
            });
        }
        i += 1;
    }
    tokens
}

/// Reduces a word to its stem ("deportations" → "deport"); numbers are kept whole.
pub struct WordStemmer {
    stemmer: Stemmer,
}

impl Default for WordStemmer {
    fn default() -> Self {
        Self {
            stemmer: Stemmer::create(Algorithm::English),
        }
    }
}

impl WordStemmer {
    pub fn stem(&self, surface: &str) -> String {
        if surface.starts_with('#') || surface == "$" {
            surface.to_string()
        } else {
            self.stemmer.stem(surface).into_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn surfaces(text: &str) -> Vec<String> {
        tokenize(text).into_iter().map(|t| t.surface).collect()
    }

    #[test]
    fn folding_handles_unicode_forms() {
        let cases = [
            ("Guantánamo", "guantanamo"),
            ("ＦＢＩ", "fbi"),
            ("Obama’s", "obama's"),
            ("“thousands”", "\"thousands\""),
            ("full‐of‐government", "full-of-government"),
            ("ÉCOLE", "ecole"),
        ];
        for (input, want) in cases {
            assert_eq!(fold(input), want, "fold({input:?})");
        }
    }

    #[test]
    fn numbers_take_one_canonical_form() {
        let cases: [(&str, &[&str]); 13] = [
            ("1.4 million", &["#1400000"]),
            ("1,400,000", &["#1400000"]),
            ("1.4m people", &["#1400000", "people"]),
            ("400,000", &["#400000"]),
            ("400k", &["#400000"]),
            ("one million", &["#1000000"]),
            ("a million migrants", &["#1000000", "migrants"]),
            ("1 mil", &["#1000000"]),
            ("eleven million", &["#11000000"]),
            ("one point four million", &["#1400000"]),
            ("in 2024", &["in", "#2024"]),
            ("a plan", &["a", "plan"]),
            ("one of them", &["one", "of", "them"]),
        ];
        for (input, want) in cases {
            assert_eq!(surfaces(input), want, "tokenize({input:?})");
        }
    }

    #[test]
    fn words_lose_apostrophes_and_possessives() {
        assert_eq!(surfaces("Obama's record"), ["obama", "record"]);
        assert_eq!(surfaces("don't arent"), ["dont", "arent"]);
        assert_eq!(surfaces("second year, 2nd"), ["#2nd", "year", "#2nd"]);
        assert_eq!(surfaces("$$ for this"), ["$", "$", "for", "this"]);
    }

    #[test]
    fn capitals_inside_a_sentence_are_marked() {
        let tokens = tokenize("How many did Canada deport? Canada again");
        let marked: Vec<_> = tokens
            .iter()
            .filter(|t| t.capitalized)
            .map(|t| t.surface.as_str())
            .collect();
        assert_eq!(marked, ["canada"]);
    }

    #[test]
    fn words_around_a_question_are_context() {
        let tokens = tokenize("My uncle says 5 million. How many in year one? asking for a friend");
        let context: Vec<_> = tokens
            .iter()
            .filter(|t| t.context)
            .map(|t| t.surface.as_str())
            .collect();
        assert_eq!(
            context,
            ["my", "uncle", "says", "#5000000", "asking", "for", "a", "friend"]
        );
        // Without a question mark or a question word nothing is context; "1.4" does not
        // end a sentence.
        assert!(tokenize("so 1.4 million. and the rest")
            .iter()
            .all(|t| !t.context));
        // Without a question mark, the sentence with a question word asks.
        let asked: Vec<_> = tokenize("need to know which agency. my prof says be specific")
            .into_iter()
            .filter(|t| !t.context)
            .map(|t| t.surface)
            .collect();
        assert_eq!(asked, ["need", "to", "know", "which", "agency"]);
        assert!(tokenize("what about the 1.4 million?")
            .iter()
            .all(|t| !t.context));
    }

    #[test]
    fn a_tag_question_leaves_the_question_to_the_sentence_that_asks() {
        let asked = |text: &str| -> Vec<String> {
            tokenize(text)
                .into_iter()
                .filter(|t| !t.context)
                .map(|t| t.surface)
                .collect()
        };
        assert_eq!(
            asked("the vote is done. I wonder what the group asks for next. Anyone know?"),
            ["i", "wonder", "what", "the", "group", "asks", "for", "next"]
        );
        assert_eq!(
            asked("my cousin says it shut before. is that true? how long was it closed"),
            ["how", "long", "was", "it", "closed"]
        );
        // A question that names what it asks is no tag.
        assert_eq!(
            asked("my cousin says it shut. is the plant closed?"),
            ["is", "the", "plant", "closed"]
        );
    }

    #[test]
    fn junk_never_panics() {
        for text in [
            "",
            "   ",
            "🤡🤡",
            "\u{0}\u{7}",
            "1.2.3,4,,5",
            "9999999999999999999999999 million",
            "'''",
            "a'",
        ] {
            let _ = tokenize(text);
        }
    }
}

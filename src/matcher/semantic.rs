//! Sentence vectors with no model at match time: every word piece of a small sentence
//! model's vocabulary was passed through the model alone, offline, and a text's vector
//! is the mean of its pieces' vectors (`scripts/distill-word-vectors.py` made
//! `semantic/vectors.bin` from all-MiniLM-L6-v2).
//!
//! What it is for: an editor's few phrasings rarely use a reader's words ("walkout" for
//! "strike", "price tag" for "cost"). The closeness of meaning between a question and an
//! entry's phrasings and answer reorders the shortlist the word match found and tells
//! the calibration how far the meaning agrees. Over twenty reports each left out of the
//! fit it lifted the right first choice and separated right answers from wrong ones
//! where WordNet and single-word neighbours did not (docs/quality-log.md).

use std::sync::LazyLock;

use rustc_hash::FxHashMap as HashMap;
use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

/// Dimensions of every vector.
pub const DIMS: usize = 128;

/// Longest word split into pieces; a longer one is unknown (as in the model's tokenizer).
const MAX_WORD_CHARS: usize = 100;

/// The word pieces and their vectors, as signed bytes with one scale a piece.
struct Pieces {
    index: HashMap<&'static str, u32>,
    scales: Vec<f32>,
    bytes: &'static [u8],
}

static PIECES: LazyLock<Pieces> = LazyLock::new(|| {
    Pieces::parse(
        include_str!("semantic/vocab.txt"),
        include_bytes!("semantic/vectors.bin"),
    )
});

impl Pieces {
    fn parse(vocab: &'static str, data: &'static [u8]) -> Pieces {
        let word = |at: usize| u32::from_le_bytes(data[at..at + 4].try_into().expect("4 bytes"));
        let (count, dims) = (word(0) as usize, word(4) as usize);
        assert_eq!(
            dims, DIMS,
            "vectors.bin holds {dims} dimensions, not {DIMS}"
        );
        let scales: Vec<f32> = data[8..8 + 4 * count]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        let bytes = &data[8 + 4 * count..];
        assert_eq!(bytes.len(), count * DIMS, "vectors.bin is cut short");
        let index: HashMap<&'static str, u32> = vocab
            .lines()
            .enumerate()
            .map(|(i, piece)| (piece, i as u32))
            .collect();
        assert_eq!(index.len(), count, "vocab.txt and vectors.bin disagree");
        Pieces {
            index,
            scales,
            bytes,
        }
    }

    /// Splits one word into the longest known pieces, left to right (WordPiece); a word
    /// that cannot be split is left out whole, as the model reads it as unknown.
    fn split(&self, word: &str, out: &mut Vec<u32>, buffer: &mut String) {
        if word.len() > MAX_WORD_CHARS && word.chars().count() > MAX_WORD_CHARS {
            return;
        }
        let mark = out.len();
        let mut start = 0;
        while start < word.len() {
            let mut end = word.len();
            let found = loop {
                let piece = if start == 0 {
                    &word[..end]
                } else {
                    buffer.clear();
                    buffer.push_str("##");
                    buffer.push_str(&word[start..end]);
                    buffer.as_str()
                };
                if let Some(&id) = self.index.get(piece) {
                    break Some(id);
                }
                // One character shorter.
                end = word[..end]
                    .char_indices()
                    .next_back()
                    .map_or(start, |(i, _)| i);
                if end <= start {
                    break None;
                }
            };
            match found {
                Some(id) => {
                    out.push(id);
                    start = end;
                }
                None => {
                    out.truncate(mark);
                    return;
                }
            }
        }
    }

    /// The sum of the pieces' vectors.
    fn sum(&self, ids: &[u32]) -> [f32; DIMS] {
        let mut sum = [0.0f32; DIMS];
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor was just found to support AVX2.
            unsafe { sum_avx2(self, ids, &mut sum) };
            return sum;
        }
        sum_plain(self, ids, &mut sum);
        sum
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sum_avx2(pieces: &Pieces, ids: &[u32], sum: &mut [f32; DIMS]) {
    sum_plain(pieces, ids, sum);
}

#[inline(always)]
fn sum_plain(pieces: &Pieces, ids: &[u32], sum: &mut [f32; DIMS]) {
    for &id in ids {
        let scale = pieces.scales[id as usize];
        let row: &[u8; DIMS] = pieces.bytes[id as usize * DIMS..(id as usize + 1) * DIMS]
            .try_into()
            .expect("a row is DIMS bytes");
        // An index loop over fixed-size arrays, no closure, so it compiles to wide
        // instructions (see `nearest_plain`).
        let mut k = 0;
        while k < DIMS {
            sum[k] += scale * f32::from(row[k] as i8);
            k += 1;
        }
    }
}

/// Calls `f` with each of the model tokenizer's words: lowercase, accents removed, every
/// punctuation mark or symbol a word of its own.
fn for_each_word(text: &str, mut f: impl FnMut(&str)) {
    let folded: String = if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        text.nfd()
            .filter(|c| !is_combining_mark(*c))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let mut start = None;
    for (at, c) in folded.char_indices() {
        if c.is_alphanumeric() {
            start.get_or_insert(at);
            continue;
        }
        if let Some(from) = start.take() {
            f(&folded[from..at]);
        }
        if !c.is_whitespace() && !c.is_control() {
            f(&folded[at..at + c.len_utf8()]);
        }
    }
    if let Some(from) = start {
        f(&folded[from..]);
    }
}

/// The word pieces of `text`, as the model's vocabulary spells them.
#[cfg(test)]
fn pieces(text: &str) -> Vec<&'static str> {
    let vocab: Vec<&'static str> = include_str!("semantic/vocab.txt").lines().collect();
    piece_ids(text)
        .into_iter()
        .map(|id| vocab[id as usize])
        .collect()
}

fn piece_ids(text: &str) -> Vec<u32> {
    let pieces = &*PIECES;
    let mut ids = Vec::new();
    let mut buffer = String::new();
    for_each_word(text, |word| pieces.split(word, &mut ids, &mut buffer));
    ids
}

/// The unit vector of `text`'s meaning; `None` when no piece of it is known.
pub fn embed(text: &str) -> Option<[f32; DIMS]> {
    let pieces = &*PIECES;
    let ids = piece_ids(text);
    if ids.is_empty() {
        return None;
    }
    let mut sum = pieces.sum(&ids);
    let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm <= f32::EPSILON {
        return None;
    }
    sum.iter_mut().for_each(|x| *x /= norm);
    Some(sum)
}

/// Unit vectors kept compactly: signed bytes with one scale each (an entry keeps one
/// for each phrasing and its answer).
#[derive(Default)]
pub(super) struct Packed {
    scales: Vec<f32>,
    bytes: Vec<i8>,
}

impl Packed {
    /// Appends `v`.
    fn push(&mut self, v: &[f32; DIMS]) {
        let (scale, bytes) = quantise(v);
        self.scales.push(scale);
        self.bytes.extend_from_slice(&bytes);
    }

    /// Appends `v` unless a row already holds nearly the same meaning (cosine at least
    /// `near`) or it has none; returns the new row. A question is compared with every
    /// row of every shortlisted entry, so rows that say the same twice only cost time.
    pub(super) fn push_distinct(&mut self, v: Option<[f32; DIMS]>, near: f32) -> Option<usize> {
        let v = v?;
        if self.nearest(&Query::new(&v), None) >= near {
            return None;
        }
        self.push(&v);
        Some(self.scales.len() - 1)
    }

    /// Cosine of row `i` with the query `q`.
    #[inline(always)]
    fn cosine(&self, i: usize, q: &Query) -> f32 {
        self.scales[i] * q.scale * dot(&self.bytes[i * DIMS..(i + 1) * DIMS], &q.bytes) as f32
    }

    /// The highest cosine with `q` over the rows, leaving out row `skip`; 0 when none is
    /// higher.
    pub(super) fn nearest(&self, q: &Query, skip: Option<usize>) -> f32 {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor was just found to support AVX2.
            return unsafe { nearest_avx2(self, q, skip) };
        }
        nearest_plain(self, q, skip)
    }
}

/// A question's vector in the rows' own byte form, so a cosine is a dot product of
/// bytes.
pub(super) struct Query {
    scale: f32,
    bytes: [i8; DIMS],
}

impl Query {
    pub(super) fn new(v: &[f32; DIMS]) -> Query {
        let (scale, bytes) = quantise(v);
        Query { scale, bytes }
    }
}

/// `v` as signed bytes and the scale that turns them back: the largest component is 127.
fn quantise(v: &[f32; DIMS]) -> (f32, [i8; DIMS]) {
    let top = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let scale = if top > 0.0 { top / 127.0 } else { 1.0 };
    let mut bytes = [0i8; DIMS];
    for (b, x) in bytes.iter_mut().zip(v) {
        // Rounded half away from zero by hand: `f32::round` is a library call here.
        let y = (x / scale).clamp(-127.0, 127.0);
        *b = (y + 0.5f32.copysign(y)) as i8;
    }
    (scale, bytes)
}

// Every shortlisted entry's every phrasing is compared with the question, so this is
// the matcher's hottest loop: compiled for the wider vector instructions when the
// processor has them, else as plain code. Same code, same results.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn nearest_avx2(p: &Packed, q: &Query, skip: Option<usize>) -> f32 {
    nearest_plain(p, q, skip)
}

#[inline(always)]
fn nearest_plain(p: &Packed, q: &Query, skip: Option<usize>) -> f32 {
    // A plain loop, no closures: a closure would be compiled without the wide
    // instructions of the function it is called from.
    let mut best = 0.0f32;
    for i in 0..p.scales.len() {
        if Some(i) != skip {
            best = best.max(p.cosine(i, q));
        }
    }
    best
}

#[inline(always)]
fn dot(a: &[i8], b: &[i8; DIMS]) -> i32 {
    // Sixteen running sums in plain index loops: what the compiler turns into wide
    // multiply-adds, and what stays quick in a test build.
    let mut sums = [0i32; 16];
    let mut at = 0;
    while at + 16 <= DIMS {
        let mut k = 0;
        while k < 16 {
            sums[k] += i32::from(i16::from(a[at + k]) * i16::from(b[at + k]));
            k += 1;
        }
        at += 16;
    }
    sums.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Sample {
        text: String,
        pieces: Vec<String>,
    }

    #[test]
    fn pieces_are_those_of_the_model_tokenizer() {
        let fixture = include_str!("../../tests/fixtures/wordpieces.jsonl");
        for line in fixture.lines() {
            let sample: Sample = serde_json::from_str(line).expect("fixture line");
            assert_eq!(pieces(&sample.text), sample.pieces, "{}", sample.text);
        }
    }

    fn cos(a: &str, b: &str) -> f32 {
        let (a, b) = (embed(a).expect("known"), embed(b).expect("known"));
        a.iter().zip(&b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn closer_in_meaning_is_closer_in_vector() {
        let walkout = cos("when did the walkout begin", "when did the strike start");
        let unrelated = cos(
            "when did the walkout begin",
            "how much does the bridge toll cost",
        );
        assert!(walkout > unrelated + 0.2, "{walkout} against {unrelated}");
    }

    #[test]
    fn nothing_known_has_no_vector() {
        assert!(embed("").is_none());
        assert!(embed("   \n\t").is_none());
        assert!(embed(&"x".repeat(200)).is_none());
    }

    #[test]
    fn packed_rows_keep_the_cosine() {
        let q = embed("how many ships are waiting offshore").expect("known");
        let p = embed("number of vessels at anchor").expect("known");
        let exact: f32 = q.iter().zip(&p).map(|(x, y)| x * y).sum();
        let mut packed = Packed::default();
        packed.push(&p);
        let query = Query::new(&q);
        assert!((packed.cosine(0, &query) - exact).abs() < 0.02);
        assert!((packed.nearest(&query, None) - exact).abs() < 0.02);
        assert_eq!(packed.nearest(&query, Some(0)), 0.0);
    }
}

//! Unanswered questions in clusters of near-duplicates. Each question is read with the
//! matcher's own normalisation (stems, synonym concepts, typo correction); questions
//! with the same set of terms form a group, and groups join the cluster of a bigger
//! group when their term sets overlap by at least [`JACCARD`].

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::Serialize;

use crate::matcher::Matcher;
use crate::store::{time_text, EntryCount, Snapshot, UnansweredRow};

/// Least overlap (|A ∩ B| / |A ∪ B| of term sets) for a group to join a cluster.
pub const JACCARD: f64 = 0.6;
/// Phrasings and entries kept per cluster.
const SHOWN: usize = 5;

/// Near-duplicate unanswered questions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// Stable id (12 hex digits) of the cluster's main wording: what [`crate::store::Store::dismiss_cluster`] takes.
    pub id: String,
    /// Ids of every wording group in the cluster (the main one first): a dismissal or an
    /// alert of any of them covers the cluster as it grows.
    pub members: Vec<String>,
    /// The main wording's terms, as the matcher reads them.
    pub terms: Vec<String>,
    /// Times asked.
    pub asks: u64,
    /// Distinct people who asked (questions without a known asker are not counted).
    pub askers: u64,
    /// Distinct phrasings, most asked first (at most 5); the first is the one to show.
    pub questions: Vec<String>,
    /// Unix milliseconds of the latest ask.
    pub last_asked: i64,
    /// Entries offered for these questions, most often first.
    pub suggested: Vec<EntryCount>,
    /// Entries people clicked from those offers: strong evidence of what they meant.
    pub clicked: Vec<EntryCount>,
}

/// One page of clusters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unanswered {
    /// Clusters in all (not dismissed).
    pub total: usize,
    pub offset: usize,
    pub clusters: Vec<Cluster>,
}

fn short_id(key: &str) -> String {
    blake3::hash(key.as_bytes()).to_hex()[..12].to_string()
}

fn jaccard(a: &[String], b: &[String]) -> f64 {
    // Both sorted and without duplicates.
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        0.0
    } else {
        both as f64 / union as f64
    }
}

fn top(counts: HashMap<&str, u64>) -> Vec<EntryCount> {
    let mut v: Vec<EntryCount> = counts
        .into_iter()
        .map(|(entry, count)| EntryCount {
            entry: entry.to_string(),
            count,
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.entry.cmp(&b.entry)));
    v.truncate(SHOWN);
    v
}

struct Group {
    key: String,
    terms: Vec<String>,
    rows: Vec<usize>,
}

/// Clusters `rows`, biggest first. `terms` reads a question (the matcher's terms);
/// clusters with a member wording whose id is in `dismissed` are left out.
pub fn cluster(
    rows: &[UnansweredRow],
    mut terms: impl FnMut(&str) -> Vec<String>,
    dismissed: &HashSet<String>,
) -> Vec<Cluster> {
    let mut groups: Vec<Group> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let mut t = terms(&row.question);
        t.sort();
        t.dedup();
        if t.is_empty() {
            continue;
        }
        let key = t.join(" ");
        let g = *by_key.entry(key.clone()).or_insert_with(|| {
            groups.push(Group {
                key,
                terms: t,
                rows: Vec::new(),
            });
            groups.len() - 1
        });
        groups[g].rows.push(i);
    }
    groups.sort_by(|a, b| {
        b.rows
            .len()
            .cmp(&a.rows.len())
            .then_with(|| a.key.cmp(&b.key))
    });

    // Greedy: each group joins the most similar cluster started by a bigger group.
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    let mut index: HashMap<&str, Vec<usize>> = HashMap::new();
    for g in 0..groups.len() {
        let mut best: Option<(f64, usize)> = None;
        let mut seen = HashSet::new();
        for t in &groups[g].terms {
            for &c in index.get(t.as_str()).into_iter().flatten() {
                if !seen.insert(c) {
                    continue;
                }
                let j = jaccard(&groups[clusters[c][0]].terms, &groups[g].terms);
                let better = match best {
                    None => true,
                    Some((bj, bc)) => j > bj || (j == bj && c < bc),
                };
                if j >= JACCARD && better {
                    best = Some((j, c));
                }
            }
        }
        match best {
            Some((_, c)) => clusters[c].push(g),
            None => {
                for t in &groups[g].terms {
                    index.entry(t.as_str()).or_default().push(clusters.len());
                }
                clusters.push(vec![g]);
            }
        }
    }

    let mut out: Vec<Cluster> = clusters
        .iter()
        .filter(|members| {
            !members
                .iter()
                .any(|&g| dismissed.contains(&short_id(&groups[g].key)))
        })
        .map(|members| {
            let main = &groups[members[0]];
            let asked: Vec<&UnansweredRow> = members
                .iter()
                .flat_map(|&g| &groups[g].rows)
                .map(|&i| &rows[i])
                .collect();
            let askers: HashSet<&str> = asked.iter().filter_map(|r| r.user.as_deref()).collect();
            // Phrasings, told apart after folding case and spacing; shown as first written.
            let mut phrasings: HashMap<String, (u64, usize, &str)> = HashMap::new();
            let (mut suggested, mut clicked) = (HashMap::new(), HashMap::new());
            for (n, r) in asked.iter().enumerate() {
                let folded = crate::matcher::fold(r.question.trim())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                phrasings
                    .entry(folded)
                    .or_insert((0, n, r.question.trim()))
                    .0 += 1;
                for e in &r.suggested {
                    *suggested.entry(e.as_str()).or_insert(0) += 1;
                }
                for e in &r.clicked {
                    *clicked.entry(e.as_str()).or_insert(0) += 1;
                }
            }
            let mut phrasings: Vec<(u64, usize, &str)> = phrasings.into_values().collect();
            phrasings.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            Cluster {
                id: short_id(&main.key),
                members: members.iter().map(|&g| short_id(&groups[g].key)).collect(),
                terms: main.terms.clone(),
                asks: asked.len() as u64,
                askers: askers.len() as u64,
                questions: phrasings
                    .iter()
                    .take(SHOWN)
                    .map(|p| p.2.to_string())
                    .collect(),
                last_asked: asked.iter().map(|r| r.at).max().unwrap_or(0),
                suggested: top(suggested),
                clicked: top(clicked),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.asks
            .cmp(&a.asks)
            .then(b.askers.cmp(&a.askers))
            .then(b.last_asked.cmp(&a.last_asked))
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

/// All current clusters (not dismissed) of the unanswered questions, read with `matcher`.
pub fn all(snap: &Snapshot, matcher: &Matcher) -> Vec<Cluster> {
    cluster(
        &snap.unanswered,
        |q| matcher.terms(q).into_iter().map(|t| t.key).collect(),
        &snap.dismissed,
    )
}

/// Clusters asked at least `min_asks` times and not yet posted (`alerted`).
pub fn to_alert(snap: &Snapshot, matcher: &Matcher, min_asks: u64) -> Vec<Cluster> {
    all(snap, matcher)
        .into_iter()
        .filter(|c| c.asks >= min_asks && !c.members.iter().any(|m| snap.alerted.contains(m)))
        .collect()
}

/// One page of clusters.
pub fn page(snap: &Snapshot, matcher: &Matcher, offset: usize, limit: usize) -> Unanswered {
    let all = all(snap, matcher);
    let total = all.len();
    let clusters = all.into_iter().skip(offset).take(limit).collect();
    Unanswered {
        total,
        offset,
        clusters,
    }
}

impl fmt::Display for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = self.questions.first().map_or("", String::as_str);
        write!(
            f,
            "{}× “{first}” — {} people, last {} [{}]",
            self.asks,
            self.askers,
            time_text(self.last_asked),
            self.id
        )?;
        for q in self.questions.iter().skip(1) {
            write!(f, "\n      also: “{q}”")?;
        }
        if !self.clicked.is_empty() {
            let list: Vec<String> = self
                .clicked
                .iter()
                .map(|e| format!("{} ({})", e.entry, e.count))
                .collect();
            write!(f, "\n      clicked: {}", list.join(", "))?;
        }
        if !self.suggested.is_empty() {
            let list: Vec<String> = self
                .suggested
                .iter()
                .map(|e| format!("{} ({})", e.entry, e.count))
                .collect();
            write!(f, "\n      offered: {}", list.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Display for Unanswered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.total == 0 {
            return write!(f, "No unanswered questions.");
        }
        let last = self.offset + self.clusters.len();
        write!(
            f,
            "Unanswered questions: clusters {}–{last} of {}",
            (self.offset + 1).min(last),
            self.total
        )?;
        for (n, c) in self.clusters.iter().enumerate() {
            write!(f, "\n{:>3}. {c}", self.offset + n + 1)?;
        }
        Ok(())
    }
}

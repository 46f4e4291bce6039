//! Ranking: how much of a question each entry explains, how closely its phrasings
//! repeat it, and what the calibration is told about the candidate.

use rustc_hash::FxHashMap as HashMap;

use super::index::{IndexedEntry, Posting};
use super::semantic::Query;
use super::{
    Config, Features, LeftOut, Matcher, QueryTerm, Question, Ranked, Term, TermId, NEIGHBOURS,
    SHORTLIST, VOTERS,
};

/// What the ranking saw: the candidates, best first, and the phrasings nearest the
/// question over them, as (closeness, entry), nearest first; and whether the question
/// asks for something ("what…", "how…") rather than checks a claim ("is it…?").
#[derive(Clone, Copy)]
pub(super) struct Seen<'a> {
    pub(super) ranked: &'a [Ranked],
    pub(super) neighbours: &'a [(usize, Vec<(f32, u32)>)],
}

/// Per report, its phrasings nearest the question: (closeness, entry), nearest first.
pub(super) type Neighbours = Vec<(usize, Vec<(f32, u32)>)>;

impl Matcher {
    fn weight(
        &self,
        term: &Term,
        id: Option<TermId>,
        report: usize,
        config: &Config,
    ) -> (f32, bool) {
        let stats = &self.reports[report];
        match id.and_then(|id| stats.idf.get(&id)) {
            Some(&idf) => (idf, true),
            None if term.specific || term.concept || term.unfamiliar => {
                (config.specific_weight * stats.max_idf, false)
            }
            None => (config.unknown_weight * stats.max_idf, false),
        }
    }

    /// The question's total weight as seen from one report.
    pub(super) fn query_mass(&self, terms: &[QueryTerm], report: usize, config: &Config) -> f32 {
        self.query_mass_where(terms, report, config, |_| true)
    }

    /// As [`Matcher::query_mass`], over the terms whose share passes `keep`.
    fn query_mass_where(
        &self,
        terms: &[QueryTerm],
        report: usize,
        config: &Config,
        keep: impl Fn(f32) -> bool,
    ) -> f32 {
        let mut known = 0.0;
        let mut unknown = 0.0;
        for (term, id, share) in terms.iter().filter(|t| keep(t.2)) {
            let (w, is_known) = self.weight(term, *id, report, config);
            let w = w * share;
            if is_known || term.specific || term.concept || term.unfamiliar {
                known += w;
            } else {
                unknown += w;
            }
        }
        let cap = config.unknown_cap * config.unknown_weight * self.reports[report].max_idf;
        known + unknown.min(cap)
    }

    fn same_entries(&self, a: TermId, b: TermId) -> bool {
        let (pa, pb) = (&self.postings[a as usize], &self.postings[b as usize]);
        pa.len() == pb.len() && pa.iter().zip(pb).all(|(x, y)| x.entry == y.entry)
    }

    /// Pairs each term with its id, leaving out words that name the same thing as an
    /// earlier one.
    pub(super) fn resolve(&self, terms_in: Vec<Term>) -> Vec<(Term, Option<TermId>)> {
        let mut terms: Vec<(Term, Option<TermId>)> = Vec::with_capacity(terms_in.len());
        for t in terms_in {
            let id = self.term_ids.get(&t.key).copied();
            // Two words in a row found in exactly the same entries ("stephen miller") name
            // one thing: counting both would let a full name outweigh the rest of the
            // question. Only in a row: with many phrasings an entry's ordinary words can
            // share their entries by chance ("officials" and "source").
            let same = id.is_some_and(|id| {
                terms
                    .last()
                    .is_some_and(|(_, other)| other.is_some_and(|o| self.same_entries(o, id)))
            });
            if !same {
                terms.push((t, id));
            }
        }
        terms
    }

    /// The credit of a term in an entry: saturating in the share of the entry's
    /// phrasings that use it, at least `answer_field_credit` when the answer says it.
    pub(super) fn credit(
        &self,
        p: &Posting,
        term: TermId,
        left_out: Option<LeftOut>,
        config: &Config,
    ) -> f32 {
        let e = &self.entries[p.entry as usize];
        let mut used = p.phrasings as f32;
        let mut total = e.phrasings.len() as f32;
        if let Some(l) = left_out.filter(|l| l.entry == p.entry as usize) {
            total -= 1.0;
            if e.phrasings
                .get(l.phrasing)
                .is_some_and(|ph| ph.contains(term))
            {
                used -= 1.0;
            }
        }
        let share = if total > 0.0 { used / total } else { 0.0 };
        let k = config.share_saturation;
        let from_phrasings = share * (1.0 + k) / (share + k);
        if p.body {
            from_phrasings.max(config.answer_field_credit)
        } else {
            from_phrasings
        }
    }

    pub(super) fn rank(
        &self,
        terms: &[QueryTerm],
        meaning: Option<&Query>,
        asked: u32,
        report: Option<usize>,
        config: &Config,
        left_out: Option<LeftOut>,
    ) -> (Vec<Ranked>, Neighbours) {
        let may_ask = self.analyzer.may_ask(asked);
        // First pass: how much of the question each entry explains.
        let mut covered: HashMap<u32, (f32, u32)> = HashMap::default();
        for (term, id, share) in terms {
            let Some(id) = id else { continue };
            for p in &self.postings[*id as usize] {
                if report.is_some_and(|r| r != self.entries[p.entry as usize].report) {
                    continue;
                }
                let credit = self.credit(p, *id, left_out, config);
                if credit <= 0.0 {
                    continue;
                }
                let c = covered.entry(p.entry).or_default();
                c.0 += p.idf * credit * term.credit * share;
                c.1 += 1;
            }
        }
        let mut mass: HashMap<usize, f32> = HashMap::default();
        let mut shortlist: Vec<(u32, f32, u32)> = covered
            .into_iter()
            .map(|(entry, (c, matched))| {
                let r = self.entries[entry as usize].report;
                let m = *mass
                    .entry(r)
                    .or_insert_with(|| self.query_mass(terms, r, config));
                (entry, if m > 0.0 { c / m } else { 0.0 }, matched)
            })
            .collect();
        // Only the best few are kept: pick them, then order those (every key is
        // distinct, the entry breaking ties, so an unstable sort is exact).
        let by_coverage =
            |a: &(u32, f32, u32), b: &(u32, f32, u32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if shortlist.len() > SHORTLIST {
            shortlist.select_nth_unstable_by(SHORTLIST - 1, by_coverage);
            shortlist.truncate(SHORTLIST);
        }
        shortlist.sort_unstable_by(by_coverage);

        let required = self.analyzer.required_types();
        // Second pass: how much of its closest phrasings the question repeats.
        let query: Vec<(TermId, f32)> = terms
            .iter()
            .filter_map(|(t, id, share)| id.map(|id| (id, t.credit * share)))
            .collect();
        let mut hits: Vec<f32> = Vec::new();
        // The nearest phrasings of each report over the shortlist: (closeness, entry),
        // nearest first, per report, so a report with many phrasings does not crowd
        // another's vote.
        let mut neighbours: Neighbours = Vec::new();
        let mut ranked: Vec<Ranked> = shortlist
            .into_iter()
            .map(|(entry, coverage, matched)| {
                let e = &self.entries[entry as usize];
                let left = left_out
                    .filter(|l| l.entry == entry as usize)
                    .map(|l| l.phrasing);
                let m = mass.get(&e.report).copied().unwrap_or(0.0);
                let mut top = [0.0f32; VOTERS];
                let mut closeness = 0.0f32;
                hits.clear();
                hits.resize(e.phrasings.len(), 0.0);
                e.add_hits(&query, &mut hits);
                let nearest = match neighbours.iter().position(|(r, _)| *r == e.report) {
                    Some(k) => &mut neighbours[k].1,
                    None => {
                        neighbours.push((e.report, Vec::with_capacity(NEIGHBOURS + 1)));
                        &mut neighbours.last_mut().expect("just pushed").1
                    }
                };
                for (i, (p, &hit)) in e.phrasings.iter().zip(&hits).enumerate() {
                    if Some(i) == left || hit <= 0.0 {
                        continue;
                    }
                    if p.total + m > 0.0 {
                        let dice = 2.0 * hit / (p.total + m);
                        closeness = closeness.max(dice);
                        if nearest.len() < NEIGHBOURS || dice > nearest[NEIGHBOURS - 1].0 {
                            let at = nearest.partition_point(|n| n.0 >= dice);
                            nearest.insert(at, (dice, entry));
                            nearest.truncate(NEIGHBOURS);
                        }
                    }
                    let s = if p.total > 0.0 { hit / p.total } else { 0.0 };
                    if s > top[VOTERS - 1] {
                        // Kept in order by insertion: a sort call here costs more than
                        // the rest of the loop.
                        let mut k = VOTERS - 1;
                        while k > 0 && top[k - 1] < s {
                            top[k] = top[k - 1];
                            k -= 1;
                        }
                        top[k] = s;
                    }
                }
                let mean = top.iter().sum::<f32>() / VOTERS as f32;
                let phrasing =
                    config.best_phrasing_share * top[0] + (1.0 - config.best_phrasing_share) * mean;
                // Repeating a phrasing only counts as far as the question is covered: a known
                // phrasing plus words the report never uses is not a match.
                let mut score = config.coverage_share * coverage
                    + (1.0 - config.coverage_share) * phrasing * coverage.sqrt();
                let missing = asked & !self.stated_for(entry as usize, terms);
                if missing & required != 0 {
                    score *= 1.0 - config.required_type_penalty;
                } else if missing != 0 {
                    score *= 1.0 - config.type_mismatch_penalty;
                }
                if e.asks & !may_ask != 0 {
                    score *= 1.0 - config.gap_type_mismatch_penalty;
                }
                Ranked {
                    entry: entry as usize,
                    score: score.clamp(0.0, 1.0),
                    matched,
                    closeness: closeness.min(1.0),
                    semantic: meaning.map_or(0.0, |q| e.nearest_meaning(q, left)),
                }
            })
            .collect();
        ranked.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        // The entries (not the gaps) are put in order by the word match and the closeness
        // of meaning together, each in a place an entry held: a gap close in meaning to a
        // vague question ("numbers") must not turn suggestions into "the report doesn't
        // say". Every answer threshold still reads the word match's score.
        let slots: Vec<usize> = (0..ranked.len())
            .filter(|&i| !self.entries[ranked[i].entry].is_gap)
            .collect();
        let mut facts: Vec<Ranked> = slots.iter().map(|&i| ranked[i]).collect();
        let order = |r: &Ranked| r.score + config.semantic_weight * r.semantic;
        facts.sort_unstable_by(|a, b| order(b).total_cmp(&order(a)).then(a.entry.cmp(&b.entry)));
        for (&slot, fact) in slots.iter().zip(facts) {
            ranked[slot] = fact;
        }
        (ranked, neighbours)
    }

    /// The answer types `entry` states for this question. A figure the question gives
    /// itself answers nothing: "how many of the 137 are textiles" is not answered by
    /// "137 objects", so an answer all of whose figures the question gives states only
    /// what its words do.
    pub(super) fn stated_for(&self, entry: usize, terms: &[QueryTerm]) -> u32 {
        let e = &self.entries[entry];
        let given = |f: &String| terms.iter().any(|(t, _, _)| t.number && t.key == *f);
        if !e.figures.is_empty() && e.figures.iter().all(given) {
            e.types_in_words
        } else {
            e.types
        }
    }

    /// See [`Features::vote`].
    fn vote(&self, entry: usize, neighbours: &[(usize, Vec<(f32, u32)>)]) -> f32 {
        let e = &self.entries[entry];
        let kin = |other: usize| {
            let o = &self.entries[other];
            other == entry || o.report == e.report && o.paragraph != 0 && o.paragraph == e.paragraph
        };
        let Some((_, ours)) = neighbours.iter().find(|(r, _)| *r == e.report) else {
            return 0.0;
        };
        let all: f32 = ours.iter().map(|n| n.0).sum();
        let own: f32 = ours.iter().filter(|n| kin(n.1 as usize)).map(|n| n.0).sum();
        if all > 0.0 {
            own / all
        } else {
            0.0
        }
    }

    /// What the calibration needs to know about the candidate at `ranked[at]`.
    pub(super) fn features(
        &self,
        q: &Question<'_>,
        seen: Seen<'_>,
        at: usize,
        config: &Config,
        left_out: Option<LeftOut>,
    ) -> Features {
        let (terms, asked, long) = (&q.terms[..], q.asked, q.long);
        let ranked = seen.ranked;
        let best = &ranked[at];
        let entry = &self.entries[best.entry];
        let stats = &self.reports[entry.report];
        let sibling = |other: &IndexedEntry| {
            other.report == entry.report
                && other.paragraph != 0
                && other.paragraph == entry.paragraph
        };
        let runner_up = ranked
            .iter()
            .enumerate()
            .find(|(i, r)| {
                *i != at && !self.entries[r.entry].is_gap && !sibling(&self.entries[r.entry])
            })
            .map_or(0.0, |(_, r)| r.score);
        let gap_lead = ranked
            .iter()
            .find(|r| self.entries[r.entry].is_gap)
            .map_or(0.0, |g| (g.score - best.score).max(0.0));
        let others_meaning = ranked
            .iter()
            .enumerate()
            .filter(|(i, r)| {
                *i != at && !self.entries[r.entry].is_gap && !sibling(&self.entries[r.entry])
            })
            .map(|(_, r)| r.semantic)
            .fold(0.0, f32::max);
        let gap_meaning = ranked
            .iter()
            .filter(|r| self.entries[r.entry].is_gap)
            .map(|r| r.semantic)
            .fold(0.0, f32::max);
        let mass = self.query_mass(terms, entry.report, config);
        let asked_mass = if terms.iter().all(|t| t.2 == 1.0) {
            mass
        } else {
            self.query_mass_where(terms, entry.report, config, |share| share == 1.0)
        };
        let mut matched_weight = 0.0;
        let mut asked_matched = 0.0;

        for (term, id, share) in terms {
            let Some(id) = id else { continue };
            let postings = &self.postings[*id as usize];
            if let Some(p) = postings.iter().find(|p| p.entry as usize == best.entry) {
                let w = p.idf * self.credit(p, *id, left_out, config) * term.credit;
                matched_weight += w * share;

                if *share == 1.0 {
                    asked_matched += w;
                }
            }
        }
        let dice = best.closeness;
        let stranger = terms.iter().any(|(t, id, share)| {
            t.specific && *share == 1.0 && id.is_none_or(|id| !stats.idf.contains_key(&id))
        });
        let stated = self.stated_for(best.entry, terms);
        let missing = asked & self.analyzer.required_types() & !stated;
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        Features {
            score: best.score,
            coverage: if mass > 0.0 {
                (matched_weight / mass).min(1.0)
            } else {
                0.0
            },
            phrasing: dice.min(1.0),
            lead: best.score - runner_up,
            evidence: (1.0 + matched_weight / stats.max_idf.max(f32::EPSILON)).ln(),
            stranger: flag(stranger),
            misses_name: flag(self.misses_a_name(best.entry, terms, q.open, config)),
            type_missing: flag(missing != 0),
            single_word: flag(best.matched < 2),
            long: flag(long),
            gap_lead,
            question_coverage: if asked_mass > 0.0 {
                (asked_matched / asked_mass).min(1.0)
            } else {
                0.0
            },
            vote: self.vote(best.entry, seen.neighbours),
            depth: ((1.0 + entry.phrasings.len() as f32).ln() / 64f32.ln()).min(1.0),
            kind_missing: flag(asked & !self.analyzer.required_types() & !stated != 0),
            meaning: best.semantic,
            meaning_lead: best.semantic - others_meaning,
            gap_meaning_lead: (gap_meaning - best.semantic).max(0.0),
        }
    }
}

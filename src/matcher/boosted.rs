//! Gradient-boosted trees over the scorer's features: the confidence model.
//!
//! A logistic model over the same features was the first confidence model; boosted
//! shallow trees replaced it because, scored on question sets left out of the fit in
//! turn, they answered more questions right at the same number of wrong ones (the
//! features interact: a short question's coverage means something else than a long
//! one's). Small on purpose: one row at a time, on the hot path, in well under a
//! microsecond; fitted in a second by `factdesk calibrate`, so written here rather than
//! pulled from a general library built for batches.

use serde::{Deserialize, Serialize};

use super::calibration::{Features, FEATURES};

/// One node: a split (`feature`, `threshold`, children) or a leaf (`value`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Index into [`Features::to_array`]; `None` for a leaf.
    pub feature: Option<u8>,
    /// Rows with the feature below this go left.
    pub threshold: f32,
    pub left: u16,
    pub right: u16,
    /// A leaf's contribution to the log-odds.
    pub value: f32,
}

/// Trees whose summed leaves, added to `base`, give the log-odds of being right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Boosted {
    pub base: f32,
    pub trees: Vec<Vec<Node>>,
}

/// How the trees are grown.
#[derive(Debug, Clone, Copy)]
pub struct Growth {
    pub rounds: usize,
    pub depth: usize,
    pub learning_rate: f32,
    /// Least total row weight in a leaf: no leaf speaks for a handful of questions.
    pub min_leaf_weight: f32,
    /// L2 penalty on leaf values (Newton step: −G / (H + λ)).
    pub lambda: f32,
}

impl Growth {
    /// Chosen by scoring each question set with a model fitted on the others: 100
    /// rounds of depth-3 trees at rate 0.05 answered the most right at ≤ 1 % wrong.
    pub const DEFAULT: Growth = Growth {
        rounds: 100,
        depth: 3,
        learning_rate: 0.05,
        min_leaf_weight: 20.0,
        lambda: 1.0,
    };
}

impl Boosted {
    pub fn margin(&self, x: &[f32; FEATURES]) -> f32 {
        let mut z = self.base;
        for tree in &self.trees {
            let mut at = 0usize;
            loop {
                let node = &tree[at];
                match node.feature {
                    None => {
                        z += node.value;
                        break;
                    }
                    Some(f) => {
                        at = if x[f as usize] < node.threshold {
                            node.left as usize
                        } else {
                            node.right as usize
                        };
                    }
                }
            }
        }
        z
    }

    pub fn probability(&self, f: &Features) -> f32 {
        1.0 / (1.0 + (-self.margin(&f.to_array())).exp())
    }

    /// Newton boosting on the log loss; each row counts for its weight.
    pub fn fit(rows: &[(Features, bool, f32)], growth: Growth) -> Boosted {
        let xs: Vec<[f32; FEATURES]> = rows.iter().map(|r| r.0.to_array()).collect();
        let ys: Vec<f32> = rows.iter().map(|r| if r.1 { 1.0 } else { 0.0 }).collect();
        let ws: Vec<f32> = rows.iter().map(|r| r.2).collect();
        let total: f32 = ws.iter().sum();
        let positive: f32 = ws.iter().zip(&ys).map(|(w, y)| w * y).sum();
        let prior = (positive / total.max(f32::EPSILON)).clamp(1e-3, 1.0 - 1e-3);
        let mut model = Boosted {
            base: (prior / (1.0 - prior)).ln(),
            trees: Vec::with_capacity(growth.rounds),
        };
        if rows.is_empty() {
            return model;
        }
        // Rows in each feature's order, sorted once.
        let order: Vec<Vec<u32>> = (0..FEATURES)
            .map(|f| {
                let mut o: Vec<u32> = (0..rows.len() as u32).collect();
                o.sort_by(|&a, &b| xs[a as usize][f].total_cmp(&xs[b as usize][f]));
                o
            })
            .collect();
        let mut margins = vec![model.base; rows.len()];
        let mut grad = vec![0.0f32; rows.len()];
        let mut hess = vec![0.0f32; rows.len()];
        for _ in 0..growth.rounds {
            for i in 0..rows.len() {
                let p = 1.0 / (1.0 + (-margins[i]).exp());
                grad[i] = ws[i] * (p - ys[i]);
                hess[i] = ws[i] * (p * (1.0 - p)).max(1e-6);
            }
            let mut grower = Grower {
                xs: &xs,
                grad: &grad,
                hess: &hess,
                weights: &ws,
                order: &order,
                growth,
                nodes: Vec::new(),
            };
            let everyone = vec![true; rows.len()];
            grower.grow(&everyone, 0);
            let tree = grower.nodes;
            let one = Boosted {
                base: 0.0,
                trees: vec![tree],
            };
            for (m, x) in margins.iter_mut().zip(&xs) {
                *m += one.margin(x);
            }
            model.trees.extend(one.trees);
        }
        model
    }
}

struct Grower<'a> {
    xs: &'a [[f32; FEATURES]],
    grad: &'a [f32],
    hess: &'a [f32],
    weights: &'a [f32],
    order: &'a [Vec<u32>],
    growth: Growth,
    nodes: Vec<Node>,
}

impl Grower<'_> {
    /// Grows the subtree for the rows marked in `inside`; returns its node index.
    fn grow(&mut self, inside: &[bool], depth: usize) -> u16 {
        let at = self.nodes.len();
        let (g, h) = self.sums(inside);
        let lambda = self.growth.lambda;
        self.nodes.push(Node {
            feature: None,
            threshold: 0.0,
            left: 0,
            right: 0,
            value: -self.growth.learning_rate * g / (h + lambda),
        });
        if depth < self.growth.depth {
            if let Some((feature, threshold)) = self.best_split(inside, g, h) {
                let goes_left: Vec<bool> = inside
                    .iter()
                    .enumerate()
                    .map(|(i, &r)| r && self.xs[i][feature] < threshold)
                    .collect();
                let goes_right: Vec<bool> = inside
                    .iter()
                    .zip(&goes_left)
                    .map(|(&r, &l)| r && !l)
                    .collect();
                let left = self.grow(&goes_left, depth + 1);
                let right = self.grow(&goes_right, depth + 1);
                self.nodes[at] = Node {
                    feature: Some(feature as u8),
                    threshold,
                    left,
                    right,
                    value: 0.0,
                };
            }
        }
        at as u16
    }

    fn sums(&self, inside: &[bool]) -> (f32, f32) {
        let mut g = 0.0;
        let mut h = 0.0;
        for (i, _) in inside.iter().enumerate().filter(|(_, &r)| r) {
            g += self.grad[i];
            h += self.hess[i];
        }
        (g, h)
    }

    /// The split with the largest gain in the Newton objective, between distinct values,
    /// leaving at least `min_leaf_weight` on each side.
    fn best_split(&self, inside: &[bool], g: f32, h: f32) -> Option<(usize, f32)> {
        let lambda = self.growth.lambda;
        let min = self.growth.min_leaf_weight;
        let total_weight: f32 = inside
            .iter()
            .zip(self.weights)
            .filter(|(&r, _)| r)
            .map(|(_, w)| w)
            .sum();
        let parent = g * g / (h + lambda);
        let mut best: Option<(f32, usize, f32)> = None;
        for (feature, order) in self.order.iter().enumerate() {
            let (mut gl, mut hl, mut wl) = (0.0f32, 0.0f32, 0.0f32);
            let mut previous: Option<f32> = None;
            for &i in order.iter().filter(|&&i| inside[i as usize]) {
                let i = i as usize;
                let x = self.xs[i][feature];
                if let Some(p) = previous.filter(|&p| p < x) {
                    let wr = total_weight - wl;
                    if wl >= min && wr >= min {
                        let (gr, hr) = (g - gl, h - hl);
                        let gain = gl * gl / (hl + lambda) + gr * gr / (hr + lambda) - parent;
                        if gain > best.map_or(1e-6, |b| b.0) {
                            best = Some((gain, feature, (p + x) / 2.0));
                        }
                    }
                }
                gl += self.grad[i];
                hl += self.hess[i];
                wl += self.weights[i];
                previous = Some(x);
            }
        }
        best.map(|(_, f, t)| (f, t))
    }
}

//! Threads: the steps a trace joined through the strong keys it followed (a union-find over
//! seqs). The host-window rule gives each thread one time window.

use std::collections::BTreeMap;

/// Which steps are one thread.
#[derive(Clone, Debug, Default)]
pub(super) struct Threads {
    parent: BTreeMap<u64, u64>,
}

impl Threads {
    /// The representative of `seq`'s thread (a step not yet joined is its own).
    pub fn root(&self, seq: u64) -> u64 {
        let mut at = seq;
        while let Some(&up) = self.parent.get(&at) {
            if up == at {
                break;
            }
            at = up;
        }
        at
    }

    /// Joins the threads of `a` and `b` (the smaller root stays, so roots are deterministic).
    pub fn join(&mut self, a: u64, b: u64) {
        let (ra, rb) = (self.root(a), self.root(b));
        let (keep, child) = if ra <= rb { (ra, rb) } else { (rb, ra) };
        self.parent.insert(keep, keep);
        self.parent.insert(child, keep);
        // Shorten the paths walked next time.
        self.parent.insert(a, keep);
        self.parent.insert(b, keep);
    }

    /// The threads of `seqs`: each representative with its members, in seq order.
    pub fn groups(&self, seqs: impl IntoIterator<Item = u64>) -> BTreeMap<u64, Vec<u64>> {
        let mut out: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for seq in seqs {
            out.entry(self.root(seq)).or_default().push(seq);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_are_transitive_and_roots_the_smallest() {
        let mut t = Threads::default();
        t.join(5, 9);
        t.join(9, 2);
        t.join(7, 8);
        assert_eq!(t.root(5), 2);
        assert_eq!(t.root(9), 2);
        assert_eq!(t.root(8), 7);
        assert_eq!(t.root(4), 4);
        let groups = t.groups([2, 4, 5, 7, 8, 9]);
        assert_eq!(groups[&2], [2, 5, 9]);
        assert_eq!(groups[&4], [4]);
        assert_eq!(groups[&7], [7, 8]);
    }
}

//! The gateway's table of neighbour nodes, learnt from their announcements.

use heapless::Vec;

use crate::messages::Node;

/// Nodes the table holds (the seed's `MAX_NODES`).
pub const MAX_NODES: usize = 8;

/// What an announcement did to the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// A node already known: its last-seen time moved.
    Again,
    /// A new node, in a free slot.
    New,
    /// A new node in a full table: it replaced the node heard from longest ago (its id).
    Replaced(u8),
}

/// Up to [`MAX_NODES`] nodes with the time each was last heard, in the order first heard.
///
/// A full table makes room for a new node by forgetting the one heard from longest ago: a
/// gateway wants its current neighbours, not its first ones.
#[derive(Clone, Debug, Default)]
pub struct NodeTable {
    nodes: Vec<Node, MAX_NODES>,
}

impl NodeTable {
    /// An empty table.
    pub const fn new() -> Self {
        Self { nodes: Vec::new() }
    }

    /// Node `id` was heard at `now_us`.
    pub fn seen(&mut self, id: u8, now_us: u64) -> Seen {
        if let Some(node) = self.nodes.iter_mut().find(|n| n.id == id) {
            node.last_seen_us = node.last_seen_us.max(now_us);
            return Seen::Again;
        }
        let node = Node {
            id,
            last_seen_us: now_us,
        };
        match self.nodes.push(node) {
            Ok(()) => Seen::New,
            Err(node) => {
                // Full, so not empty: there is a stalest node.
                let stalest = self
                    .nodes
                    .iter_mut()
                    .min_by_key(|n| n.last_seen_us)
                    .expect("a full table has nodes");
                let old = core::mem::replace(stalest, node);
                Seen::Replaced(old.id)
            }
        }
    }

    /// The nodes, in the order first heard.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(table: &NodeTable) -> alloc::vec::Vec<(u8, u64)> {
        table
            .nodes()
            .iter()
            .map(|n| (n.id, n.last_seen_us))
            .collect()
    }

    #[test]
    fn announcements_add_nodes_and_refresh_them() {
        let mut table = NodeTable::new();
        assert_eq!(table.seen(1, 10), Seen::New);
        assert_eq!(table.seen(2, 20), Seen::New);
        assert_eq!(table.seen(1, 30), Seen::Again);
        assert_eq!(
            table.seen(2, 5),
            Seen::Again,
            "an older time never moves back"
        );
        assert_eq!(ids(&table), [(1, 30), (2, 20)]);
    }

    #[test]
    fn a_full_table_forgets_the_node_heard_from_longest_ago() {
        let mut table = NodeTable::new();
        for id in 0..MAX_NODES as u8 {
            assert_eq!(table.seen(id, 100 + u64::from(id)), Seen::New);
        }
        table.seen(0, 500);
        assert_eq!(table.seen(42, 600), Seen::Replaced(1));
        assert_eq!(table.nodes().len(), MAX_NODES);
        assert_eq!(table.nodes()[1].id, 42);
        assert_eq!(table.seen(43, 700), Seen::Replaced(2));
        assert!(
            table.nodes().iter().any(|n| n.id == 0),
            "the refreshed node stays"
        );
    }
}

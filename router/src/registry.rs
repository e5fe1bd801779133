//! The registry: who is registered (components by slot, their generation, the inbox of the
//! live ones), which routes they serve (the route table, each route with its compiled
//! grants and its subscribers), and the policy those grants were compiled from.
//!
//! Plain state, no behaviour beyond keeping itself consistent: `endpoint` reads it on every
//! message, `router` changes it when components register and when the authority installs a
//! policy. Below both: it imports nothing of theirs, only the `Delivery` type its inboxes
//! carry.

use alloc::rc::Rc;
use alloc::vec::Vec;

use fireball_kernel::csp::Channel;

use crate::delivery::Delivery;
use crate::identity::Identity;
use crate::policy::{Caller, Grants, Policy, Rule};
use crate::table::RouteTable;
use crate::uri::Uri;

/// A registered component that is running: where its deliveries go.
pub(crate) struct Live {
    pub(crate) inbox: Rc<Channel<Delivery>>,
}

/// A registered name: its slot is its index in [`State::components`], kept across restarts.
pub(crate) struct Component {
    pub(crate) name: Rc<str>,
    pub(crate) generation: u32,
    /// `None`: stopped (its endpoint was dropped).
    pub(crate) live: Option<Live>,
}

pub(crate) struct Subscriber {
    pub(crate) slot: u16,
    pub(crate) generation: u32,
    /// Only publications on this URI; `None`: all of the route's.
    pub(crate) uri: Option<Rc<str>>,
}

pub(crate) struct RouteEntry {
    pub(crate) pattern: Rc<str>,
    pub(crate) owner: u16,
    /// The owner's generation that registered the route.
    pub(crate) generation: u32,
    pub(crate) grants: Grants,
    pub(crate) subscribers: Vec<Subscriber>,
}

pub(crate) struct State {
    pub(crate) components: Vec<Component>,
    pub(crate) table: RouteTable<RouteEntry>,
    /// The installed policy; the table's grants are compiled from it.
    policy: Policy,
}

impl State {
    pub(crate) fn new() -> Self {
        Self {
            components: Vec::new(),
            table: RouteTable::new(),
            policy: Policy::default(),
        }
    }

    pub(crate) fn identity(&self, slot: u16) -> Identity {
        let c = &self.components[usize::from(slot)];
        Identity {
            slot,
            generation: c.generation,
            name: c.name.clone(),
        }
    }

    /// Whether the route's current owner is live in the generation that registered it.
    pub(crate) fn serving(&self, entry: &RouteEntry) -> Option<&Live> {
        let c = &self.components[usize::from(entry.owner)];
        if c.generation == entry.generation {
            c.live.as_ref()
        } else {
            None
        }
    }

    pub(crate) fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Enforces `policy` from now on; returns the index of its first rule that the
    /// installed one did not have. When it only adds rules, only those are compiled (grants
    /// only grow); otherwise every route's grants are rebuilt.
    pub(crate) fn install(&mut self, policy: Policy) -> usize {
        let kept = self.policy.rules().len();
        let extends = policy.rules().starts_with(self.policy.rules());
        self.policy = policy;
        if extends {
            let policy = self.policy.clone();
            for rule in &policy.rules()[kept..] {
                self.apply(rule);
            }
            kept
        } else {
            self.compile_policy();
            0
        }
    }

    /// Rebuilds every route's grants from the policy (a component registered: rules naming
    /// it, or its routes, now apply).
    pub(crate) fn compile_policy(&mut self) {
        for i in 0..self.table.len() {
            if let Some(entry) = self.table.get_mut(i) {
                entry.grants.clear();
            }
        }
        let policy = self.policy.clone();
        for rule in policy.rules() {
            self.apply(rule);
        }
    }

    /// Adds one rule's grants.
    fn apply(&mut self, rule: &Rule) {
        // A pattern grants the whole route; a concrete URI of a route (`hal://adc/0`) only
        // that URI.
        let (index, uri) = match self.table.find_shape(&rule.route) {
            Some(index) => (index, None),
            None => {
                let Ok(parsed) = Uri::parse(&rule.route) else {
                    return;
                };
                match self.table.lookup(&parsed) {
                    Some(m) => (m.index(), Some(rule.route.clone())),
                    None => return,
                }
            }
        };
        let slot = match &rule.caller {
            Caller::Any => None,
            Caller::Named(name) => match self.components.iter().position(|c| c.name == *name) {
                Some(slot) => Some(slot as u16),
                None => return,
            },
        };
        if let Some(entry) = self.table.get_mut(index) {
            match (slot, uri) {
                (slot, Some(uri)) => entry.grants.grant_uri(slot, uri, rule.methods),
                (Some(slot), None) => entry.grants.grant(slot, rule.methods),
                (None, None) => entry.grants.grant_anyone(rule.methods),
            }
        }
    }
}

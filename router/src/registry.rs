//! The registry: who is registered (components by slot, their generation, the inbox and
//! reply slot of the live ones, what their callers get when they stop), which routes they
//! serve (the route table, each route with its compiled
//! grants and its subscribers), and the policy those grants were compiled from.
//!
//! Plain state, no behaviour beyond keeping itself consistent: `endpoint` reads it on every
//! message, `router` changes it when components register and when the authority changes
//! the policy. A leaf below both: generic over what its inboxes carry (`M`, the `Delivery`
//! in practice), it imports nothing of theirs.

use alloc::rc::Rc;
use alloc::vec::Vec;

use fireball_kernel::csp::Channel;

use crate::error::CallError;
use crate::identity::Identity;
use crate::policy::{Caller, Grants, Policy, PolicyBuilder, Rule};
use crate::reply::ReplySlot;
use crate::table::RouteTable;
use crate::uri::Uri;

/// A registered component that is running: where its deliveries go, and where the replies
/// to its own calls land (the deadline scan looks there).
pub(crate) struct Live<M> {
    pub(crate) inbox: Rc<Channel<M>>,
    pub(crate) replies: Rc<ReplySlot>,
}

/// A registered name: its slot is its index in [`State::components`], kept across restarts.
pub(crate) struct Component<M> {
    pub(crate) name: Rc<str>,
    pub(crate) generation: u32,
    /// `None`: stopped (its endpoint was dropped).
    pub(crate) live: Option<Live<M>>,
    /// Removed from the deployment ([`RouterAuthority::withdraw`]): its routes answer
    /// `NoRoute` rather than `DeadPeer` until it registers again.
    ///
    /// [`RouterAuthority::withdraw`]: crate::RouterAuthority::withdraw
    pub(crate) withdrawn: bool,
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

pub(crate) struct State<M> {
    pub(crate) components: Vec<Component<M>>,
    pub(crate) table: RouteTable<RouteEntry>,
    /// The installed policy's rules, in order; the table's grants are compiled from them.
    rules: Vec<Rule>,
    /// What the callers of a component get for the requests it held when it stopped, by
    /// name (set before it registers, kept across its generations); absent: `DeadPeer`.
    stop_answers: Vec<(Rc<str>, CallError)>,
}

impl<M> State<M> {
    pub(crate) fn new() -> Self {
        Self {
            components: Vec::new(),
            table: RouteTable::new(),
            rules: Vec::new(),
            stop_answers: Vec::new(),
        }
    }

    /// Sets what the callers of the component named `name` get for the requests it held
    /// when it stopped.
    pub(crate) fn set_stop_answer(&mut self, name: &str, answer: CallError) {
        match self.stop_answers.iter_mut().find(|(n, _)| **n == *name) {
            Some((_, kept)) => *kept = answer,
            None => self.stop_answers.push((name.into(), answer)),
        }
    }

    /// What the callers of the component in `slot` get for the requests it held when it
    /// stopped.
    pub(crate) fn stop_answer(&self, slot: u16) -> CallError {
        let name = &self.components[usize::from(slot)].name;
        self.stop_answers
            .iter()
            .find(|(n, _)| n == name)
            .map_or(CallError::DeadPeer, |(_, answer)| *answer)
    }

    /// Whether the component in `slot` is running in `generation`.
    pub(crate) fn is_live(&self, slot: u16, generation: u32) -> bool {
        self.components
            .get(usize::from(slot))
            .is_some_and(|c| c.generation == generation && c.live.is_some())
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
    pub(crate) fn serving(&self, entry: &RouteEntry) -> Option<&Live<M>> {
        let c = &self.components[usize::from(entry.owner)];
        if c.generation == entry.generation {
            c.live.as_ref()
        } else {
            None
        }
    }

    /// The installed policy, sealed (a copy: changing it changes nothing here).
    pub(crate) fn policy(&self) -> Policy {
        PolicyBuilder::from(self.rules.clone()).seal()
    }

    /// How many rules are installed.
    pub(crate) fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Adds one rule to the installed policy (grants only grow: only it is compiled).
    pub(crate) fn add(&mut self, rule: Rule) {
        self.apply(&rule);
        self.rules.push(rule);
    }

    /// Enforces `policy` from now on, in place of the installed one; returns the index of
    /// its first rule that the installed one did not have. When it only adds rules, only
    /// those are compiled; otherwise every route's grants are rebuilt.
    pub(crate) fn install(&mut self, policy: &Policy) -> usize {
        let kept = self.rules.len();
        if policy.rules().starts_with(&self.rules) {
            for rule in &policy.rules()[kept..] {
                self.add(rule.clone());
            }
            kept
        } else {
            self.rules = policy.rules().to_vec();
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
        let rules = core::mem::take(&mut self.rules);
        for rule in &rules {
            self.apply(rule);
        }
        self.rules = rules;
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
            if let Some(timeout_us) = rule.timeout_us {
                entry.grants.time_out(slot, uri.clone(), timeout_us);
            }
            match (slot, uri) {
                (slot, Some(uri)) => entry.grants.grant_uri(slot, uri, rule.methods),
                (Some(slot), None) => entry.grants.grant(slot, rule.methods),
                (None, None) => entry.grants.grant_anyone(rule.methods),
            }
        }
    }
}

//! Access policy: which caller may use which route pattern, and how.
//!
//! A [`Rule`] names a caller (a component name, or `*` for every component), a route pattern
//! as registered (`hal://adc/{channel}`; parameter names need not match) and the [`Methods`]
//! it grants. There is no implicit permission: a route nobody was granted is reachable by
//! no one (its owner included, except for publishing on it).
//!
//! A [`Policy`] is a frozen list of rules: built with a [`PolicyBuilder`], sealed, and then
//! never changed. The router enforces one policy at a time; only the deployment's
//! [`RouterAuthority`](crate::RouterAuthority) can install another (anyone may read the
//! installed one with [`Router::policy`](crate::Router::policy), and building a wider copy
//! grants nothing).
//!
//! A rule may also carry a call timeout ([`PolicyBuilder::allow_with_timeout`]): the deadline
//! of the calls its caller makes on its route, in place of the router's default
//! ([`RouterConfig::call_timeout_us`](crate::RouterConfig::call_timeout_us)). A
//! [`Binding`](crate::Binding) takes the timeout of the most specific rule that sets one when
//! it is made: a named caller before `*`, a concrete URI before the whole route, and among
//! equals the last declared.
//!
//! Rules are kept by name and compiled into per-route [`Grants`] whenever
//! a component registers or a policy is installed, so a check on the hot path is a binary
//! search over that route's callers.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::fmt;

use crate::uri::{Pattern, UriError};

/// What a request does with a route: the ABI's one definition.
pub use fireball_abi::Method;

/// `method`'s bit in a [`Methods`] set.
const fn bit(method: Method) -> u8 {
    1 << method as u8
}

/// A set of [`Method`]s.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Methods(u8);

impl Methods {
    /// No method.
    pub const NONE: Methods = Methods(0);
    /// [`Method::Read`].
    pub const READ: Methods = Methods(bit(Method::Read));
    /// [`Method::Write`].
    pub const WRITE: Methods = Methods(bit(Method::Write));
    /// [`Method::Call`].
    pub const CALL: Methods = Methods(bit(Method::Call));
    /// [`Method::Subscribe`].
    pub const SUBSCRIBE: Methods = Methods(bit(Method::Subscribe));
    /// Every method.
    pub const ALL: Methods = Methods(0b1111);

    /// Both sets.
    #[must_use]
    pub const fn union(self, other: Methods) -> Methods {
        Methods(self.0 | other.0)
    }

    /// Whether `method` is in the set.
    pub const fn contains(self, method: Method) -> bool {
        self.0 & bit(method) != 0
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl From<Method> for Methods {
    fn from(m: Method) -> Self {
        Methods(bit(m))
    }
}

impl core::ops::BitOr for Methods {
    type Output = Methods;
    fn bitor(self, rhs: Methods) -> Methods {
        self.union(rhs)
    }
}

impl fmt::Display for Methods {
    /// `read|call`, or `none`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        let mut first = true;
        for m in Method::ALL.iter().filter(|m| self.contains(**m)) {
            if !first {
                f.write_str("|")?;
            }
            first = false;
            f.write_str(m.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Methods({self})")
    }
}

/// Who a rule is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// The component registered under this name (whatever its generation).
    Named(Rc<str>),
    /// Every component (`*`).
    Any,
}

impl Caller {
    /// `*` is [`Caller::Any`]; anything else a name.
    pub fn parse(text: &str) -> Caller {
        if text == "*" {
            Caller::Any
        } else {
            Caller::Named(text.into())
        }
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Caller::Named(name) => f.write_str(name),
            Caller::Any => f.write_str("*"),
        }
    }
}

/// One access rule, as declared (e.g. in a deployment manifest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Who may.
    pub caller: Caller,
    /// On which registered route pattern.
    pub route: Rc<str>,
    /// Doing what.
    pub methods: Methods,
    /// The deadline of the caller's calls on the route, in microseconds; `None`: the
    /// router's default.
    pub timeout_us: Option<u64>,
}

impl Rule {
    /// Grants `caller` (a component name, or `*` for all) `methods` on the route pattern
    /// `route` (parameter names need not match the registration), or on one concrete URI of
    /// a route (`hal://adc/0` of `hal://adc/{channel}`: channel 0 only). Fails if `route`
    /// is not a pattern.
    pub fn new(caller: &str, route: &str, methods: Methods) -> Result<Rule, UriError> {
        Pattern::parse(route)?;
        Ok(Rule {
            caller: Caller::parse(caller),
            route: route.into(),
            methods,
            timeout_us: None,
        })
    }

    /// This rule with its calls timing out after `timeout_us` microseconds.
    #[must_use]
    pub fn with_timeout_us(mut self, timeout_us: u64) -> Rule {
        self.timeout_us = Some(timeout_us);
        self
    }
}

/// A sealed access policy: the rules a deployment declared, frozen. Cloning shares it;
/// nothing changes it. See the [module documentation](self).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Policy {
    rules: Option<Rc<[Rule]>>,
}

impl Policy {
    /// The rules, in the order they were declared.
    pub fn rules(&self) -> &[Rule] {
        self.rules.as_deref().unwrap_or(&[])
    }

    /// This policy plus `rule` (a new, sealed value: this one is unchanged).
    #[must_use]
    pub fn with(&self, rule: Rule) -> Policy {
        let mut builder = PolicyBuilder::from(self.clone());
        builder.rules.push(rule);
        builder.seal()
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.rules()).finish()
    }
}

/// Collects the rules of a [`Policy`] (at boot, from a manifest), then [seals](Self::seal)
/// it.
#[derive(Clone, Debug, Default)]
pub struct PolicyBuilder {
    rules: Vec<Rule>,
}

impl PolicyBuilder {
    /// No rules yet.
    pub const fn new() -> Self {
        Self { rules: Vec::new() }
    }

    /// Adds a rule (see [`Rule::new`]). Fails, adding nothing, if `route` is not a pattern.
    pub fn allow(
        &mut self,
        caller: &str,
        route: &str,
        methods: Methods,
    ) -> Result<&mut Self, UriError> {
        self.rules.push(Rule::new(caller, route, methods)?);
        Ok(self)
    }

    /// Adds a rule whose calls time out after `timeout_us` microseconds (see
    /// [`Rule::with_timeout_us`]).
    pub fn allow_with_timeout(
        &mut self,
        caller: &str,
        route: &str,
        methods: Methods,
        timeout_us: u64,
    ) -> Result<&mut Self, UriError> {
        self.rules
            .push(Rule::new(caller, route, methods)?.with_timeout_us(timeout_us));
        Ok(self)
    }

    /// The policy: frozen from here on.
    pub fn seal(self) -> Policy {
        Policy {
            rules: (!self.rules.is_empty()).then(|| self.rules.into()),
        }
    }
}

impl From<Vec<Rule>> for PolicyBuilder {
    fn from(rules: Vec<Rule>) -> Self {
        Self { rules }
    }
}

impl From<Policy> for PolicyBuilder {
    /// Starts from `policy`'s rules (the policy itself stays as it is).
    fn from(policy: Policy) -> Self {
        Self {
            rules: policy.rules().to_vec(),
        }
    }
}

/// The compiled grants of one route: callers by component slot, sorted, and grants limited
/// to one concrete URI of the route (`hal://adc/0` of `hal://adc/{channel}`).
#[derive(Clone, Debug, Default)]
pub struct Grants {
    callers: Vec<(u16, Methods)>,
    anyone: Methods,
    /// `(slot or None for anyone, uri, methods)`: checked only when the route-wide grants
    /// refuse, so they cost nothing on the common path.
    uris: Vec<(Option<u16>, Rc<str>, Methods)>,
    /// `(slot or None for anyone, uri or None for the route, microseconds)`: call timeouts,
    /// read when a URI is bound, never on a call.
    timeouts: Vec<(Option<u16>, Option<Rc<str>>, u64)>,
}

impl Grants {
    /// No grant.
    pub const fn new() -> Self {
        Self {
            callers: Vec::new(),
            anyone: Methods::NONE,
            uris: Vec::new(),
            timeouts: Vec::new(),
        }
    }

    /// Calls by the component in `slot` (`None`: every component) on the route, or only on
    /// its concrete `uri`, time out after `timeout_us`.
    pub fn time_out(&mut self, slot: Option<u16>, uri: Option<Rc<str>>, timeout_us: u64) {
        self.timeouts.push((slot, uri, timeout_us));
    }

    /// The call timeout for the component in `slot` on the concrete `uri`, if a rule set
    /// one: the most specific (a named caller before anyone, a URI before the route; the
    /// last among equals).
    pub fn timeout_for(&self, slot: u16, uri: &str) -> Option<u64> {
        let mut best: Option<(u8, u64)> = None;
        for (s, u, us) in &self.timeouts {
            if s.is_some_and(|s| s != slot) || u.as_ref().is_some_and(|u| **u != *uri) {
                continue;
            }
            let rank = 2 * u8::from(s.is_some()) + u8::from(u.is_some());
            if best.is_none_or(|(b, _)| rank >= b) {
                best = Some((rank, *us));
            }
        }
        best.map(|(_, us)| us)
    }

    /// Adds `methods` on the concrete `uri` only, for the component in `slot` (`None`: every
    /// component).
    pub fn grant_uri(&mut self, slot: Option<u16>, uri: Rc<str>, methods: Methods) {
        match self
            .uris
            .iter_mut()
            .find(|(s, u, _)| *s == slot && **u == *uri)
        {
            Some((_, _, granted)) => *granted = *granted | methods,
            None => self.uris.push((slot, uri, methods)),
        }
    }

    /// Whether the component in `slot` may use `method` on the concrete `uri`: the
    /// route-wide grants, then the URI-limited ones.
    #[inline]
    pub fn allows_on(&self, slot: u16, method: Method, uri: &str) -> bool {
        self.allows(slot, method)
            || self.uris.iter().any(|(s, u, methods)| {
                s.is_none_or(|s| s == slot) && **u == *uri && methods.contains(method)
            })
    }

    /// Adds `methods` for the component in `slot`.
    pub fn grant(&mut self, slot: u16, methods: Methods) {
        match self.callers.binary_search_by_key(&slot, |(s, _)| *s) {
            Ok(i) => self.callers[i].1 = self.callers[i].1 | methods,
            Err(i) => self.callers.insert(i, (slot, methods)),
        }
    }

    /// Adds `methods` for every component.
    pub fn grant_anyone(&mut self, methods: Methods) {
        self.anyone = self.anyone | methods;
    }

    /// Removes every grant.
    pub fn clear(&mut self) {
        self.callers.clear();
        self.anyone = Methods::NONE;
        self.uris.clear();
        self.timeouts.clear();
    }

    /// Whether the component in `slot` may use `method`: `O(log callers)`.
    #[inline]
    pub fn allows(&self, slot: u16, method: Method) -> bool {
        self.anyone.contains(method)
            || self
                .callers
                .binary_search_by_key(&slot, |(s, _)| *s)
                .is_ok_and(|i| self.callers[i].1.contains(method))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_are_per_caller_and_method() {
        let mut g = Grants::new();
        g.grant(3, Methods::READ);
        g.grant(1, Methods::WRITE | Methods::CALL);
        g.grant(3, Methods::SUBSCRIBE);
        assert!(g.allows(3, Method::Read) && g.allows(3, Method::Subscribe));
        assert!(!g.allows(3, Method::Write));
        assert!(g.allows(1, Method::Call) && !g.allows(1, Method::Read));
        assert!(!g.allows(2, Method::Read));
        g.grant_anyone(Methods::READ);
        assert!(g.allows(2, Method::Read) && !g.allows(2, Method::Write));
        g.clear();
        assert!(!g.allows(3, Method::Read));
    }

    #[test]
    fn the_most_specific_timeout_wins() {
        let mut g = Grants::new();
        assert_eq!(g.timeout_for(1, "hal://adc/0"), None);
        g.time_out(None, None, 400);
        g.time_out(None, Some("hal://adc/0".into()), 300);
        g.time_out(Some(1), None, 200);
        g.time_out(Some(2), Some("hal://adc/0".into()), 100);
        g.time_out(Some(2), Some("hal://adc/0".into()), 50);
        assert_eq!(g.timeout_for(3, "hal://adc/1"), Some(400));
        assert_eq!(g.timeout_for(3, "hal://adc/0"), Some(300));
        assert_eq!(g.timeout_for(1, "hal://adc/0"), Some(200));
        assert_eq!(
            g.timeout_for(2, "hal://adc/0"),
            Some(50),
            "the last among equals"
        );
        assert_eq!(g.timeout_for(2, "hal://adc/1"), Some(400));
        g.clear();
        assert_eq!(g.timeout_for(2, "hal://adc/0"), None);
    }

    #[test]
    fn methods_render_in_order() {
        use alloc::string::ToString;
        assert_eq!((Methods::CALL | Methods::READ).to_string(), "read|call");
        assert_eq!(Methods::NONE.to_string(), "none");
        assert_eq!(Methods::ALL.to_string(), "read|write|call|subscribe");
        assert_eq!(Caller::parse("*"), Caller::Any);
    }
}

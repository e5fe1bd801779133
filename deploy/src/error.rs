//! [`BootError`]: why a deployment did not boot — who is at fault, and what to do about it.
//!
//! Each variant names the party whose limit was hit: the build's kernel configuration, a
//! native subsystem, the manifest (a policy, a quota, a partition's size) or a component's
//! module. Large causes are boxed so that the error stays small (a test pins its size).

use alloc::{boxed::Box, string::String};
use core::fmt;

use fireball_router::{RegisterError, uri::UriError};
use fireball_vsoc::{
    InstanceError, LoadError,
    builtins::ServeError,
    kernel::{
        mem::{Exhaustion, PartitionId, Placement, QuotaError},
        sched::ExecutorError,
    },
};

/// Why a deployment did not boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BootError {
    /// The kernel's executor could not be made: the build's kernel limits are at fault
    /// (`FIREBALL_*`, `fireball_kernel::config`).
    Kernel(ExecutorError),
    /// The executor's task table is full: `task` found no slot. Boot fewer components or
    /// build the kernel with more tasks (`FIREBALL_MAX_TASKS`).
    TasksFull {
        /// The component, subsystem or probe that was to be spawned.
        task: Box<str>,
    },
    /// A native subsystem (`hal`, `logger`) could not register with the router: the router's
    /// limits are at fault.
    Subsystem {
        /// `hal` or `logger`.
        subsystem: &'static str,
        /// What the router said.
        error: Box<RegisterError>,
    },
    /// The manifest's `reach` entry for `component` is not a route the router accepts: fix
    /// the manifest.
    Policy {
        /// The component whose reach it is.
        component: Box<str>,
        /// The route pattern as written.
        route: Box<str>,
        /// What is wrong with it.
        error: UriError,
    },
    /// P4 has no room for `component`'s quota: lower its `quota` or raise
    /// `partitions.services` in the manifest.
    Quota {
        /// The service.
        component: Box<str>,
        /// The quota it asked for, bytes.
        requested: usize,
        /// Why P4 refused.
        error: QuotaError,
    },
    /// `component`'s heap (its module's P2, its own P4 quota or P5) cannot be expected to hold
    /// what loading or instantiating it needs: give that partition or quota more.
    Room {
        /// The component.
        component: Box<str>,
        /// Where it was to go (`P2` for its compiled module).
        placement: Placement,
        /// Bytes it may need, at most.
        needs: usize,
        /// Bytes free there in one block.
        available: usize,
    },
    /// The vSoC refused `component`'s module: the module (or the plan that pinned it) is at
    /// fault.
    Load {
        /// The component.
        component: Box<str>,
        /// What the loader said.
        error: Box<LoadError>,
    },
    /// `component` could not be instantiated; `exhausted` is the heap that refused, when one
    /// did (give it more).
    Instantiate {
        /// The component.
        component: Box<str>,
        /// What the vSoC said.
        error: Box<InstanceError>,
        /// The allocation its heap could not serve, if that was the cause.
        exhausted: Option<Box<Exhaustion>>,
    },
    /// Booting `component` exhausted a partition the board cannot run without (P1, P2 or
    /// P6): the board must reset; give that partition more.
    OutOfMemory {
        /// The component being booted.
        component: Box<str>,
        /// What ran out.
        exhaustion: Box<Exhaustion>,
    },
    /// The router refused a service's routes (one malformed, or served by another): fix
    /// the manifest's `routes`.
    Routes {
        /// The service.
        component: Box<str>,
        /// What the vSoC's router bridge said.
        error: Box<ServeError>,
    },
}

impl BootError {
    /// The component (or `kernel`, `hal`, `logger`) the error is about.
    pub fn component(&self) -> &str {
        match self {
            Self::Kernel(_) => "kernel",
            Self::Subsystem { subsystem, .. } => subsystem,
            Self::TasksFull { task: component }
            | Self::Policy { component, .. }
            | Self::Quota { component, .. }
            | Self::Room { component, .. }
            | Self::Load { component, .. }
            | Self::Instantiate { component, .. }
            | Self::OutOfMemory { component, .. }
            | Self::Routes { component, .. } => component,
        }
    }
}

/// What ran out, in a line: `P4 quota of 24576 B exhausted (asked 4096 B, 1200 B free)`.
pub(crate) fn describe(e: &Exhaustion) -> String {
    let heap = match e.placement.partition {
        PartitionId::Services => "P4 quota".into(),
        p => alloc::format!("{p} {}", p.name()),
    };
    alloc::format!(
        "{heap} exhausted (asked {} B, {} B free{})",
        e.requested,
        e.available,
        if e.lent {
            "; the reserve covered it"
        } else {
            ""
        }
    )
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: ", self.component())?;
        match self {
            Self::Kernel(e) => write!(
                f,
                "the kernel's executor cannot be made ({e:?}): check the build's FIREBALL_* \
                 limits"
            ),
            Self::TasksFull { .. } => f.write_str(
                "the executor is full: boot fewer components or raise FIREBALL_MAX_TASKS",
            ),
            Self::Subsystem { error, .. } => {
                write!(f, "the router refused the subsystem: {error}")
            }
            Self::Policy { route, error, .. } => {
                write!(f, "its reach `{route}` is not a route: {error}")
            }
            Self::Quota {
                error: QuotaError::TableFull,
                ..
            } => f.write_str(
                "no slot left in P4's quota table (one per service of the plan, at least four: \
                 `fireball_deploy::quota_slots`): a service installed beyond them is refused",
            ),
            Self::Quota {
                requested, error, ..
            } => write!(
                f,
                "no P4 quota of {requested} B ({error:?}): lower its quota or give \
                 `partitions.services` more"
            ),
            Self::Room {
                placement,
                needs,
                available,
                ..
            } => {
                let (heap, setting) = match placement.partition {
                    PartitionId::Runtime => ("P2", "`partitions.runtime`"),
                    PartitionId::Services => ("P4 quota", "its `quota`"),
                    _ => ("partition", "`partitions.guests`"),
                };
                write!(
                    f,
                    "its {heap} has {available} B free in one block; loading it may need up \
                     to {needs} B: give {setting} more"
                )
            }
            Self::Load { error, .. } => write!(f, "{error}"),
            Self::Instantiate {
                error, exhausted, ..
            } => match exhausted {
                Some(x) => write!(f, "{error}: {}", describe(x)),
                None => write!(f, "{error}"),
            },
            Self::OutOfMemory { exhaustion, .. } => {
                write!(f, "{}: the board must reset", describe(exhaustion))
            }
            Self::Routes { error, .. } => write!(f, "{error}"),
        }
    }
}

impl core::error::Error for BootError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Public errors stay small: a `Result<System, BootError>` is moved on every boot.
    #[test]
    fn boot_error_is_small() {
        assert!(core::mem::size_of::<BootError>() <= 48);
    }
}

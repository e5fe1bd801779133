//! `sys://debugger` (feature `debug`): the debugger subsystem on the router, as `hal` and
//! `logger` are. `read sys://debugger` answers which components a debugger can attach to,
//! which of them it holds stopped, and whether one is attached — so a dashboard guest or a
//! tool on the control port sees a debugging session as it sees the rest of the system.
//! The session itself is the GDB remote stub's, on its own port (`docs/debugger.md`).
//!
//! Registered when a debugger port is opened ([`System::debug_port`]: `fireball run --gdb`,
//! the board's `gdb` image), served by the deployment loop at each turn like `sys://modules`:
//! its endpoint is polled, no task of its own.

use alloc::vec::Vec;

use fireball_router::{Method, Record, Value};
use fireball_subsystems::debugger::Debuggee;

use super::System;

/// The route the debugger subsystem serves.
pub const ROUTE: &str = "sys://debugger";
/// The name it is registered under.
pub const NAME: &str = "debugger";

impl System {
    /// One turn of `sys://debugger`: answer what came.
    pub(super) fn serve_debugger(&mut self) {
        while let Some(request) = self
            .debugger
            .as_ref()
            .and_then(|endpoint| endpoint.try_recv().ok())
            .and_then(|delivery| delivery.into_request())
        {
            // A caller that gave up is not the debugger's problem.
            let _ = if request.method() == Method::Read {
                request.reply(self.debugger_status())
            } else {
                request.fail(405)
            };
        }
    }

    /// `{attached, components: [{name, thread, stopped}]}`.
    fn debugger_status(&self) -> Record {
        let port = self.vsoc.debug_port();
        let mut ids = Vec::new();
        port.instances(&mut |id| ids.push(id));
        let components = ids
            .into_iter()
            .filter_map(|id| {
                let mut name = alloc::string::String::new();
                port.names(id, &mut |component, _| name.push_str(component))
                    .ok()?;
                let stopped = port.is_paused(id).unwrap_or(false);
                Some(Value::Record(
                    Record::new()
                        .with("name", name.as_str())
                        .with("thread", u64::from(id))
                        .with("stopped", stopped),
                ))
            })
            .collect();
        Record::new()
            .with("attached", port.is_attached())
            .with("components", Value::List(components))
    }
}

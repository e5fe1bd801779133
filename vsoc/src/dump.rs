//! The coroutine dump of a vSoC: the kernel's task list, then one line per
//! live instance with its statistics (seed §8.2).

use core::fmt;

use fireball_kernel::sched::Executor;

use crate::registry::Registry;

/// A `Display`-able snapshot: the kernel dump followed by the instances.
///
/// ```text
/// id        name              state    partition  polls  yields
/// #0.1      spinner           ready    P5/1           12      11
/// 1 task(s), 1 ready, capacity 32
/// task   module        placement  fuel      slices  yields  calls  memory/peak  state
/// #0.1   spinner       P5/1       360000    12      11      0      65536/65536  running
/// ```
pub struct VsocDump<'a> {
    executor: &'a Executor,
    registry: &'a Registry,
}

impl<'a> VsocDump<'a> {
    pub(crate) fn new(executor: &'a Executor, registry: &'a Registry) -> Self {
        Self { executor, registry }
    }
}

impl fmt::Display for VsocDump<'_> {
    #[cfg_attr(fireball_size_hints, optimize(size))]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let monitors = self.registry.monitors.borrow();
        // Instance tasks show the component they run, not the kernel's `wasm-*` kind.
        let label = |id| {
            monitors
                .iter()
                .find(|(task, _)| *task == id)
                .map(|(_, monitor)| monitor.name())
        };
        writeln!(f, "{}", self.executor.dump().labelled(&label))?;
        writeln!(
            f,
            "{:<7} {:<13} {:<10} {:>10} {:>7} {:>7} {:>6} {:>13}  state",
            "task", "module", "placement", "fuel", "slices", "yields", "calls", "memory/peak"
        )?;
        for (task, monitor) in monitors.iter() {
            if !self.executor.contains(*task) {
                continue;
            }
            let stats = monitor.stats();
            writeln!(
                f,
                "{:<7} {:<13} {:<10} {:>10} {:>7} {:>7} {:>6} {:>6}/{:<6}  {}",
                Padded(format_args!("{task}")),
                monitor.name(),
                Padded(format_args!("{}", monitor.placement())),
                stats.fuel_consumed,
                stats.slices,
                stats.yields,
                stats.builtins.host_calls,
                stats.memory_bytes,
                stats.memory_peak,
                monitor.state()
            )?;
        }
        Ok(())
    }
}

/// Formats its arguments into a padded column without allocating.
struct Padded<'a>(fmt::Arguments<'a>);

impl fmt::Display for Padded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 24];
        let mut cursor = Cursor {
            buf: &mut buf,
            len: 0,
        };
        fmt::write(&mut cursor, self.0)?;
        let len = cursor.len;
        f.pad(core::str::from_utf8(&buf[..len]).unwrap_or("?"))
    }
}

struct Cursor<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dest = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dest.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

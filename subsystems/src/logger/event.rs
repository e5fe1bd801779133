//! What the logger records: 8-byte events (seed §1.2.1: 256 × 8 B).

use core::fmt;

/// Severity, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    /// Something failed and a component was stopped or lost data.
    Error = 0,
    /// Something is wrong but everything still runs.
    Warn = 1,
    /// Normal lifecycle events.
    Info = 2,
    /// Detail for debugging (task switches, channel traffic).
    Debug = 3,
}

impl Level {
    fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0 => Self::Error,
            1 => Self::Warn,
            2 => Self::Info,
            _ => Self::Debug,
        }
    }

    /// A fixed-width label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Error => "ERROR",
            Self::Warn => "WARN ",
            Self::Info => "INFO ",
            Self::Debug => "DEBUG",
        }
    }
}

/// What happened. The subject (`arg`) of each kind is noted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EventKind {
    /// Scheduler: a task was spawned (task slot).
    TaskSpawned = 1,
    /// Scheduler: a task was resumed (task slot).
    TaskResumed = 2,
    /// Scheduler: a task completed (task slot).
    TaskCompleted = 3,
    /// Scheduler: a task was cancelled (task slot).
    TaskCancelled = 4,
    /// Channel: a value was sent (channel id).
    ChannelSend = 10,
    /// Channel: a value was received (channel id).
    ChannelRecv = 11,
    /// Channel: closed (channel id).
    ChannelClosed = 12,
    /// Memory: an allocation failed (partition number).
    AllocFailed = 20,
    /// Memory: a partition crossed its warning threshold (partition number).
    MemoryWarning = 21,
    /// Memory: a partition crossed its critical threshold (partition number).
    MemoryCritical = 22,
    /// Router: a request reached a dead or restarted peer (route id). (A denial is logged
    /// as a message naming caller, method and URI, not as an event: 30 is free.)
    DeadPeer = 31,
    /// vSoC: an instance trapped (instance id).
    InstanceTrapped = 40,
    /// vSoC: an instance was stopped for exhausting its memory (instance id).
    InstanceOutOfMemory = 41,
    /// A component's text message was logged (component id); the text went to
    /// the message queue.
    Message = 50,
}

impl EventKind {
    fn from_u8(value: u8) -> Option<Self> {
        use EventKind::*;
        Some(match value {
            1 => TaskSpawned,
            2 => TaskResumed,
            3 => TaskCompleted,
            4 => TaskCancelled,
            10 => ChannelSend,
            11 => ChannelRecv,
            12 => ChannelClosed,
            20 => AllocFailed,
            21 => MemoryWarning,
            22 => MemoryCritical,
            31 => DeadPeer,
            40 => InstanceTrapped,
            41 => InstanceOutOfMemory,
            50 => Message,
            _ => return None,
        })
    }

    /// The subsystem that reports this kind.
    pub fn source(self) -> &'static str {
        match self as u8 {
            0..=9 => "sched",
            10..=19 => "csp",
            20..=29 => "mem",
            30..=39 => "router",
            40..=49 => "vsoc",
            _ => "log",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::TaskSpawned => "task spawned",
            Self::TaskResumed => "task resumed",
            Self::TaskCompleted => "task completed",
            Self::TaskCancelled => "task cancelled",
            Self::ChannelSend => "send on channel",
            Self::ChannelRecv => "receive on channel",
            Self::ChannelClosed => "channel closed",
            Self::AllocFailed => "allocation failed in partition",
            Self::MemoryWarning => "usage warning in partition",
            Self::MemoryCritical => "usage critical in partition",
            Self::DeadPeer => "dead peer on route",
            Self::InstanceTrapped => "trapped: instance",
            Self::InstanceOutOfMemory => "out of memory: instance",
            Self::Message => "message from component",
        }
    }
}

/// One logged event: 8 bytes, so 256 of them fit the seed's 2 KiB budget.
///
/// Layout: time in milliseconds (wraps after 49 days), kind, level, and a
/// 16-bit subject (task slot, channel, partition, route or instance id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Event {
    at_ms: u32,
    kind: u8,
    level: u8,
    arg: u16,
}

const _: () = assert!(core::mem::size_of::<Event>() == 8);

impl Event {
    /// An event of `kind` about `arg`, at `at_ms`.
    pub const fn new(at_ms: u32, level: Level, kind: EventKind, arg: u16) -> Self {
        Self {
            at_ms,
            kind: kind as u8,
            level: level as u8,
            arg,
        }
    }

    /// When, in milliseconds since boot.
    pub fn at_ms(&self) -> u32 {
        self.at_ms
    }

    /// How severe.
    pub fn level(&self) -> Level {
        Level::from_bits(self.level)
    }

    /// What happened (`None` only for a corrupt slot, which the ring never makes).
    pub fn kind(&self) -> Option<EventKind> {
        EventKind::from_u8(self.kind)
    }

    /// The subject id.
    pub fn arg(&self) -> u16 {
        self.arg
    }
}

impl fmt::Display for Event {
    /// `[    12.345] INFO  sched: task spawned 3`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{:>6}.{:03}] {} ",
            self.at_ms / 1000,
            self.at_ms % 1000,
            self.level().label()
        )?;
        match self.kind() {
            Some(kind) => write!(f, "{}: {} {}", kind.source(), kind.describe(), self.arg),
            None => write!(f, "?: unknown event {} {}", self.kind, self.arg),
        }
    }
}

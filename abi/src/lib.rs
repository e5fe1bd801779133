//! The guest ↔ hypervisor ABI, described once.
//!
//! Both sides of the WebAssembly boundary depend on this crate: `vsoc` links
//! these names as host functions, and `guests-sdk` / `services-sdk` declare
//! them as raw imports. Nothing here executes; it is the contract.
//!
//! Every import lives in the module [`MODULE`]. Pointers and lengths passed
//! across the boundary are `i32` offsets into the caller's own linear memory
//! and are *allegations* until the host has checked them against that memory.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod uri;

/// The import module every Fireball builtin lives in.
pub const MODULE: &str = "fb";

/// The export a guest's entry point must have: `() -> ()`.
pub const ENTRY: &str = "fb_main";

/// Names of the builtins (runtime-embedded host functions that skip the router).
pub mod builtin {
    /// `print(ptr: i32, len: i32)`: write UTF-8 bytes to the instance's console.
    pub const PRINT: &str = "print";
    /// `abort(ptr: i32, len: i32)`: stop the instance with a message (a guest panic).
    pub const ABORT: &str = "abort";
    /// `gpio_read(pin: i32) -> i32`: the pin's level (0 or 1), or a negative [`status`](crate::status).
    pub const GPIO_READ: &str = "gpio_read";
    /// `gpio_write(pin: i32, level: i32) -> i32`: drive an output pin (level 0 low, else high).
    pub const GPIO_WRITE: &str = "gpio_write";
    /// `gpio_toggle(pin: i32) -> i32`: invert an output pin.
    pub const GPIO_TOGGLE: &str = "gpio_toggle";
    /// `time_ticks() -> i64`: monotonic ticks of the platform clock.
    pub const TIME_TICKS: &str = "time_ticks";
    /// `sleep_ticks(ticks: i64)`: block this instance until the clock has advanced `ticks`.
    pub const SLEEP_TICKS: &str = "sleep_ticks";
    /// `yield()`: end this slice now; other tasks run before the instance continues.
    pub const YIELD: &str = "yield";
    /// `breakpoint(id: i32)`: pause the instance here if breakpoint `id` is armed
    /// (ids `0..MAX_BREAKPOINTS`); a no-op otherwise.
    pub const BREAKPOINT: &str = "breakpoint";
    /// `chan_send(handle: i32, value: i64) -> i32`: send on a kernel channel, blocking
    /// while it is full; a [`status`](crate::status).
    pub const CHAN_SEND: &str = "chan_send";
    /// `chan_recv(handle: i32, out_ptr: i32) -> i32`: receive from a kernel channel,
    /// blocking until a value arrives; the value is stored as a little-endian `i64` at
    /// `out_ptr`. Returns a [`status`](crate::status).
    pub const CHAN_RECV: &str = "chan_recv";
    /// `irq_subscribe(mask: i32) -> i32`: claim the ISR flags in `mask` for this instance.
    pub const IRQ_SUBSCRIBE: &str = "irq_subscribe";
    /// `wait_irq(mask: i32) -> i32`: block until one of the subscribed flags in `mask` is
    /// raised; returns (and clears) the raised flags, or a negative [`status`](crate::status).
    pub const WAIT_IRQ: &str = "wait_irq";
    /// `mmio_read32(addr: i32) -> i32`: read a register of the vOffloader device window.
    pub const MMIO_READ32: &str = "mmio_read32";
    /// `mmio_write32(addr: i32, value: i32)`: write a register of the device window.
    pub const MMIO_WRITE32: &str = "mmio_write32";
    /// `matmul_f32(a: i32, b: i32, c: i32, m: i32, k: i32, n: i32)`: `C = A × B` for
    /// row-major f32 matrices `A` (m×k), `B` (k×n), `C` (m×n) in the caller's memory,
    /// computed natively by the vOffloader.
    pub const MATMUL_F32: &str = "matmul_f32";
    /// `route_bind(uri_ptr: i32, uri_len: i32) -> i32`: resolve a router URI once for this
    /// instance (policy checked at each call); a binding handle (`>= 0`) or a negative
    /// [`status`](crate::status).
    pub const ROUTE_BIND: &str = "route_bind";
    /// `route_unbind(binding: i32) -> i32`: forget a binding handle; a [`status`](crate::status).
    pub const ROUTE_UNBIND: &str = "route_unbind";
    /// `route_call(binding: i32, method: i32, req_ptr: i32, req_len: i32) -> i32`: send the
    /// postcard-encoded record `req` as a request ([`method`](crate::method)) and block until
    /// the reply; returns the reply's encoded length (fetch it with `route_reply`) or a
    /// negative [`status`](crate::status) (a handler's failure code `c` is
    /// [`status::failed(c)`](crate::status::failed)).
    pub const ROUTE_CALL: &str = "route_call";
    /// `route_reply(ptr: i32, cap: i32) -> i32`: copy the last reply into the caller's buffer;
    /// its length, [`status::TOO_LARGE`](crate::status::TOO_LARGE) (kept: retry with a larger
    /// buffer) or [`status::NO_REPLY`](crate::status::NO_REPLY).
    pub const ROUTE_REPLY: &str = "route_reply";
    /// `route_call_into(binding: i32, method: i32, req_ptr: i32, req_len: i32, out_ptr: i32,
    /// out_cap: i32) -> i32`: `route_call` and `route_reply` in one builtin (one crossing
    /// into the host per call instead of two): send the request, block until the reply and
    /// copy it into `out_ptr..out_ptr+out_cap`. Returns the reply's length; a length larger
    /// than `out_cap` means the reply was *not* copied and is kept (fetch it with
    /// `route_reply` into a buffer that large). A negative [`status`](crate::status) as
    /// for `route_call`. The buffer is checked before the request is sent (outside the
    /// instance's memory: a trap, as for every builtin).
    pub const ROUTE_CALL_INTO: &str = "route_call_into";
    /// `route_notify(binding: i32, method: i32, req_ptr: i32, req_len: i32) -> i32`: a one-way
    /// message (never blocks: a full inbox is [`status::QUEUE_FULL`](crate::status::QUEUE_FULL)).
    pub const ROUTE_NOTIFY: &str = "route_notify";
    /// `route_timeout(binding: i32, timeout_ms: i32) -> i32`: the deadline of the calls made
    /// through this binding from now on, in milliseconds (`0`: none), overriding the
    /// deployment's and the reach entry's; a call past it fails with
    /// [`status::TIMEOUT`](crate::status::TIMEOUT). [`status::OK`](crate::status::OK),
    /// [`status::BAD_HANDLE`](crate::status::BAD_HANDLE), or
    /// [`status::BAD_MESSAGE`](crate::status::BAD_MESSAGE) for a negative timeout.
    pub const ROUTE_TIMEOUT: &str = "route_timeout";
    /// `route_next() -> i32`: (services) block until a request, notification or publication
    /// arrives on one of this instance's routes; returns the length of its encoding in the
    /// [`delivery`](crate::delivery) layout (fetch it with `route_take`), or a negative
    /// [`status`](crate::status): [`NO_ROUTER`](crate::status::NO_ROUTER) if the instance
    /// serves no routes, [`TABLE_FULL`](crate::status::TABLE_FULL) while
    /// [`MAX_OPEN_REQUESTS`](crate::limits::MAX_OPEN_REQUESTS) requests are unanswered.
    pub const ROUTE_NEXT: &str = "route_next";
    /// `route_take(ptr: i32, cap: i32) -> i32`: copy the delivery `route_next` announced into
    /// the caller's buffer; its length, [`status::TOO_LARGE`](crate::status::TOO_LARGE) (kept:
    /// retry with a larger buffer) or [`status::NO_REPLY`](crate::status::NO_REPLY) (nothing
    /// held).
    pub const ROUTE_TAKE: &str = "route_take";
    /// `route_respond(token: i32, code: i32, ptr: i32, len: i32) -> i32`: answer the request
    /// `token` (from its [`delivery`](crate::delivery) header): `code` 0 replies with the
    /// postcard-encoded record `ptr..ptr+len`; `code` 1..=65535 fails it with that application
    /// code (the body is ignored). A [`status`](crate::status):
    /// [`BAD_HANDLE`](crate::status::BAD_HANDLE) for a token that is not open,
    /// [`BAD_MESSAGE`](crate::status::BAD_MESSAGE) for a reply that is not a record (the
    /// request stays open). A caller that gave up meanwhile is not an error.
    ///
    /// Token 0 names the delivery `route_next` announced that the module has not taken (it
    /// does not fit the module's buffer: `route_take` said `TOO_LARGE`): `code` 1..=65535
    /// drops it, failing it with that code if it is a request (413 says why);
    /// [`NO_REPLY`](crate::status::NO_REPLY) when nothing is held.
    pub const ROUTE_RESPOND: &str = "route_respond";
    /// `route_respond_next(token: i32, code: i32, ptr: i32, len: i32, in_ptr: i32,
    /// in_cap: i32) -> i32`: (services) a serve loop's turn in one builtin — answer, then
    /// wait — instead of three (`route_respond`, `route_next`, `route_take`).
    ///
    /// First, unless `code` is negative (nothing to answer), `route_respond(token, code, ptr,
    /// len)`; if that is refused, its status is returned at once and nothing is waited for:
    /// [`BAD_HANDLE`](crate::status::BAD_HANDLE), [`BAD_MESSAGE`](crate::status::BAD_MESSAGE),
    /// [`TOO_LARGE`](crate::status::TOO_LARGE) or [`NO_REPLY`](crate::status::NO_REPLY), as
    /// `route_respond` says (the request stays open). Then `route_next`: block until a
    /// delivery arrives and copy it into `in_ptr..in_ptr+in_cap` in the
    /// [`delivery`](crate::delivery) layout. Returns its length; a length larger than
    /// `in_cap` means it was *not* copied and is held (take it with `route_take` into a
    /// larger buffer, or refuse it with token 0). The wait's refusals are
    /// `route_next`'s: [`NO_ROUTER`](crate::status::NO_ROUTER),
    /// [`TABLE_FULL`](crate::status::TABLE_FULL). The reply may be read from the same buffer
    /// the next delivery is copied into: it is taken before the wait.
    pub const ROUTE_RESPOND_NEXT: &str = "route_respond_next";
    /// `route_serve(pattern_ptr: i32, pattern_len: i32, method: i32) -> i32`: (services)
    /// declare that the instance serves [`method`](crate::method) on route pattern
    /// `pattern` (UTF-8, [`uri`](crate::uri)'s syntax); the services SDK declares each of
    /// its routes once, before its first `route_next`. What `fireball inspect` lists as the
    /// module's routes (it runs the module to its first `route_next`); the deliveries a
    /// service gets are still those the manifest registers it for.
    /// [`status::OK`](crate::status::OK) (also for a route declared again),
    /// [`BAD_MESSAGE`](crate::status::BAD_MESSAGE) for a number that is no method,
    /// [`BAD_URI`](crate::status::BAD_URI) for a malformed pattern,
    /// [`TOO_LARGE`](crate::status::TOO_LARGE) past [`MAX_URI`](crate::limits::MAX_URI)
    /// ([`uri::declared_pattern`](crate::uri::declared_pattern)), and
    /// [`TABLE_FULL`](crate::status::TABLE_FULL) past 64 routes when they are kept.
    pub const ROUTE_SERVE: &str = "route_serve";
    /// `record_read(shape: i32, ptr: i32, len: i32, out: i32, out_len: i32) -> i32`: read the
    /// postcard-encoded record `ptr..ptr+len` as the type whose flat layout `shape` points at
    /// (a `fireball_record::message::Shape` in the caller's memory, with the types and keys
    /// it points at), writing the values into the flat block `out..out+out_len` (at most
    /// `fireball_record::message::flat::MAX_FLAT` bytes). The record is held to
    /// [`MAX_ROUTE_MESSAGE`](crate::limits::MAX_ROUTE_MESSAGE) bytes and the record
    /// codec's default depth and width. [`status::OK`](crate::status::OK), or
    /// [`BAD_MESSAGE`](crate::status::BAD_MESSAGE) when the bytes are not such a record
    /// (or the shape is not readable); [`TOO_LARGE`](crate::status::TOO_LARGE) for a record
    /// or block over those limits. What a module's decode is: it carries no codec for
    /// reading.
    pub const RECORD_READ: &str = "record_read";

    /// A value type in a builtin's WebAssembly signature (pointers and lengths are `I32`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum ValType {
        /// `i32`.
        I32,
        /// `i64`.
        I64,
    }

    /// A builtin's name and WebAssembly signature.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Signature {
        /// Its import name (in module [`MODULE`](crate::MODULE)).
        pub name: &'static str,
        /// Its parameters.
        pub params: &'static [ValType],
        /// Its results (none or one).
        pub results: &'static [ValType],
    }

    use ValType::{I32, I64};

    const fn sig(
        name: &'static str,
        params: &'static [ValType],
        results: &'static [ValType],
    ) -> Signature {
        Signature {
            name,
            params,
            results,
        }
    }

    /// Every builtin with its signature: the one table the host's linker and the guests'
    /// imports are checked against (`tests/tests/integration/abi_builtins.rs`: the vSoC links each
    /// exactly so, and every module built — Rust SDKs and the C guest — imports each exactly
    /// so).
    pub const SIGNATURES: &[Signature] = &[
        sig(PRINT, &[I32, I32], &[]),
        sig(ABORT, &[I32, I32], &[]),
        sig(GPIO_READ, &[I32], &[I32]),
        sig(GPIO_WRITE, &[I32, I32], &[I32]),
        sig(GPIO_TOGGLE, &[I32], &[I32]),
        sig(TIME_TICKS, &[], &[I64]),
        sig(SLEEP_TICKS, &[I64], &[]),
        sig(YIELD, &[], &[]),
        sig(BREAKPOINT, &[I32], &[]),
        sig(CHAN_SEND, &[I32, I64], &[I32]),
        sig(CHAN_RECV, &[I32, I32], &[I32]),
        sig(IRQ_SUBSCRIBE, &[I32], &[I32]),
        sig(WAIT_IRQ, &[I32], &[I32]),
        sig(MMIO_READ32, &[I32], &[I32]),
        sig(MMIO_WRITE32, &[I32, I32], &[]),
        sig(MATMUL_F32, &[I32, I32, I32, I32, I32, I32], &[]),
        sig(ROUTE_BIND, &[I32, I32], &[I32]),
        sig(ROUTE_UNBIND, &[I32], &[I32]),
        sig(ROUTE_CALL, &[I32, I32, I32, I32], &[I32]),
        sig(ROUTE_REPLY, &[I32, I32], &[I32]),
        sig(ROUTE_NOTIFY, &[I32, I32, I32, I32], &[I32]),
        sig(ROUTE_TIMEOUT, &[I32, I32], &[I32]),
        sig(ROUTE_NEXT, &[], &[I32]),
        sig(ROUTE_TAKE, &[I32, I32], &[I32]),
        sig(ROUTE_RESPOND, &[I32, I32, I32, I32], &[I32]),
        sig(ROUTE_SERVE, &[I32, I32, I32], &[I32]),
        sig(RECORD_READ, &[I32, I32, I32, I32, I32], &[I32]),
        sig(ROUTE_CALL_INTO, &[I32, I32, I32, I32, I32, I32], &[I32]),
        sig(ROUTE_RESPOND_NEXT, &[I32, I32, I32, I32, I32, I32], &[I32]),
    ];

    /// The signature of builtin `name`.
    pub fn signature(name: &str) -> Option<&'static Signature> {
        SIGNATURES.iter().find(|s| s.name == name)
    }

    /// Every builtin, for tools that list what a module needs (the names of [`SIGNATURES`],
    /// in its order).
    pub const ALL: &[&str] = &[
        PRINT,
        ABORT,
        GPIO_READ,
        GPIO_WRITE,
        GPIO_TOGGLE,
        TIME_TICKS,
        SLEEP_TICKS,
        YIELD,
        BREAKPOINT,
        CHAN_SEND,
        CHAN_RECV,
        IRQ_SUBSCRIBE,
        WAIT_IRQ,
        MMIO_READ32,
        MMIO_WRITE32,
        MATMUL_F32,
        ROUTE_BIND,
        ROUTE_UNBIND,
        ROUTE_CALL,
        ROUTE_REPLY,
        ROUTE_NOTIFY,
        ROUTE_TIMEOUT,
        ROUTE_NEXT,
        ROUTE_TAKE,
        ROUTE_RESPOND,
        ROUTE_SERVE,
        RECORD_READ,
        ROUTE_CALL_INTO,
        ROUTE_RESPOND_NEXT,
    ];
}

/// The debug probes an instrumented debug build imports (`fireball-instrument` inserts
/// them; the vSoC's debug support answers them; `docs/debugger.md`).
///
/// A release module imports none of these and pays nothing. Every offset is a byte offset
/// into the *original* module file, so the debugger's view (and DWARF's) is the user's
/// module, not the instrumented one.
///
/// Each instrumented function runs `enter(body)` first and `leave()` last (every `return`
/// becomes a branch to that epilogue). Before every instruction that starts a line-table
/// row, and after every call, sits a *stop location*:
/// `line(offset) → if: local_*(i, v)… ; stop() end`. Before every call sits
/// `call(return_offset) → if: local_*(i, v)… end`, which records where the frame will
/// resume and, while a debugger is attached, the frame's locals as they are during the call.
pub mod debug {
    /// The import module of the probes.
    pub const MODULE: &str = "fireball_dbg";
    /// `enter(body: i32)`: a function whose code entry starts at file offset `body` was
    /// entered: push a frame.
    pub const ENTER: &str = "enter";
    /// `leave()`: the innermost function returns: pop its frame.
    pub const LEAVE: &str = "leave";
    /// `line(offset: i32) -> i32`: execution reached the stop location at `offset`; non-zero
    /// when the instance must stop here (the probe then records the frame's locals and calls
    /// [`STOP`]).
    pub const LINE: &str = "line";
    /// `call(return_offset: i32) -> i32`: the frame calls a function and will resume at
    /// `return_offset`; non-zero when the debugger wants the frame's locals recorded.
    pub const CALL: &str = "call";
    /// `local_i32(index: i32, value: i32)`: local `index` of the innermost frame.
    pub const LOCAL_I32: &str = "local_i32";
    /// `local_i64(index: i32, value: i64)`.
    pub const LOCAL_I64: &str = "local_i64";
    /// `local_f32(index: i32, value: f32)`.
    pub const LOCAL_F32: &str = "local_f32";
    /// `local_f64(index: i32, value: f64)`.
    pub const LOCAL_F64: &str = "local_f64";
    /// `stop()`: pause here until the debugger resumes this instance.
    pub const STOP: &str = "stop";
    /// Every probe, in the order the instrumenter adds the imports.
    pub const ALL: &[&str] = &[
        ENTER, LEAVE, LINE, CALL, LOCAL_I32, LOCAL_I64, LOCAL_F32, LOCAL_F64, STOP,
    ];
    /// The custom section an instrumented module carries: the UTF-8 name the debugger
    /// reports for it (the path of the original module, with its DWARF, on the host that
    /// built it), so LLDB loads the user's file.
    pub const SECTION: &str = "fireball.debug";
    /// Each global `N` of an instrumented module is also exported as `GLOBAL_EXPORT` + `N`,
    /// so the debugger can read it.
    pub const GLOBAL_EXPORT: &str = "__fb_global_";
}

/// How `route_take` lays out a delivery in the service's memory.
///
/// A 16-byte header, then the URI the caller used (`svc://filter/2`), the caller's component
/// name, and the body (a postcard-encoded record), back to back:
///
/// | offset | size | field |
/// | ---: | ---: | --- |
/// | 0 | 1 | kind: [`REQUEST`], [`NOTIFICATION`] or [`PUBLICATION`] |
/// | 1 | 1 | method ([`method`](crate::method) number) |
/// | 2 | 2 | URI length (LE) |
/// | 4 | 4 | request token for `route_respond` (LE; 0 unless a request) |
/// | 8 | 2 | caller name length (LE) |
/// | 10 | 2 | reserved, 0 |
/// | 12 | 4 | body length (LE) |
pub mod delivery {
    /// Header bytes before the URI.
    pub const HEADER_LEN: usize = 16;
    /// A request: answer it with `route_respond`.
    pub const REQUEST: u8 = 0;
    /// A one-way message.
    pub const NOTIFICATION: u8 = 1;
    /// A publication on a topic the service subscribed to.
    pub const PUBLICATION: u8 = 2;

    /// What a delivery is: the header's kind byte as a type.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Kind {
        /// A request: answered (`route_respond`) by its token.
        Request,
        /// A one-way message: nobody waits for an answer.
        Notification,
        /// A publication on a topic the module subscribed to (nobody waits either).
        Publication,
    }

    impl Kind {
        /// The kind a header's byte names; `None` for an unknown one.
        pub const fn from_byte(byte: u8) -> Option<Kind> {
            match byte {
                REQUEST => Some(Kind::Request),
                NOTIFICATION => Some(Kind::Notification),
                PUBLICATION => Some(Kind::Publication),
                _ => None,
            }
        }

        /// The header's byte for this kind.
        pub const fn byte(self) -> u8 {
            match self {
                Kind::Request => REQUEST,
                Kind::Notification => NOTIFICATION,
                Kind::Publication => PUBLICATION,
            }
        }
    }

    /// Whether `bytes` are UTF-8 (what a delivery's URI and caller name are, and a record's
    /// keys and strings). The same answer as `core::str::from_utf8(bytes).is_ok()`, in a
    /// tenth of its code: a module checks a few short names per message, where core's
    /// word-at-a-time validator and its 256-byte table cost more than they save.
    #[inline(never)]
    pub const fn is_utf8(bytes: &[u8]) -> bool {
        let mut rest = bytes;
        while let [lead, tail @ ..] = rest {
            let lead = *lead;
            if lead < 0x80 {
                // ASCII, the common case: skip a run of it in a tight loop.
                let mut ascii = 1;
                while ascii < rest.len() && rest[ascii] < 0x80 {
                    ascii += 1;
                }
                rest = match rest.split_at_checked(ascii) {
                    Some((_, tail)) => tail,
                    None => &[],
                };
                continue;
            }
            let (n, min) = if lead & 0xE0 == 0xC0 {
                (1, 0x80)
            } else if lead & 0xF0 == 0xE0 {
                (2, 0x800)
            } else if lead & 0xF8 == 0xF0 {
                (3, 0x1_0000)
            } else {
                return false;
            };
            let mut point = (lead & (0x7F >> (n + 1))) as u32;
            let mut k = 0;
            rest = tail;
            while k < n {
                let [next, tail @ ..] = rest else {
                    return false;
                };
                if *next & 0xC0 != 0x80 {
                    return false;
                }
                point = (point << 6) | (*next & 0x3F) as u32;
                rest = tail;
                k += 1;
            }
            if point < min || point > 0x10_FFFF || (point >= 0xD800 && point <= 0xDFFF) {
                return false;
            }
        }
        true
    }

    /// A delivery's header, decoded.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Header {
        /// [`REQUEST`], [`NOTIFICATION`] or [`PUBLICATION`].
        pub kind: u8,
        /// The [`method`](crate::method) number.
        pub method: u8,
        /// The token `route_respond` answers (requests only).
        pub token: u32,
        /// URI length in bytes.
        pub uri_len: u16,
        /// Caller name length in bytes.
        pub caller_len: u16,
        /// Body length in bytes.
        pub body_len: u32,
    }

    impl Header {
        /// Bytes of the whole delivery: header, URI, caller, body.
        pub const fn total_len(&self) -> usize {
            HEADER_LEN + self.uri_len as usize + self.caller_len as usize + self.body_len as usize
        }

        /// The header's bytes.
        pub fn encode(&self) -> [u8; HEADER_LEN] {
            let mut out = [0u8; HEADER_LEN];
            out[0] = self.kind;
            out[1] = self.method;
            out[2..4].copy_from_slice(&self.uri_len.to_le_bytes());
            out[4..8].copy_from_slice(&self.token.to_le_bytes());
            out[8..10].copy_from_slice(&self.caller_len.to_le_bytes());
            out[12..16].copy_from_slice(&self.body_len.to_le_bytes());
            out
        }

        /// Read a header from the front of `bytes`; `None` if it is short or its lengths
        /// overrun `bytes`.
        pub fn decode(bytes: &[u8]) -> Option<Self> {
            let field = |at: usize, n: usize| bytes.get(at..at + n);
            let u16_at = |at| field(at, 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
            let u32_at = |at| field(at, 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            let header = Self {
                kind: *bytes.first()?,
                method: *bytes.get(1)?,
                uri_len: u16_at(2)?,
                token: u32_at(4)?,
                caller_len: u16_at(8)?,
                body_len: u32_at(12)?,
            };
            (header.total_len() <= bytes.len()).then_some(header)
        }

        /// Split a whole delivery into `(uri, caller, body)` bytes.
        pub fn parts<'a>(&self, bytes: &'a [u8]) -> Option<(&'a [u8], &'a [u8], &'a [u8])> {
            let uri_end = HEADER_LEN + self.uri_len as usize;
            let caller_end = uri_end + self.caller_len as usize;
            let body_end = caller_end + self.body_len as usize;
            Some((
                bytes.get(HEADER_LEN..uri_end)?,
                bytes.get(uri_end..caller_end)?,
                bytes.get(caller_end..body_end)?,
            ))
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn utf8_is_checked_as_core_checks_it() {
            let mut seed = 0x2545_F491_4F6C_DD1Du64;
            let mut next = move || {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed
            };
            for case in 0..200_000u32 {
                let len = (next() % 8) as usize;
                let bytes: [u8; 8] = next().to_le_bytes();
                // Bias toward the interesting bytes: leads, continuations, edges.
                let bytes = bytes.map(|b| match case % 3 {
                    0 => b,
                    1 => 0x80 | (b & 0x7F),
                    _ => [
                        0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0x80, 0xBF, 0x9F,
                        0xA0, 0x8F, 0x90, 0x41,
                    ][usize::from(b & 15)],
                });
                let bytes = &bytes[..len];
                assert_eq!(
                    is_utf8(bytes),
                    core::str::from_utf8(bytes).is_ok(),
                    "{bytes:02x?}"
                );
            }
            assert!(is_utf8("svc://filter/é/€/😀".as_bytes()));
        }

        #[test]
        fn a_header_round_trips_and_short_input_is_refused() {
            let header = Header {
                kind: REQUEST,
                method: 2,
                token: 0xDEAD_BEEF,
                uri_len: 3,
                caller_len: 2,
                body_len: 1,
            };
            let mut bytes = [0u8; HEADER_LEN + 6];
            bytes[..HEADER_LEN].copy_from_slice(&header.encode());
            bytes[HEADER_LEN..].copy_from_slice(b"a:/bcX");
            assert_eq!(Header::decode(&bytes), Some(header));
            assert_eq!(
                header.parts(&bytes),
                Some((&b"a:/"[..], &b"bc"[..], &b"X"[..]))
            );
            assert_eq!(Header::decode(&bytes[..bytes.len() - 1]), None);
            assert_eq!(Header::decode(&bytes[..3]), None);
        }
    }
}

/// Router methods as the `route_call` / `route_notify` builtins number them.
pub mod method {
    /// Read state (`hal://adc/3` → a sample).
    pub const READ: i32 = super::Method::Read.number();
    /// Change state or hand data over (a GPIO level, a log line).
    pub const WRITE: i32 = super::Method::Write.number();
    /// Invoke an operation (`hal://i2c/0/68` transfer).
    pub const CALL: i32 = super::Method::Call.number();
    /// Only in a [`delivery`](crate::delivery) header: a publication on a subscribed route.
    pub const SUBSCRIBE: i32 = super::Method::Subscribe.number();
}

/// What a request does with a route: the one definition the router, the vSoC, both SDKs and
/// the manifest use. On the wire (builtins, delivery headers) it is its
/// [`number`](Method::number) ([`method`] names them for C).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Method {
    /// Reads state (`hal://adc/3` → a sample).
    Read = 0,
    /// Changes state or hands data over (a log line, a PWM duty).
    Write = 1,
    /// Invokes an operation (`svc://filter/apply`).
    Call = 2,
    /// Receives what the route's owner publishes.
    Subscribe = 3,
}

impl Method {
    /// Every method, in order.
    pub const ALL: [Method; 4] = [Method::Read, Method::Write, Method::Call, Method::Subscribe];

    /// The lowercase name used in traces and manifests.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Read => "read",
            Method::Write => "write",
            Method::Call => "call",
            Method::Subscribe => "subscribe",
        }
    }

    /// The method with this name (`"read"`), as a manifest spells it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// Its number on the wire.
    pub const fn number(self) -> i32 {
        self as i32
    }

    /// The method with this number.
    pub const fn from_number(number: i32) -> Option<Self> {
        match number {
            0 => Some(Method::Read),
            1 => Some(Method::Write),
            2 => Some(Method::Call),
            3 => Some(Method::Subscribe),
            _ => None,
        }
    }

    /// The method a module may send a request or notification with: `read`, `write` or
    /// `call` (a module subscribes through its manifest, not with a request).
    pub const fn requested(number: i32) -> Option<Self> {
        match Self::from_number(number) {
            Some(Method::Subscribe) | None => None,
            method => method,
        }
    }
}

impl core::fmt::Display for Method {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Status codes builtins return (`>= 0` is success).
pub mod status {
    /// Success.
    pub const OK: i32 = 0;
    /// The channel is closed: nothing will ever be sent or received on it.
    pub const CLOSED: i32 = -1;
    /// The handle names no live object of this vSoC (stale or forged).
    pub const BAD_HANDLE: i32 = -2;
    /// The pin does not exist on this board.
    pub const NO_SUCH_PIN: i32 = -3;
    /// The pin is not usable that way (e.g. writing an input).
    pub const PIN_MODE: i32 = -4;
    /// The ISR flags are already claimed by another instance, or not claimed by this one.
    pub const IRQ_TAKEN: i32 = -5;
    /// The router's policy does not let this instance use that method on that route (the
    /// handler never saw the request).
    pub const DENIED: i32 = -6;
    /// Nobody serves the route any more (the component stopped, holding the request if
    /// it had been delivered): bind again later.
    pub const DEAD_PEER: i32 = -7;
    /// The component serving the route restarted since the bind, or stopped holding the
    /// request and is being restarted: bind again.
    pub const RESTARTED: i32 = -8;
    /// No registered route matches the URI.
    pub const NO_ROUTE: i32 = -9;
    /// A request or reply is larger than the limits or the caller's buffer.
    pub const TOO_LARGE: i32 = -10;
    /// The handler's inbox is full: nothing was delivered; retry later.
    pub const QUEUE_FULL: i32 = -11;
    /// The request bytes are not a valid postcard record, or a record breaks the limits.
    pub const BAD_MESSAGE: i32 = -12;
    /// The URI is malformed, or the method number is unknown.
    pub const BAD_URI: i32 = -13;
    /// The handler dropped the request unanswered, or there is no reply to fetch.
    pub const NO_REPLY: i32 = -14;
    /// The platform gave this vSoC no router, or the instance could not be registered
    /// with it (another live component has its name).
    pub const NO_ROUTER: i32 = -15;
    /// The binding table of this instance is full (unbind some).
    pub const TABLE_FULL: i32 = -16;
    /// The call's deadline passed before the handler answered (the deployment's default,
    /// the policy rule's, or the call's own). The handler may still act on the request and
    /// its late reply is discarded: retry only what is safe to do twice (SDK clients do not
    /// retry it by themselves).
    pub const TIMEOUT: i32 = -17;

    /// Base of handler failure codes: a handler answering `fail(c)` gives `failed(c)`.
    pub const FAILED_BASE: i32 = -0x1_0000;

    /// The status for a handler's application failure code `code`.
    pub const fn failed(code: u16) -> i32 {
        FAILED_BASE - code as i32
    }

    /// The handler's failure code, if `status` is one.
    pub const fn failure_code(status: i32) -> Option<u16> {
        let code = FAILED_BASE as i64 - status as i64;
        if code >= 0 && code <= u16::MAX as i64 {
            Some(code as u16)
        } else {
            None
        }
    }
}

/// The vOffloader's MMIO-style device window (seed §5 memory map).
pub mod mmio {
    /// First address of the device window.
    pub const WINDOW_BASE: u32 = 0xC000_0000;
    /// Size of the device window in bytes.
    pub const WINDOW_SIZE: u32 = 0x1000_0000;
}

/// Limits every module is held to, whatever its own declaration says.
pub mod limits {
    /// Longest message `print` or `abort` accepts, in bytes.
    pub const MAX_MESSAGE: usize = 1024;
    /// Breakpoints one instance may have armed at once.
    pub const MAX_BREAKPOINTS: usize = 10;
    /// Most elements (`m*k`, `k*n` or `m*n`) one `matmul_f32` operand may have.
    pub const MAX_MATRIX_ELEMENTS: u32 = 1 << 16;
    /// Longest URI `route_bind` accepts, in bytes.
    pub const MAX_URI: usize = 128;
    /// Largest encoded record `route_call` / `route_notify` take or give, in bytes (the
    /// router's own limits apply too: 512 B by default).
    pub const MAX_ROUTE_MESSAGE: usize = 1024;
    /// Router bindings one instance may hold at once.
    pub const MAX_BINDINGS: usize = 8;
    /// Requests a service may hold unanswered at once (`route_next` refuses more).
    pub const MAX_OPEN_REQUESTS: usize = 4;
}

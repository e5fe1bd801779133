//! The raw builtins: real imports on `wasm32`, a recording stub on the host.
//!
//! Every import here has the signature `fireball_abi::builtin::SIGNATURES` gives it: the
//! modules built with this SDK are checked against that table, as is the vSoC's linker
//! (`tests/tests/integration/abi_builtins.rs`).

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod imp {
    #[link(wasm_import_module = "fb")]
    unsafe extern "C" {
        #[link_name = "print"]
        fn fb_print(ptr: *const u8, len: usize);
        #[link_name = "abort"]
        fn fb_abort(ptr: *const u8, len: usize) -> !;
        #[link_name = "gpio_read"]
        fn fb_gpio_read(pin: i32) -> i32;
        #[link_name = "gpio_write"]
        fn fb_gpio_write(pin: i32, level: i32) -> i32;
        #[link_name = "gpio_toggle"]
        fn fb_gpio_toggle(pin: i32) -> i32;
        #[link_name = "time_ticks"]
        fn fb_time_ticks() -> i64;
        #[link_name = "sleep_ticks"]
        fn fb_sleep_ticks(ticks: i64);
        #[link_name = "yield"]
        fn fb_yield();
        #[link_name = "breakpoint"]
        fn fb_breakpoint(id: i32);
        #[link_name = "chan_send"]
        fn fb_chan_send(handle: i32, value: i64) -> i32;
        #[link_name = "chan_recv"]
        fn fb_chan_recv(handle: i32, out: *mut u8) -> i32;
        #[link_name = "irq_subscribe"]
        fn fb_irq_subscribe(mask: i32) -> i32;
        #[link_name = "wait_irq"]
        fn fb_wait_irq(mask: i32) -> i32;
        #[link_name = "mmio_read32"]
        fn fb_mmio_read32(addr: i32) -> i32;
        #[link_name = "mmio_write32"]
        fn fb_mmio_write32(addr: i32, value: i32);
        #[link_name = "matmul_f32"]
        fn fb_matmul_f32(a: *const f32, b: *const f32, c: *mut f32, m: usize, k: usize, n: usize);
        #[link_name = "route_bind"]
        fn fb_route_bind(uri: *const u8, len: usize) -> i32;
        #[link_name = "route_unbind"]
        fn fb_route_unbind(binding: i32) -> i32;
        #[link_name = "route_reply"]
        fn fb_route_reply(out: *mut u8, cap: usize) -> i32;
        #[link_name = "route_call_into"]
        fn fb_route_call_into(
            binding: i32,
            method: i32,
            req: *const u8,
            len: usize,
            out: *mut u8,
            cap: usize,
        ) -> i32;
        #[link_name = "route_timeout"]
        fn fb_route_timeout(binding: i32, timeout_ms: i32) -> i32;
        #[link_name = "route_notify"]
        fn fb_route_notify(binding: i32, method: i32, req: *const u8, len: usize) -> i32;
        #[link_name = "route_next"]
        fn fb_route_next() -> i32;
        #[link_name = "route_take"]
        fn fb_route_take(out: *mut u8, cap: usize) -> i32;
        #[link_name = "route_respond"]
        fn fb_route_respond(token: i32, code: i32, reply: *const u8, len: usize) -> i32;
        #[link_name = "route_respond_next"]
        fn fb_route_respond_next(
            token: i32,
            code: i32,
            reply: *const u8,
            len: usize,
            into: *mut u8,
            cap: usize,
        ) -> i32;
        #[link_name = "route_serve"]
        fn fb_route_serve(pattern: *const u8, len: usize, method: i32) -> i32;
        #[cfg(feature = "alloc")]
        #[link_name = "record_read"]
        fn fb_record_read(
            shape: *const fireball_record::message::Shape,
            record: *const u8,
            len: usize,
            out: *mut u8,
            out_len: usize,
        ) -> i32;
    }

    // Safety (all wrappers below): the builtins take integers only, or pointers
    // into slices of our own linear memory that the host checks before use.
    macro_rules! safe {
        ($($name:ident($($arg:ident: $ty:ty),*) $(-> $ret:ty)? = $raw:ident;)*) => {$(
            pub(crate) fn $name($($arg: $ty),*) $(-> $ret)? {
                // Safety: see above; integer arguments only.
                unsafe { $raw($($arg),*) }
            }
        )*};
    }
    safe! {
        gpio_read(pin: i32) -> i32 = fb_gpio_read;
        gpio_write(pin: i32, level: i32) -> i32 = fb_gpio_write;
        gpio_toggle(pin: i32) -> i32 = fb_gpio_toggle;
        time_ticks() -> i64 = fb_time_ticks;
        sleep_ticks(ticks: i64) = fb_sleep_ticks;
        yield_now() = fb_yield;
        breakpoint(id: i32) = fb_breakpoint;
        chan_send(handle: i32, value: i64) -> i32 = fb_chan_send;
        irq_subscribe(mask: i32) -> i32 = fb_irq_subscribe;
        wait_irq(mask: i32) -> i32 = fb_wait_irq;
        mmio_read32(addr: i32) -> i32 = fb_mmio_read32;
        mmio_write32(addr: i32, value: i32) = fb_mmio_write32;
        route_unbind(binding: i32) -> i32 = fb_route_unbind;
        route_timeout(binding: i32, timeout_ms: i32) -> i32 = fb_route_timeout;
        route_next() -> i32 = fb_route_next;
    }

    pub(crate) fn route_bind(uri: &[u8]) -> i32 {
        // Safety: `uri` is a live slice of our own memory; the host only reads it, checked.
        unsafe { fb_route_bind(uri.as_ptr(), uri.len()) }
    }

    pub(crate) fn route_call_into(
        binding: i32,
        method: i32,
        request: &[u8],
        out: &mut [u8],
    ) -> i32 {
        // Safety: `request` is a live slice and `out` a live, writable one of our own memory
        // (they do not overlap: one is shared, the other exclusive); the host only reads the
        // URI of a binding, and checks both ranges.
        unsafe {
            fb_route_call_into(
                binding,
                method,
                request.as_ptr(),
                request.len(),
                out.as_mut_ptr(),
                out.len(),
            )
        }
    }

    pub(crate) fn route_respond_next(
        token: i32,
        code: i32,
        reply_len: usize,
        buf: &mut [u8],
    ) -> i32 {
        let reply_len = reply_len.min(buf.len());
        // Safety: the reply is `buf[..reply_len]` and the delivery goes into `buf`, a live,
        // writable slice of our own memory; the host reads the reply before it writes the
        // delivery, and checks both ranges.
        unsafe {
            fb_route_respond_next(
                token,
                code,
                buf.as_ptr(),
                reply_len,
                buf.as_mut_ptr(),
                buf.len(),
            )
        }
    }

    pub(crate) fn route_reply(out: &mut [u8]) -> i32 {
        // Safety: `out` is a live, writable slice of our own memory; the host checks the range.
        unsafe { fb_route_reply(out.as_mut_ptr(), out.len()) }
    }

    pub(crate) fn route_notify(binding: i32, method: i32, request: &[u8]) -> i32 {
        // Safety: as for `route_bind`.
        unsafe { fb_route_notify(binding, method, request.as_ptr(), request.len()) }
    }

    pub(crate) fn route_take(out: &mut [u8]) -> i32 {
        // Safety: as for `route_reply`.
        unsafe { fb_route_take(out.as_mut_ptr(), out.len()) }
    }

    pub(crate) fn route_respond(token: i32, code: i32, reply: &[u8]) -> i32 {
        // Safety: as for `route_bind`.
        unsafe { fb_route_respond(token, code, reply.as_ptr(), reply.len()) }
    }

    pub(crate) fn route_serve(pattern: &[u8], method: i32) -> i32 {
        // Safety: as for `route_bind`.
        unsafe { fb_route_serve(pattern.as_ptr(), pattern.len(), method) }
    }

    #[cfg(feature = "alloc")]
    pub(crate) fn record_read(
        shape: &'static fireball_record::message::Shape,
        record: &[u8],
        out: &mut [u8],
    ) -> i32 {
        // Safety: `shape` is a constant of this module (with everything it points at),
        // `record` a live slice and `out` a live, writable one of our own memory; the host
        // checks every range, and every word of the shape, before use.
        unsafe {
            fb_record_read(
                shape,
                record.as_ptr(),
                record.len(),
                out.as_mut_ptr(),
                out.len(),
            )
        }
    }

    pub(crate) fn chan_recv(handle: i32, out: &mut [u8; 8]) -> i32 {
        // Safety: `out` is 8 writable bytes of our own memory; the host checks the range.
        unsafe { fb_chan_recv(handle, out.as_mut_ptr()) }
    }

    pub(crate) fn matmul_f32(
        a: &[f32],
        b: &[f32],
        c: &mut [f32],
        (m, k, n): (usize, usize, usize),
    ) {
        // Safety: the slices are live and sized m×k, k×n, m×n (checked by the caller);
        // the host checks every range again against our memory.
        unsafe { fb_matmul_f32(a.as_ptr(), b.as_ptr(), c.as_mut_ptr(), m, k, n) }
    }

    pub(crate) fn print(bytes: &[u8]) {
        // Safety: the pointer and length describe a live slice of our own linear
        // memory; the host only reads it, and checks the range itself.
        unsafe { fb_print(bytes.as_ptr(), bytes.len()) }
    }

    pub(crate) fn abort(message: &[u8]) -> ! {
        // Safety: as for `print`; the host never returns from `abort`.
        unsafe { fb_abort(message.as_ptr(), message.len()) }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub(crate) fn print(bytes: &[u8]) {
        crate::stub::record_print(bytes);
    }

    pub(crate) fn abort(message: &[u8]) -> ! {
        panic!("guest aborted: {}", String::from_utf8_lossy(message));
    }

    /// What the hypervisor's `record_read` does, natively over this program's shapes.
    #[cfg(feature = "alloc")]
    pub(crate) fn record_read(
        shape: &'static fireball_record::message::Shape,
        record: &[u8],
        out: &mut [u8],
    ) -> i32 {
        use fireball_abi::{limits::MAX_ROUTE_MESSAGE, status};
        use fireball_record::message::flat;
        if out.len() > flat::MAX_FLAT || record.len() > MAX_ROUTE_MESSAGE {
            return status::TOO_LARGE;
        }
        if flat::read(&flat::Native, shape, record, &flat::LIMITS, out) {
            status::OK
        } else {
            status::BAD_MESSAGE
        }
    }

    pub(crate) use crate::stub::board::*;
    pub(crate) use crate::stub::router::*;
}

pub(crate) use imp::*;

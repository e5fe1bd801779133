//! The host stub: guest code compiled for the host (for `cargo test`) calls
//! these instead of real builtins, and tests read back what it did.
//!
//! State is per thread, so tests running in parallel do not see each other.

use std::cell::RefCell;

std::thread_local! {
    static CONSOLE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

pub(crate) fn record_print(bytes: &[u8]) {
    CONSOLE.with(|c| c.borrow_mut().extend_from_slice(bytes));
}

/// Take everything printed on this thread so far, leaving the console empty.
pub fn take_console() -> String {
    CONSOLE.with(|c| String::from_utf8_lossy(&std::mem::take(&mut *c.borrow_mut())).into_owned())
}

/// The simulated board behind the device builtins on the host: 32 pins (all
/// usable as outputs), a clock that only `sleep_ticks` advances, per-thread
/// channels that never block (a `recv` on an empty channel is `CLOSED`), ISR
/// flags a test raises with [`raise_irq`], and no MMIO device (reads give 0).
pub mod board {
    use std::{cell::RefCell, collections::HashMap, collections::VecDeque};

    use fireball_abi::status;

    #[derive(Default)]
    struct Board {
        levels: u32,
        now: i64,
        channels: HashMap<i32, VecDeque<i64>>,
        irqs: u32,
        subscribed: u32,
        breakpoints: Vec<i32>,
    }

    std::thread_local! {
        static BOARD: RefCell<Board> = RefCell::new(Board::default());
    }

    fn with<R>(f: impl FnOnce(&mut Board) -> R) -> R {
        BOARD.with(|b| f(&mut b.borrow_mut()))
    }

    fn pin_bit(pin: i32) -> Option<u32> {
        (0..32).contains(&pin).then(|| 1u32 << pin)
    }

    /// Raise ISR flags on this thread's simulated board.
    pub fn raise_irq(mask: u32) {
        with(|b| b.irqs |= mask);
    }

    /// Pin levels of this thread's simulated board (bit n = pin n).
    pub fn gpio_levels() -> u32 {
        with(|b| b.levels)
    }

    /// Breakpoint ids the guest passed, in order.
    pub fn breakpoints_hit() -> Vec<i32> {
        with(|b| b.breakpoints.clone())
    }

    pub(crate) fn gpio_read(pin: i32) -> i32 {
        pin_bit(pin).map_or(status::NO_SUCH_PIN, |bit| {
            with(|b| i32::from(b.levels & bit != 0))
        })
    }
    pub(crate) fn gpio_write(pin: i32, level: i32) -> i32 {
        let Some(bit) = pin_bit(pin) else {
            return status::NO_SUCH_PIN;
        };
        with(|b| {
            if level != 0 {
                b.levels |= bit
            } else {
                b.levels &= !bit
            }
        });
        status::OK
    }
    pub(crate) fn gpio_toggle(pin: i32) -> i32 {
        let Some(bit) = pin_bit(pin) else {
            return status::NO_SUCH_PIN;
        };
        with(|b| {
            b.levels ^= bit;
            i32::from(b.levels & bit != 0)
        })
    }
    pub(crate) fn time_ticks() -> i64 {
        with(|b| b.now)
    }
    pub(crate) fn sleep_ticks(ticks: i64) {
        with(|b| b.now = b.now.saturating_add(ticks.max(0)));
    }
    pub(crate) fn yield_now() {}
    pub(crate) fn breakpoint(id: i32) {
        with(|b| b.breakpoints.push(id));
    }
    pub(crate) fn chan_send(handle: i32, value: i64) -> i32 {
        with(|b| b.channels.entry(handle).or_default().push_back(value));
        status::OK
    }
    pub(crate) fn chan_recv(handle: i32, out: &mut [u8; 8]) -> i32 {
        match with(|b| b.channels.get_mut(&handle).and_then(VecDeque::pop_front)) {
            Some(value) => {
                *out = value.to_le_bytes();
                status::OK
            }
            None => status::CLOSED,
        }
    }
    pub(crate) fn irq_subscribe(mask: i32) -> i32 {
        with(|b| b.subscribed |= mask as u32);
        status::OK
    }
    pub(crate) fn wait_irq(mask: i32) -> i32 {
        with(|b| {
            let mask = mask as u32;
            if b.subscribed & mask != mask || mask == 0 {
                return status::IRQ_TAKEN;
            }
            let raised = b.irqs & mask;
            b.irqs &= !mask;
            raised as i32
        })
    }
    pub(crate) fn mmio_read32(_addr: i32) -> i32 {
        0
    }
    pub(crate) fn mmio_write32(_addr: i32, _value: i32) {}
    pub(crate) fn matmul_f32(
        a: &[f32],
        b: &[f32],
        c: &mut [f32],
        (m, k, n): (usize, usize, usize),
    ) {
        for row in 0..m {
            for col in 0..n {
                c[row * n + col] = (0..k).map(|i| a[row * k + i] * b[i * n + col]).sum();
            }
        }
    }
}

/// The router behind the `route` wrappers on the host: routes are closures a
/// test installs per URI (exact match); a call on an unknown URI binds to
/// `NO_ROUTE`. Replies larger than the caller's buffer stay for `fetch_reply`.
pub mod router {
    use std::{cell::RefCell, collections::HashMap};

    use fireball_abi::status;

    use crate::route::Method;

    type Handler = Box<dyn FnMut(Method, &[u8]) -> Result<Vec<u8>, i32>>;

    #[derive(Default)]
    struct Stub {
        routes: HashMap<String, Handler>,
        bindings: Vec<Option<String>>,
        reply: Option<Vec<u8>>,
        notified: Vec<(String, Vec<u8>)>,
    }

    std::thread_local! {
        static STUB: RefCell<Stub> = RefCell::new(Stub::default());
    }

    fn with<R>(f: impl FnOnce(&mut Stub) -> R) -> R {
        STUB.with(|s| f(&mut s.borrow_mut()))
    }

    /// Serve `uri` on this thread with `handler` (a reply's bytes, or a negative status).
    pub fn serve(uri: &str, handler: impl FnMut(Method, &[u8]) -> Result<Vec<u8>, i32> + 'static) {
        with(|s| s.routes.insert(uri.to_string(), Box::new(handler)));
    }

    /// Every notification sent on this thread: `(uri, request)`.
    pub fn notified() -> Vec<(String, Vec<u8>)> {
        with(|s| s.notified.clone())
    }

    fn method(number: i32) -> Option<Method> {
        match number {
            fireball_abi::method::READ => Some(Method::Read),
            fireball_abi::method::WRITE => Some(Method::Write),
            fireball_abi::method::CALL => Some(Method::Call),
            _ => None,
        }
    }

    fn uri_of(s: &Stub, binding: i32) -> Option<String> {
        s.bindings.get(usize::try_from(binding).ok()?)?.clone()
    }

    pub(crate) fn route_bind(uri: &[u8]) -> i32 {
        let uri = String::from_utf8_lossy(uri).into_owned();
        with(|s| {
            if !s.routes.contains_key(&uri) {
                return status::NO_ROUTE;
            }
            s.bindings.push(Some(uri));
            (s.bindings.len() - 1) as i32
        })
    }

    pub(crate) fn route_unbind(binding: i32) -> i32 {
        with(|s| {
            match usize::try_from(binding)
                .ok()
                .and_then(|i| s.bindings.get_mut(i))
            {
                Some(slot @ Some(_)) => {
                    *slot = None;
                    status::OK
                }
                _ => status::BAD_HANDLE,
            }
        })
    }

    pub(crate) fn route_call(binding: i32, number: i32, request: &[u8]) -> i32 {
        // The handler runs outside the borrow, so it may use the stub itself.
        let Some((uri, mut handler)) = with(|s| {
            let uri = uri_of(s, binding)?;
            let handler = s.routes.remove(&uri)?;
            Some((uri, handler))
        }) else {
            return status::BAD_HANDLE;
        };
        let Some(method) = method(number) else {
            with(|s| s.routes.insert(uri, handler));
            return status::BAD_URI;
        };
        let result = handler(method, request);
        with(|s| {
            s.routes.insert(uri, handler);
            match result {
                Ok(reply) => {
                    let len = reply.len() as i32;
                    s.reply = Some(reply);
                    len
                }
                Err(code) => code,
            }
        })
    }

    pub(crate) fn route_reply(out: &mut [u8]) -> i32 {
        with(|s| match &s.reply {
            None => status::NO_REPLY,
            Some(reply) if reply.len() > out.len() => status::TOO_LARGE,
            Some(reply) => {
                out[..reply.len()].copy_from_slice(reply);
                let len = reply.len() as i32;
                s.reply = None;
                len
            }
        })
    }

    pub(crate) fn route_notify(binding: i32, number: i32, request: &[u8]) -> i32 {
        if method(number).is_none() {
            return status::BAD_URI;
        }
        with(|s| match uri_of(s, binding) {
            Some(uri) => {
                s.notified.push((uri, request.to_vec()));
                status::OK
            }
            None => status::BAD_HANDLE,
        })
    }
}

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

pub mod board {
    //! The simulated board behind the device builtins on the host: 32 pins (all
    //! usable as outputs), a clock that only `sleep_ticks` advances, per-thread
    //! channels that never block (a `recv` on an empty channel is `CLOSED`), ISR
    //! flags a test raises with [`raise_irq`], and no MMIO device (reads give 0).

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

pub mod router {
    //! The router behind the `route` wrappers on the host.
    //!
    //! - **Calling**: routes are closures a test installs per URI (exact match, no `{param}`
    //!   patterns) with [`serve`] (bytes), [`serve_record`] (records) or [`serve_typed`] (serde
    //!   types); binding an unknown URI is `NO_ROUTE`. Replies larger than the caller's buffer
    //!   stay for `fetch_reply`. Notifications are kept for [`notified`].
    //! - **Serving**: a test queues deliveries for the module with [`deliver`] (or
    //!   [`deliver_raw`]); `route_next`
    //!   announces them in order (with `NO_REPLY` when none is left, where the hypervisor would
    //!   block), `route_take` copies them out, and what the module answers is read back with
    //!   [`answer`]. As in the hypervisor, at most
    //!   [`MAX_OPEN_REQUESTS`] requests may be open,
    //!   and a reply that is not a record is refused with `BAD_MESSAGE`.
    //! - Records are held to the router's default limits (512 bytes), as in a default
    //!   deployment.

    use std::{cell::RefCell, collections::HashMap, collections::VecDeque};

    use fireball_abi::{
        delivery::{Header, REQUEST},
        limits::MAX_OPEN_REQUESTS,
        status,
    };
    use fireball_record::{Limits, Record};

    use fireball_abi::{Method, delivery::Kind};

    type Handler = Box<dyn FnMut(Method, &[u8]) -> Result<Vec<u8>, i32>>;

    /// The limits the stub holds records to: the router's defaults (512 bytes), tighter
    /// than the SDK's own, as in a default deployment.
    const LIMITS: Limits = Limits::DEFAULT;

    /// A one-way message the module sent.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Notification {
        /// The URI it was bound to.
        pub uri: String,
        /// The method it was sent with.
        pub method: Method,
        /// The encoded record.
        pub body: Vec<u8>,
    }

    impl Notification {
        /// The body as a record.
        ///
        /// # Panics
        ///
        /// If the body is not a record (the module sent garbage: the test fails).
        pub fn record(&self) -> Record {
            Record::decode(&self.body, &LIMITS)
                .unwrap_or_else(|e| panic!("notification to {} is not a record: {e}", self.uri))
        }

        /// The body as a `T`.
        ///
        /// # Panics
        ///
        /// If the body does not decode as a `T`.
        #[cfg(feature = "alloc")]
        pub fn decode<T: serde::de::DeserializeOwned>(&self) -> T {
            fireball_record::from_record(&self.record()).unwrap_or_else(|e| {
                panic!(
                    "notification to {} is not the type asked for: {e:?}",
                    self.uri
                )
            })
        }
    }

    /// How the module answered a request: the reply's encoded record, or its failure code.
    pub type Answer = Result<Vec<u8>, u16>;

    #[derive(Default)]
    struct Stub {
        routes: HashMap<String, Handler>,
        bindings: Vec<Option<String>>,
        /// Bindings to a route whose server restarted since: refused with `RESTARTED`.
        stale: std::collections::HashSet<i32>,
        reply: Option<Vec<u8>>,
        notified: Vec<Notification>,
        inbox: VecDeque<Vec<u8>>,
        held: Option<Vec<u8>>,
        open: Vec<u32>,
        answers: HashMap<u32, Answer>,
        next_token: u32,
        served: Vec<(Method, String)>,
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

    /// Serve `uri` with a `handler` of records: a reply record, or a failure code (the
    /// caller's [`Error::Failed`](crate::route::Error::Failed)). A request that is not a
    /// record is refused with `BAD_MESSAGE` before the handler, as the router does.
    pub fn serve_record(
        uri: &str,
        mut handler: impl FnMut(Method, Record) -> Result<Record, u16> + 'static,
    ) {
        serve(uri, move |method, request| {
            let request = Record::decode(request, &LIMITS).map_err(|_| status::BAD_MESSAGE)?;
            let reply = handler(method, request).map_err(status::failed)?;
            reply.encode(&LIMITS).map_err(|_| status::TOO_LARGE)
        });
    }

    /// Serve `uri` with a typed `handler`: a request that does not decode as a `Req` fails
    /// with 400 before the handler runs.
    #[cfg(feature = "alloc")]
    pub fn serve_typed<Req, Resp>(
        uri: &str,
        mut handler: impl FnMut(Method, Req) -> Result<Resp, u16> + 'static,
    ) where
        Req: serde::de::DeserializeOwned,
        Resp: serde::Serialize,
    {
        serve_record(uri, move |method, request| {
            let request = fireball_record::from_record(&request).map_err(|_| 400u16)?;
            let reply = handler(method, request)?;
            // A reply that is not a record is the test's own mistake.
            Ok(
                fireball_record::to_record(&reply)
                    .expect("the stub route's reply maps to a record"),
            )
        });
    }

    /// Every notification sent on this thread, in order.
    pub fn notified() -> Vec<Notification> {
        with(|s| s.notified.clone())
    }

    /// Queue a delivery for the module on this thread; its token (0 unless a request).
    pub fn deliver(kind: Kind, method: Method, uri: &str, caller: &str, body: &[u8]) -> u32 {
        with(|s| {
            let token = if kind == Kind::Request {
                s.next_token += 1;
                s.next_token
            } else {
                0
            };
            let header = Header {
                kind: kind.byte(),
                method: method.number() as u8,
                token,
                uri_len: u16::try_from(uri.len()).expect("a stub URI fits the header"),
                caller_len: u16::try_from(caller.len()).expect("a stub caller fits the header"),
                body_len: u32::try_from(body.len()).expect("a stub body fits the header"),
            };
            let mut bytes = header.encode().to_vec();
            bytes.extend_from_slice(uri.as_bytes());
            bytes.extend_from_slice(caller.as_bytes());
            bytes.extend_from_slice(body);
            s.inbox.push_back(bytes);
            token
        })
    }

    /// Queue `bytes` as a delivery as they are (to see how a module takes malformed ones).
    /// A request's token is whatever its header says.
    pub fn deliver_raw(bytes: Vec<u8>) {
        with(|s| s.inbox.push_back(bytes));
    }

    /// The server of `uri` restarted: the bindings made to it so far are refused with
    /// `RESTARTED` (as the router refuses a binding to an earlier generation); binding again
    /// works.
    pub fn restart(uri: &str) {
        with(|s| {
            for (i, bound) in s.bindings.iter().enumerate() {
                if bound.as_deref() == Some(uri) {
                    s.stale.insert(i as i32);
                }
            }
        });
    }

    /// The routes the module declared with `route_serve` (what a service's serve loop does
    /// for each of its routes before it waits for its first delivery), in order.
    pub fn served() -> Vec<(Method, String)> {
        with(|s| s.served.clone())
    }

    /// Take the module's answer to request `token`: `None` while it is unanswered.
    pub fn answer(token: u32) -> Option<Answer> {
        with(|s| s.answers.remove(&token))
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

    pub(crate) fn route_timeout(binding: i32, timeout_ms: i32) -> i32 {
        if timeout_ms < 0 {
            return status::BAD_MESSAGE;
        }
        // The stub's calls are answered at once: a deadline never passes.
        with(|s| match uri_of(s, binding) {
            Some(_) => status::OK,
            None => status::BAD_HANDLE,
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
        if with(|s| s.stale.contains(&binding)) {
            return status::RESTARTED;
        }
        let Some((uri, mut handler)) = with(|s| {
            let uri = uri_of(s, binding)?;
            let handler = s.routes.remove(&uri)?;
            Some((uri, handler))
        }) else {
            return status::BAD_HANDLE;
        };
        let Some(method) = Method::requested(number) else {
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
        with(|s| copy_out(&mut s.reply, out))
    }

    /// `route_call`, and `route_reply` into `out` when the reply fits, as the hypervisor's
    /// `route_call_into` does.
    pub(crate) fn route_call_into(
        binding: i32,
        number: i32,
        request: &[u8],
        out: &mut [u8],
    ) -> i32 {
        match route_call(binding, number, request) {
            len if len > 0 && len as usize <= out.len() => route_reply(out),
            status => status,
        }
    }

    /// `route_respond` with `buf[..reply_len]` (unless `code` is negative: nothing to
    /// answer; a refusal is returned at once), then `route_next`, and `route_take` into `buf`
    /// when the delivery fits, as the hypervisor's `route_respond_next` does (the stub's
    /// `route_next` cannot block: an empty inbox is `NO_REPLY`).
    pub(crate) fn route_respond_next(
        token: i32,
        code: i32,
        reply_len: usize,
        buf: &mut [u8],
    ) -> i32 {
        if code >= 0 {
            let reply = if code == 0 {
                &buf[..reply_len.min(buf.len())]
            } else {
                &[][..]
            };
            let answered = route_respond(token, code, reply);
            if answered != status::OK {
                return answered;
            }
        }
        match route_next() {
            len if len > 0 && len as usize <= buf.len() => route_take(buf),
            status => status,
        }
    }

    fn copy_out(slot: &mut Option<Vec<u8>>, out: &mut [u8]) -> i32 {
        match slot {
            None => status::NO_REPLY,
            Some(bytes) if bytes.len() > out.len() => status::TOO_LARGE,
            Some(bytes) => {
                out[..bytes.len()].copy_from_slice(bytes);
                let len = bytes.len() as i32;
                *slot = None;
                len
            }
        }
    }

    pub(crate) fn route_notify(binding: i32, number: i32, request: &[u8]) -> i32 {
        let Some(method) = Method::requested(number) else {
            return status::BAD_URI;
        };
        with(|s| match uri_of(s, binding) {
            Some(_) if s.stale.contains(&binding) => status::RESTARTED,
            Some(uri) => {
                s.notified.push(Notification {
                    uri,
                    method,
                    body: request.to_vec(),
                });
                status::OK
            }
            None => status::BAD_HANDLE,
        })
    }

    pub(crate) fn route_next() -> i32 {
        with(|s| {
            if s.held.is_none() {
                if s.open.len() >= MAX_OPEN_REQUESTS {
                    return status::TABLE_FULL;
                }
                let Some(bytes) = s.inbox.pop_front() else {
                    return status::NO_REPLY;
                };
                match Header::decode(&bytes) {
                    Some(h) if h.kind == REQUEST => s.open.push(h.token),
                    _ => {}
                }
                s.held = Some(bytes);
            }
            s.held
                .as_ref()
                .map_or(status::NO_REPLY, |held| held.len() as i32)
        })
    }

    pub(crate) fn route_take(out: &mut [u8]) -> i32 {
        with(|s| copy_out(&mut s.held, out))
    }

    pub(crate) fn route_serve(pattern: &[u8], method: i32) -> i32 {
        let Some(method) = Method::from_number(method) else {
            return status::BAD_MESSAGE;
        };
        match fireball_abi::uri::declared_pattern(pattern) {
            Ok(pattern) => with(|s| {
                let route = (method, pattern.to_string());
                if !s.served.contains(&route) {
                    s.served.push(route);
                }
                status::OK
            }),
            Err(code) => code,
        }
    }

    pub(crate) fn route_respond(token: i32, code: i32, reply: &[u8]) -> i32 {
        with(|s| {
            if token == 0 {
                // The held delivery, not taken: drop it, failing a request with `code`.
                let Some(held) = s.held.take() else {
                    return status::NO_REPLY;
                };
                let code = match code {
                    1..=0xFFFF => code as u16,
                    _ => return status::BAD_MESSAGE,
                };
                if let Some(h) = Header::decode(&held).filter(|h| h.kind == REQUEST)
                    && let Some(index) = s.open.iter().position(|t| *t == h.token)
                {
                    s.open.swap_remove(index);
                    s.answers.insert(h.token, Err(code));
                }
                return status::OK;
            }
            let token = token as u32;
            let Some(index) = s.open.iter().position(|t| *t == token) else {
                return status::BAD_HANDLE;
            };
            let answer = match code {
                0 if Record::decode(reply, &LIMITS).is_ok() => Ok(reply.to_vec()),
                0 => return status::BAD_MESSAGE,
                1..=0xFFFF => Err(code as u16),
                _ => return status::BAD_MESSAGE,
            };
            s.open.swap_remove(index);
            s.answers.insert(token, answer);
            status::OK
        })
    }
}

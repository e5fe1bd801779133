//! The gateway on the router: `svc://mesh/{tx,nodes,stats}` over `hal://radio/0`.
//!
//! | route | method | request | reply | failures |
//! | --- | --- | --- | --- | --- |
//! | `svc://mesh/tx` | write | [`Transmit`] | [`Sent`] | 400 empty or undecodable, 413 over [`MAX_MESSAGE`](crate::frame::MAX_MESSAGE), 502 radio |
//! | `svc://mesh/nodes` | read | — | [`Nodes`] | 502 radio |
//! | `svc://mesh/stats` | read | — | [`Stats`] | — |
//!
//! Before it transmits or reports its nodes, the service takes what the radio heard. It
//! reaches `hal://radio/0` (read, write), `hal://timer/0` (read: last-seen times) and
//! `log://` (a line when the node table changes), binding them at first use.

use fireball_services_sdk::guests::text::List;
use fireball_services_sdk::prelude::*;
use fireball_services_sdk::record::system::hal::{Data, Frame, Written};

use crate::frame::{FragmentError, MAX_FRAME};
use crate::gateway::{Gateway, Radio, TransmitError};
use crate::messages::{Nodes, Sent, Stats, Transmit};

/// The radio the gateway uses.
pub const RADIO: &str = "hal://radio/0";
/// The clock its node table is stamped with.
pub const TIMER: &str = "hal://timer/0";

/// 413: the message does not fit in [`MAX_FRAGMENTS`](crate::frame::MAX_FRAGMENTS) frames.
pub const TOO_LARGE: Failure = Failure(413);

/// `hal://radio/0` and `hal://timer/0` through the router.
#[derive(Debug)]
pub struct HalRadio {
    radio: Client,
    timer: Client,
}

impl HalRadio {
    /// Bind the radio and the timer.
    pub fn bind() -> Result<Self, fireball_services_sdk::guests::route::Error> {
        Ok(Self {
            radio: Client::bind(RADIO)?,
            timer: Client::bind(TIMER)?,
        })
    }
}

impl Radio for HalRadio {
    type Error = fireball_services_sdk::guests::route::Error;

    fn receive(&mut self, frame: &mut [u8; MAX_FRAME]) -> Result<usize, Self::Error> {
        let Data { data } = self.radio.read()?;
        let len = data.len().min(MAX_FRAME);
        frame[..len].copy_from_slice(&data[..len]);
        Ok(len)
    }

    fn transmit(&mut self, frame: &[u8]) -> Result<(), Self::Error> {
        let _: Written = self.radio.write(&Frame {
            data: Vec::from(frame),
        })?;
        Ok(())
    }

    fn now_us(&mut self) -> Result<u64, Self::Error> {
        let now: hal::TimerNow = self.timer.read()?;
        Ok(now.now_us)
    }
}

/// The service's state: the gateway, and the radio once bound.
#[derive(Debug, Default)]
pub struct Mesh {
    gateway: Gateway,
    radio: Option<HalRadio>,
}

impl Mesh {
    /// The gateway.
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// Take what the radio heard; log when nodes joined.
    fn listen(&mut self) -> Result<(), Failure> {
        let radio = bound(&mut self.radio)?;
        let listened = self
            .gateway
            .listen(radio)
            .map_err(|_| Failure::BAD_GATEWAY)?;
        if listened.joined > 0 {
            let nodes = self.gateway.nodes().nodes;
            let ids: Vec<u8> = nodes.iter().map(|n| n.id).collect();
            log::say!(Info: "node table: ", ids.len(), " nodes ", List(&ids));
        }
        Ok(())
    }

    fn transmit(&mut self, _: &Request<'_>, request: Transmit) -> Result<Sent, Failure> {
        // Refuse what cannot be sent before touching the radio.
        crate::frame::fragments(0, &request.data).map_err(refusal)?;
        self.listen()?;
        let radio = bound(&mut self.radio)?;
        self.gateway
            .transmit(radio, &request.data)
            .map_err(|error| match error {
                TransmitError::Message(error) => refusal(error),
                TransmitError::Radio { .. } => Failure::BAD_GATEWAY,
            })
    }

    fn nodes(&mut self, _: &Request<'_>, (): ()) -> Result<Nodes, Failure> {
        self.listen()?;
        Ok(self.gateway.nodes())
    }

    fn stats(&mut self, _: &Request<'_>, (): ()) -> Result<Stats, Failure> {
        Ok(self.gateway.stats())
    }
}

/// The caller's fault in a message that cannot be fragmented.
fn refusal(error: FragmentError) -> Failure {
    match error {
        FragmentError::Empty => Failure::BAD_REQUEST,
        FragmentError::TooLarge => TOO_LARGE,
    }
}

/// The radio in `slot`, bound now if it was not yet.
fn bound(slot: &mut Option<HalRadio>) -> Result<&mut HalRadio, Failure> {
    match slot {
        Some(radio) => Ok(radio),
        empty => Ok(empty.insert(HalRadio::bind().map_err(|_| Failure::BAD_GATEWAY)?)),
    }
}

impl Service for Mesh {
    fn init() -> Self {
        Self::default()
    }

    fn routes(routes: Routes<Self>) -> Routes<Self> {
        routes
            .serve(mesh_messages::TRANSMIT, Mesh::transmit)
            .serve(mesh_messages::NODES, Mesh::nodes)
            .serve(mesh_messages::STATS, Mesh::stats)
    }
}

#[cfg(test)]
mod tests {
    use std::{cell::RefCell, collections::VecDeque, rc::Rc};

    use fireball_guests_sdk::{codec, log::LogLine, stub::router};
    use fireball_services_sdk::{record::Record, stub};

    use super::*;
    use crate::frame::{HEADER_LEN, Header, Heard, MAX_CHUNK, parse};
    use crate::messages::Node;

    /// The simulated air behind `hal://radio/0`.
    #[derive(Default)]
    struct Air {
        incoming: VecDeque<Vec<u8>>,
        sent: Vec<Vec<u8>>,
        refuse_writes: bool,
    }

    fn serve_board(now_us: u64) -> Rc<RefCell<Air>> {
        let air = Rc::new(RefCell::new(Air::default()));
        let radio = air.clone();
        router::serve_record(RADIO, move |method, body: Record| {
            let mut air = radio.borrow_mut();
            match method {
                Method::Read => {
                    let data = air.incoming.pop_front().unwrap_or_default();
                    codec::to_record(&Data { data }).map_err(|_| 500)
                }
                Method::Write => {
                    let Frame { data } = codec::from_record(&body).map_err(|_| 400u16)?;
                    assert!(data.len() <= MAX_FRAME, "frame of {} bytes", data.len());
                    if air.refuse_writes {
                        return Err(500);
                    }
                    let written = data.len() as u32;
                    air.sent.push(data);
                    codec::to_record(&Written { written }).map_err(|_| 500)
                }
                Method::Call | Method::Subscribe => Err(405),
            }
        });
        router::serve_typed(TIMER, move |_, (): ()| Ok(hal::TimerNow { now_us }));
        router::serve("log://", |_, _| panic!("logging notifies"));
        air
    }

    fn log_texts() -> Vec<String> {
        router::notified()
            .iter()
            .filter(|n| n.uri == "log://")
            .map(|n| n.decode::<LogLine>().text)
            .collect()
    }

    #[test]
    fn a_transmission_learns_the_announced_nodes_then_sends_fragments() {
        let air = serve_board(5_000);
        air.borrow_mut()
            .incoming
            .extend([vec![0xA5, 1], vec![0xA5, 2], vec![0xA5, 3]]);
        let mut mesh = stub::Service::<Mesh>::new();
        let data: Vec<u8> = (0..128u8).collect();
        let sent: Sent = mesh
            .write("svc://mesh/tx", &Transmit { data: data.clone() })
            .unwrap();
        assert_eq!(
            sent,
            Sent {
                frames: 2,
                bytes: 128 + 2 * HEADER_LEN as u32
            }
        );

        let frames = air.borrow().sent.clone();
        assert_eq!(frames.len(), 2);
        let mut joined = Vec::new();
        for (index, frame) in frames.iter().enumerate() {
            let Heard::Data(header, payload) = parse(frame) else {
                panic!("frame {index} is not a fragment");
            };
            assert_eq!(
                header,
                Header {
                    seq: 0,
                    index: index as u8,
                    count: 2
                }
            );
            joined.extend_from_slice(payload);
        }
        assert_eq!(frames[0].len(), MAX_FRAME);
        assert_eq!(joined, data);

        let nodes: Nodes = mesh.read("svc://mesh/nodes").unwrap();
        let expected: Vec<Node> = (1..=3)
            .map(|id| Node {
                id,
                last_seen_us: 5_000,
            })
            .collect();
        assert_eq!(nodes.nodes, expected);
        let stats: Stats = mesh.read("svc://mesh/stats").unwrap();
        assert_eq!(
            stats,
            Stats {
                messages: 1,
                frames: 2,
                bytes: 138,
                received: 3,
                failed: 0
            }
        );
        assert_eq!(log_texts(), ["node table: 3 nodes [1, 2, 3]"]);

        let sent: Sent = mesh
            .write(
                "svc://mesh/tx",
                &Transmit {
                    data: vec![9; MAX_CHUNK],
                },
            )
            .unwrap();
        assert_eq!(sent.frames, 1);
        assert_eq!(
            air.borrow().sent[2][..HEADER_LEN],
            [0xD1, 1, 0, 0, 1],
            "sequence 1"
        );
    }

    #[test]
    fn bad_requests_are_refused_without_touching_the_radio() {
        let air = serve_board(0);
        let mut mesh = stub::Service::<Mesh>::new();
        assert_eq!(
            mesh.write::<_, Sent>("svc://mesh/tx", &Transmit { data: vec![] }),
            Err(Failure::BAD_REQUEST)
        );
        assert_eq!(
            mesh.write::<_, Sent>(
                "svc://mesh/tx",
                &Node {
                    id: 1,
                    last_seen_us: 0
                }
            ),
            Err(Failure::BAD_REQUEST),
            "not a Transmit"
        );
        assert_eq!(
            mesh.request_bytes(Method::Write, "svc://mesh/tx", &[0xFF, 0xFF]),
            Err(Failure::BAD_REQUEST),
            "not a record"
        );
        assert_eq!(
            mesh.read::<Sent>("svc://mesh/tx"),
            Err(Failure::METHOD_NOT_ALLOWED)
        );
        assert_eq!(
            mesh.read::<Nodes>("svc://mesh/peers"),
            Err(Failure::NOT_FOUND)
        );
        assert!(air.borrow().sent.is_empty());
        assert_eq!(mesh.state().gateway().stats(), Stats::default());
    }

    #[test]
    fn a_radio_that_refuses_or_is_missing_is_a_bad_gateway() {
        let air = serve_board(0);
        air.borrow_mut().refuse_writes = true;
        let mut mesh = stub::Service::<Mesh>::new();
        assert_eq!(
            mesh.write::<_, Sent>("svc://mesh/tx", &Transmit { data: vec![1; 300] }),
            Err(Failure::BAD_GATEWAY)
        );
        let stats: Stats = mesh.read("svc://mesh/stats").unwrap();
        assert_eq!((stats.failed, stats.frames, stats.messages), (1, 0, 0));
    }

    #[test]
    fn without_a_radio_route_nothing_is_sent_and_the_service_keeps_serving() {
        router::serve("log://", |_, _| panic!("logging notifies"));
        let mut mesh = stub::Service::<Mesh>::new();
        assert_eq!(
            mesh.write::<_, Sent>("svc://mesh/tx", &Transmit { data: vec![1] }),
            Err(Failure::BAD_GATEWAY)
        );
        assert_eq!(
            mesh.read::<Nodes>("svc://mesh/nodes"),
            Err(Failure::BAD_GATEWAY)
        );
        let stats: Stats = mesh.read("svc://mesh/stats").unwrap();
        assert_eq!(stats, Stats::default());
    }
}

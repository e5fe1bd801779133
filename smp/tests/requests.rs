//! One response per request: echo, parameters, image state, the Fireball group, and the
//! refusals (unknown group or command, malformed CBOR, versions, not-requests).

mod common;

use common::*;
use fireball_smp::{Rc, Refusal, Server};

const READ: u8 = 0;
const WRITE: u8 = 2;

fn answer(server: &mut Server, board: &mut Ram, packet: &[u8]) -> Rsp {
    parse(&server.handle(packet, board).expect("a response"))
}

#[test]
fn echo_answers_r_with_the_same_header() {
    let (mut s, mut b) = (Server::new(1024), Ram::default());
    let rsp = answer(
        &mut s,
        &mut b,
        &request(WRITE, 0, 0, 42, &text_map("d", "hello")),
    );
    assert_eq!(
        (rsp.op, rsp.version, rsp.group, rsp.seq, rsp.id),
        (3, 1, 0, 42, 0)
    );
    assert_eq!(
        rsp.body,
        V::Map(vec![("r".into(), V::Text("hello".into()))])
    );
}

#[test]
fn v1_requests_get_v1_responses() {
    let (mut s, mut b) = (Server::new(1024), Ram::default());
    let mut packet = request(WRITE, 0, 0, 1, &text_map("d", "x"));
    packet[0] = WRITE;
    let rsp = answer(&mut s, &mut b, &packet);
    assert_eq!((rsp.op, rsp.version), (3, 0));
}

#[test]
fn params_announce_the_buffers() {
    let mut s = Server::new(1024).with_buffers(1024, 2);
    let rsp = answer(
        &mut s,
        &mut Ram::default(),
        &request(READ, 0, 6, 3, &[0xa0]),
    );
    assert_eq!(rsp.op, 1);
    assert_eq!(
        rsp.body,
        V::Map(vec![
            ("buf_size".into(), V::U(1024)),
            ("buf_count".into(), V::U(2))
        ])
    );
    // An empty body reads as an empty map (the Go mcumgr sends one).
    let rsp = answer(&mut s, &mut Ram::default(), &request(READ, 0, 6, 4, &[]));
    assert_eq!(rsp.body.keys(), ["buf_size", "buf_count"]);
}

#[test]
fn image_state_lists_modules_as_images() {
    let mut b = Ram::default();
    b.installed.push(("stats".into(), b"FBPK".to_vec()));
    let rsp = answer(
        &mut Server::new(8),
        &mut b,
        &request(READ, 1, 0, 5, &[0xa0]),
    );
    let V::Array(images) = rsp.body.get("images").unwrap() else {
        panic!()
    };
    assert_eq!(images.len(), 1);
    let image = &images[0];
    assert_eq!(
        image.keys(),
        [
            "image",
            "slot",
            "version",
            "hash",
            "bootable",
            "pending",
            "confirmed",
            "active",
            "permanent"
        ]
    );
    assert_eq!(image.get("hash"), Some(&V::Bytes(sha256(b"FBPK").to_vec())));
    assert_eq!(image.get("version"), Some(&V::Text("1.2.0".into())));
}

#[test]
fn fireball_group_lists_and_removes() {
    let mut b = Ram::default();
    b.installed.push(("stats".into(), b"FBPK".to_vec()));
    let mut s = Server::new(8);
    let rsp = answer(&mut s, &mut b, &request(READ, 64, 1, 1, &[0xa0]));
    let V::Array(modules) = rsp.body.get("modules").unwrap() else {
        panic!()
    };
    assert_eq!(
        modules[0].keys(),
        ["image", "name", "version", "hash", "state"]
    );
    assert_eq!(modules[0].get("state"), Some(&V::Text("active".into())));

    let rsp = answer(
        &mut s,
        &mut b,
        &request(WRITE, 64, 0, 2, &text_map("name", "stats")),
    );
    assert_eq!((rsp.op, rsp.body.clone()), (3, V::Map(vec![])));
    assert!(b.installed.is_empty());

    let rsp = answer(
        &mut s,
        &mut b,
        &request(WRITE, 64, 0, 3, &text_map("name", "stats")),
    );
    assert_eq!(error_rc(&rsp), Rc::NoEntry.code().into());
    assert_eq!(rsp.body.get("rsn"), Some(&V::Text("no such module".into())));
}

#[test]
fn unknown_groups_commands_and_ops_are_not_supported() {
    let (mut s, mut b) = (Server::new(8), Ram::default());
    for (op, group, id) in [
        (READ, 9, 0),
        (WRITE, 0, 1),
        (READ, 0, 0),
        (WRITE, 1, 0),
        (READ, 65, 0),
    ] {
        let rsp = answer(&mut s, &mut b, &request(op, group, id, 9, &[0xa0]));
        assert_eq!(error_rc(&rsp), 8, "group {group} id {id} op {op}");
        assert_eq!((rsp.op, rsp.group, rsp.id, rsp.seq), (op + 1, group, id, 9));
    }
}

#[test]
fn malformed_bodies_are_invalid() {
    let (mut s, mut b) = (Server::new(8), Ram::default());
    for body in [
        &[0x80][..],
        &[0xa1, 0x61, b'd'],
        &[0xa1, 0x61, b'd', 0x01],
        &[0xff],
        &[0xa0, 0],
    ] {
        let rsp = answer(&mut s, &mut b, &request(WRITE, 0, 0, 1, body));
        assert_eq!(error_rc(&rsp), 3, "{body:x?}");
    }
    // The header's length disagrees with the packet.
    let mut packet = request(WRITE, 0, 0, 1, &text_map("d", "x"));
    packet.pop();
    assert_eq!(error_rc(&answer(&mut s, &mut b, &packet)), 3);
}

#[test]
fn newer_versions_are_refused_and_non_requests_unanswered() {
    let (mut s, mut b) = (Server::new(8), Ram::default());
    let mut packet = request(WRITE, 0, 0, 1, &text_map("d", "x"));
    packet[0] = WRITE | 2 << 3;
    let rsp = answer(&mut s, &mut b, &packet);
    assert_eq!((error_rc(&rsp), rsp.version), (13, 1));
    for op in [1, 3, 4, 7] {
        let mut p = request(WRITE, 0, 0, 1, &text_map("d", "x"));
        p[0] = op;
        assert_eq!(s.handle(&p, &mut b), None, "op {op}");
    }
    assert_eq!(s.handle(&[2, 0, 0], &mut b), None);
}

#[test]
fn state_write_is_not_supported() {
    let (mut s, mut b) = (Server::new(8), Ram::default());
    let rsp = answer(&mut s, &mut b, &request(WRITE, 1, 0, 1, &[0xa0]));
    assert_eq!(error_rc(&rsp), 8);
}

#[test]
fn long_board_reasons_are_clipped() {
    let (mut s, mut b) = (Server::new(8), Ram::default());
    b.refuse = Some(Refusal::new(Rc::AccessDenied, "é".repeat(40_000)));
    let rsp = answer(
        &mut s,
        &mut b,
        &request(WRITE, 1, 1, 1, &chunk(0, b"FBPK", Some(4), None)),
    );
    assert_eq!(error_rc(&rsp), 11);
    let Some(V::Text(rsn)) = rsp.body.get("rsn") else {
        panic!()
    };
    assert_eq!(rsn.len(), 200);
}

mod arbitrary {
    use super::*;
    use fireball_smp::Header;
    use proptest::prelude::*;

    proptest! {
        /// Any bytes: no panic, and an answer exactly when they are a request, carrying
        /// its group, sequence and id.
        #[test]
        fn any_packet_is_answered_well_formed(
            head in proptest::collection::vec(any::<u8>(), 0..9),
            body in proptest::collection::vec(any::<u8>(), 0..64),
            fix_len in any::<bool>(),
        ) {
            let mut packet = head;
            if fix_len && packet.len() == 8 {
                packet[2..4].copy_from_slice(&(body.len() as u16).to_be_bytes());
            }
            packet.extend_from_slice(&body);
            let (mut s, mut b) = (Server::new(64), Ram::default());
            let response = s.handle(&packet, &mut b);
            match Header::parse(&packet).ok().filter(|h| h.op.response().is_some()) {
                None => prop_assert_eq!(response, None),
                Some(req) => {
                    let response = response.expect("a request is answered");
                    let (rsp, _) = Header::split(&response).expect("well formed");
                    prop_assert_eq!(Some(rsp.op), req.op.response());
                    prop_assert_eq!((rsp.group, rsp.seq, rsp.id), (req.group, req.seq, req.id));
                }
            }
        }
    }
}

#[test]
fn reset_is_the_boards_to_grant() {
    // A board that does not implement `reset` refuses it: rc 8 NOT_SUPPORTED.
    let (mut s, mut b) = (Server::new(8), Ram::default());
    let force = [0xa1, 0x65, b'f', b'o', b'r', b'c', b'e', 0xf4];
    let rsp = answer(&mut s, &mut b, &request(WRITE, 0, 5, 2, &force));
    assert_eq!((error_rc(&rsp), rsp.group, rsp.id), (8, 0, 5));

    struct Resets(Ram, u32);
    impl fireball_smp::Control for Resets {
        fn images(&self) -> Vec<fireball_smp::Image> {
            self.0.images()
        }
        fn install(&mut self, p: Vec<u8>) -> Result<fireball_smp::Install, Refusal> {
            self.0.install(p)
        }
        fn remove(&mut self, name: &str) -> Result<(), Refusal> {
            self.0.remove(name)
        }
        fn reset(&mut self) -> Result<(), Refusal> {
            self.1 += 1;
            Ok(())
        }
    }
    let mut board = Resets(Ram::default(), 0);
    let rsp = parse(
        &s.handle(&request(WRITE, 0, 5, 3, &force), &mut board)
            .unwrap(),
    );
    assert_eq!((rsp.op, rsp.seq, rsp.body.clone()), (3, 3, V::Map(vec![])));
    let rsp = parse(
        &s.handle(&request(WRITE, 0, 5, 4, &[0xa0]), &mut board)
            .unwrap(),
    );
    assert_eq!(rsp.body, V::Map(vec![]));
    assert_eq!(board.1, 2);
}

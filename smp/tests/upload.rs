//! Uploads: reassembled exactly in chunks of any size, out-of-order chunks answered with
//! the offset expected, bounded, checked against their `sha`, and only whole uploads
//! reach the board (which may finish later).

mod common;

use common::*;
use fireball_smp::{Rc, Refusal, Server};
use proptest::prelude::*;

fn send(s: &mut Server, b: &mut Ram, seq: u8, body: &[u8]) -> Rsp {
    parse(
        &s.handle(&request(2, 1, 1, seq, body), b)
            .expect("a response"),
    )
}

fn off(rsp: &Rsp) -> u64 {
    assert_eq!(rsp.body.get("rc"), Some(&V::U(0)), "{rsp:?}");
    match rsp.body.get("off") {
        Some(V::U(off)) => *off,
        other => panic!("{other:?}"),
    }
}

/// Uploads `data` in chunks of `size`, as smpclient does: `len` and `sha` in the first.
fn upload(s: &mut Server, b: &mut Ram, data: &[u8], size: usize) -> Rsp {
    let sha = sha256(data);
    let mut at = 0;
    loop {
        let end = (at + size).min(data.len());
        let first = at == 0;
        let body = chunk(
            at,
            &data[at..end],
            first.then_some(data.len()),
            first.then_some(&sha[..]),
        );
        let rsp = send(s, b, at as u8, &body);
        at = off(&rsp) as usize;
        assert_eq!(at, end);
        if at == data.len() {
            return rsp;
        }
    }
}

proptest! {
    #[test]
    fn chunks_of_every_size_reassemble_exactly(
        data in proptest::collection::vec(any::<u8>(), 1..2000),
        size in 1usize..600,
    ) {
        let (mut s, mut b) = (Server::new(2000), Ram::default());
        let last = upload(&mut s, &mut b, &data, size);
        prop_assert_eq!(last.body.get("match"), Some(&V::Bool(true)));
        prop_assert_eq!(b.installs, 1);
        prop_assert_eq!(&b.installed[0].1, &data);
        prop_assert_eq!(s.upload_progress(), None);
    }

    #[test]
    fn a_chunk_at_the_wrong_offset_gets_the_expected_one(
        len in 2usize..500,
        sent in 0usize..1000,
        wrong in 1usize..1000,
    ) {
        let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let sent = sent % (len - 1) + 1; // 1..len: a partial upload
        let (mut s, mut b) = (Server::new(1000), Ram::default());
        prop_assert_eq!(off(&send(&mut s, &mut b, 0, &chunk(0, &data[..sent], Some(len), None))), sent as u64);
        let at = if wrong == sent { sent + 1 } else { wrong };
        let rsp = send(&mut s, &mut b, 1, &chunk(at, &data[sent..sent + 1], None, None));
        prop_assert_eq!(off(&rsp), sent as u64);
        prop_assert_eq!(s.upload_progress(), Some((sent, len)));
        prop_assert_eq!(b.installs, 0);
    }
}

#[test]
fn a_chunk_with_no_transfer_asks_for_offset_0() {
    let (mut s, mut b) = (Server::new(100), Ram::default());
    assert_eq!(
        off(&send(&mut s, &mut b, 0, &chunk(10, b"abc", None, None))),
        0
    );
}

#[test]
fn offset_0_restarts_and_an_interrupted_upload_never_installs() {
    let (mut s, mut b) = (Server::new(100), Ram::default());
    assert_eq!(
        off(&send(&mut s, &mut b, 0, &chunk(0, b"old", Some(10), None))),
        3
    );
    assert_eq!(
        off(&send(&mut s, &mut b, 1, &chunk(0, b"new", Some(6), None))),
        3
    );
    assert_eq!(
        off(&send(&mut s, &mut b, 2, &chunk(3, b"abc", None, None))),
        6
    );
    assert_eq!(b.installed, [("m0".to_string(), b"newabc".to_vec())]);

    // Erase drops a partial upload: the next chunk is asked to start again.
    assert_eq!(
        off(&send(&mut s, &mut b, 3, &chunk(0, b"par", Some(6), None))),
        3
    );
    let rsp = parse(&s.handle(&request(2, 1, 5, 4, &[0xa0]), &mut b).unwrap());
    assert_eq!(rsp.body, V::Map(vec![]));
    assert_eq!(
        off(&send(&mut s, &mut b, 5, &chunk(3, b"tia", None, None))),
        0
    );
    assert_eq!(b.installs, 1);
}

#[test]
fn too_big_is_no_memory_and_a_bad_sha_is_corrupt() {
    let (mut s, mut b) = (Server::new(100), Ram::default());
    assert_eq!(
        error_rc(&send(&mut s, &mut b, 0, &chunk(0, b"x", Some(101), None))),
        2
    );
    assert_eq!(
        error_rc(&send(
            &mut s,
            &mut b,
            1,
            &chunk(0, b"x", Some(u64::MAX as usize), None)
        )),
        2
    );
    assert_eq!(
        error_rc(&send(&mut s, &mut b, 1, &chunk(0, b"x", None, None))),
        3
    );
    assert_eq!(
        error_rc(&send(&mut s, &mut b, 1, &chunk(0, b"xy", Some(1), None))),
        3
    );
    assert_eq!(
        error_rc(&send(
            &mut s,
            &mut b,
            1,
            &chunk(0, b"x", Some(1), Some(b"short"))
        )),
        3
    );
    let rsp = send(
        &mut s,
        &mut b,
        2,
        &chunk(0, b"abc", Some(3), Some(&sha256(b"abd"))),
    );
    assert_eq!(error_rc(&rsp), Rc::Corrupt.code().into());
    assert_eq!(b.installs, 0);
}

#[test]
fn the_boards_refusal_is_the_answer() {
    let (mut s, mut b) = (Server::new(100), Ram::default());
    b.refuse = Some(Refusal::new(Rc::AccessDenied, "signature"));
    let rsp = send(&mut s, &mut b, 0, &chunk(0, b"abc", Some(3), None));
    assert_eq!(error_rc(&rsp), 11);
    assert_eq!(rsp.body.get("rsn"), Some(&V::Text("signature".into())));
}

/// A board that takes no upload at all says so at the first chunk: nothing is kept, the
/// client sends no more, and the board's install is never asked.
#[test]
fn a_board_that_takes_no_upload_refuses_the_first_chunk() {
    let (mut s, mut b) = (Server::new(100), Ram::default());
    b.closed = Some(Refusal::new(Rc::AccessDenied, "trusts no key"));
    let rsp = send(&mut s, &mut b, 0, &chunk(0, b"ab", Some(3), None));
    assert_eq!(error_rc(&rsp), Rc::AccessDenied.code().into());
    assert_eq!(rsp.body.get("rsn"), Some(&V::Text("trusts no key".into())));
    assert_eq!(s.upload_progress(), None, "nothing kept");
    // A later chunk has no upload to join: the client is told to start again at 0.
    assert_eq!(
        off(&send(&mut s, &mut b, 1, &chunk(2, b"c", None, None))),
        0
    );
    assert_eq!(b.installs, 0);
}

#[test]
fn a_deferred_install_is_answered_by_finish_install() {
    let (mut s, mut b) = (
        Server::new(100),
        Ram {
            defer: true,
            ..Ram::default()
        },
    );
    assert_eq!(s.finish_install(Ok(())), None);
    assert_eq!(
        s.handle(
            &request(2, 1, 1, 77, &chunk(0, b"abc", Some(3), None)),
            &mut b
        ),
        None
    );
    // Meanwhile other commands answer; another upload is busy.
    let echo = parse(
        &s.handle(&request(2, 0, 0, 78, &text_map("d", "x")), &mut b)
            .unwrap(),
    );
    assert_eq!(echo.seq, 78);
    assert_eq!(
        error_rc(&send(&mut s, &mut b, 79, &chunk(0, b"abc", Some(3), None))),
        10
    );

    let rsp = parse(&s.finish_install(Ok(())).unwrap());
    assert_eq!((rsp.seq, rsp.op, off(&rsp)), (77, 3, 3));
    assert_eq!(s.finish_install(Ok(())), None);

    assert_eq!(
        s.handle(
            &request(2, 1, 1, 80, &chunk(0, b"abc", Some(3), None)),
            &mut b
        ),
        None
    );
    let rsp = parse(
        &s.finish_install(Err(Refusal::new(Rc::NoMemory, "flash full")))
            .unwrap(),
    );
    assert_eq!((rsp.seq, error_rc(&rsp)), (80, 2));
}

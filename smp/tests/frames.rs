//! Serial framing properties: frames round trip (with console text between them), any
//! bytes into the decoder never panic and never exceed its bound, and every truncation
//! or bit flip of a frame is refused — never decoded as a packet — while the next frame
//! still decodes.

use fireball_smp::frame::MAX_LINE;
use fireball_smp::{FrameDecoder, FrameError, encode};
use proptest::prelude::*;

fn decode_all(d: &mut FrameDecoder, wire: &[u8]) -> Vec<Result<Vec<u8>, FrameError>> {
    let mut out = Vec::new();
    for &b in wire {
        match d.push(b) {
            Ok(Some(p)) => out.push(Ok(p.to_vec())),
            Ok(None) => {}
            Err(e) => out.push(Err(e)),
        }
    }
    out
}

fn framed(packet: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    encode(packet, &mut wire).unwrap();
    wire
}

proptest! {
    #[test]
    fn frames_round_trip(
        packets in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..700), 1..4),
        noise in "[ -~]{0,40}",
    ) {
        let mut wire = Vec::new();
        for p in &packets {
            wire.extend_from_slice(noise.as_bytes());
            wire.extend_from_slice(b"\r\n");
            let frame = framed(p);
            prop_assert!(frame.split_inclusive(|&b| b == b'\n').all(|l| l.len() <= MAX_LINE));
            wire.extend_from_slice(&frame);
        }
        let mut d = FrameDecoder::new(700);
        let got = decode_all(&mut d, &wire);
        let want: Vec<_> = packets.into_iter().map(Ok).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1500)) {
        let mut d = FrameDecoder::new(100);
        for got in decode_all(&mut d, &bytes).into_iter().flatten() {
            prop_assert!(got.len() <= 100);
        }
    }

    #[test]
    fn framed_noise_never_panics(
        bytes in proptest::collection::vec(
            prop_oneof![Just(6u8), Just(9), Just(4), Just(0x14), Just(b'\n'), Just(b'='), Just(b'A'), any::<u8>()],
            0..1500,
        ),
    ) {
        let mut d = FrameDecoder::new(100);
        let _ = decode_all(&mut d, &bytes);
    }

    #[test]
    fn truncations_are_refused(packet in proptest::collection::vec(any::<u8>(), 0..300), cut in any::<usize>()) {
        let frame = framed(&packet);
        let cut = cut % frame.len(); // a strict prefix
        let mut wire = frame[..cut].to_vec();
        wire.extend_from_slice(&framed(b"next"));
        let mut d = FrameDecoder::new(300);
        let got = decode_all(&mut d, &wire);
        let (last, rest) = got.split_last().unwrap();
        prop_assert_eq!(last, &Ok(b"next".to_vec()));
        prop_assert!(rest.iter().all(Result::is_err), "{:?}", rest);
    }

    #[test]
    fn bit_flips_are_refused(packet in proptest::collection::vec(any::<u8>(), 0..300), at in any::<usize>(), bit in 0u8..8) {
        let mut damaged = framed(&packet);
        let at = at % damaged.len();
        damaged[at] ^= 1 << bit;
        let mut wire = damaged;
        wire.extend_from_slice(&framed(b"next"));
        let mut d = FrameDecoder::new(300);
        let got = decode_all(&mut d, &wire);
        let (last, rest) = got.split_last().unwrap();
        prop_assert_eq!(last, &Ok(b"next".to_vec()));
        prop_assert!(rest.iter().all(Result::is_err), "{:?}", rest);
        // Only a damaged start delimiter hides the frame without a typed refusal.
        prop_assert!(at < 2 || !rest.is_empty(), "flip at {} went unnoticed", at);
    }
}

//! Frames made by the Python `smp` package (the framing smpclient's serial transport
//! sends) decode with `FrameDecoder`, and `encode` writes exactly what `smp` writes at
//! smpclient's line length (128), so smp's decoder reads ours. The fixtures come from
//! `fixtures/make_frames.py` (smp 4.2.0; it also checks smp decodes each of them).

use fireball_smp::{FrameDecoder, encode};

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn fixtures() -> Vec<(String, usize, Vec<u8>, Vec<u8>)> {
    include_str!("fixtures/python_frames.txt")
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            (
                f[0].to_string(),
                f[1].parse().unwrap(),
                unhex(f[2]),
                unhex(f[3]),
            )
        })
        .collect()
}

#[test]
fn python_frames_decode() {
    let all = fixtures();
    assert_eq!(all.len(), 10);
    for (name, line_length, packet, wire) in all {
        let mut d = FrameDecoder::new(1024);
        let mut got = Vec::new();
        for &b in &wire {
            match d.push(b) {
                Ok(Some(p)) => got.push(p.to_vec()),
                Ok(None) => {}
                Err(e) => panic!("{name}/{line_length}: {e}"),
            }
        }
        assert_eq!(got, [packet], "{name}/{line_length}");
    }
}

#[test]
fn encode_matches_python_at_smpclients_line_length() {
    for (name, line_length, packet, wire) in fixtures() {
        if line_length == 128 {
            let mut ours = Vec::new();
            encode(&packet, &mut ours).unwrap();
            assert_eq!(ours, wire, "{name}");
        }
    }
}

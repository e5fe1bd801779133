//! Untrusted bytes -> the debugger stub over the mock debuggee, in chunks split at 0xff,
//! with a scheduler turn and a poll between chunks: never a panic, and every reply the
//! stub writes is a well-formed `$…#cs` packet (or an ack / NAK).
#![no_main]

use fireball_subsystems::debugger::{Outbox, Stub};
use fireball_subsystems::debugger::mock::MockDebuggee;
use libfuzzer_sys::fuzz_target;

fn check(out: &[u8]) {
    let mut rest = out;
    while let Some((&first, tail)) = rest.split_first() {
        match first {
            b'+' | b'-' => rest = tail,
            b'$' => {
                let hash = tail.iter().position(|b| *b == b'#').expect("unterminated reply");
                let sum = tail[..hash].iter().fold(0u8, |a, b| a.wrapping_add(*b));
                let cs = std::str::from_utf8(&tail[hash + 1..hash + 3]).unwrap();
                assert_eq!(u8::from_str_radix(cs, 16).unwrap(), sum, "bad checksum");
                rest = &tail[hash + 3..];
            }
            other => panic!("stray byte {other:#x} in the stub's output"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut mock = MockDebuggee::two();
    let mut stub = Stub::new(Outbox::default());
    for chunk in data.split(|b| *b == 0xff) {
        stub.receive(&mut mock, chunk).unwrap();
        mock.tick();
        stub.poll(&mut mock).unwrap();
        check(&std::mem::take(&mut stub.transport().0));
    }
    stub.disconnect(&mut mock);
});

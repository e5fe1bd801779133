//! Every simulated device driven through the router by a WASM guest (WAT
//! modules using `route_bind` / `route_call` / `route_reply`), and the GPIO
//! builtin and `hal://gpio` agreeing on pin state.

use crate::subsystems_common;

use fireball_abi::status;
use fireball_router::{Method, Record, from_record, to_record};
use fireball_subsystems::{
    hal::gpio::PinState,
    hal_service::{
        AdcSample, Data, Frame, HalFailure, I2cTransfer, PinLevel, SetPin, SpiTransfer, TimerNow,
        UartWrite, Written,
    },
    sim::{ClimateSensor, PinChange},
};
use subsystems_common::{guest_call, rig, run_to_finish, spawn_guest};

#[test]
fn a_guest_drives_every_device_through_the_router() {
    let mut rig = rig();
    rig.clock.advance(77);
    rig.uart.inject(b"rx");

    let reply = guest_call(
        &mut rig,
        "app",
        "hal://gpio/2",
        Method::Write,
        to_record(&SetPin { high: true }).unwrap(),
    );
    assert_eq!(
        from_record::<PinLevel>(&reply.unwrap()).unwrap(),
        PinLevel { pin: 2, high: true }
    );
    assert_eq!(rig.gpio.levels() & 0b100, 0b100);

    let reply = guest_call(&mut rig, "app", "hal://adc/0", Method::Read, Record::new()).unwrap();
    assert_eq!(from_record::<AdcSample>(&reply).unwrap().raw, 2048);

    let write = to_record(&UartWrite {
        data: b"tx".to_vec(),
    })
    .unwrap();
    let reply = guest_call(&mut rig, "app", "hal://uart/0", Method::Write, write).unwrap();
    assert_eq!(from_record::<Written>(&reply).unwrap().written, 2);
    assert_eq!(rig.uart.transmitted(), b"tx");
    let reply = guest_call(&mut rig, "app", "hal://uart/0", Method::Read, Record::new()).unwrap();
    assert_eq!(from_record::<Data>(&reply).unwrap().data, b"rx");

    let who = to_record(&I2cTransfer {
        write: vec![ClimateSensor::WHO_AM_I],
        read: 1,
    })
    .unwrap();
    let reply = guest_call(&mut rig, "app", "hal://i2c/0/68", Method::Call, who).unwrap();
    assert_eq!(from_record::<Data>(&reply).unwrap().data, [0xBC]);

    let spi = to_record(&SpiTransfer {
        data: vec![9, 8, 7, 6],
    })
    .unwrap();
    let reply = guest_call(&mut rig, "app", "hal://spi/0", Method::Call, spi).unwrap();
    assert_eq!(from_record::<Data>(&reply).unwrap().data, [9, 8, 7, 6]);

    let reply = guest_call(
        &mut rig,
        "app",
        "hal://timer/0",
        Method::Read,
        Record::new(),
    )
    .unwrap();
    assert_eq!(from_record::<TimerNow>(&reply).unwrap().now_us, 77);

    // A handler's refusal reaches the guest as `status::failed(code)`.
    let status = guest_call(
        &mut rig,
        "app",
        "hal://gpio/12",
        Method::Write,
        to_record(&SetPin { high: true }).unwrap(),
    );
    assert_eq!(status, Err(status::failed(HalFailure::PinMode.code())));
    // No route.
    assert_eq!(
        guest_call(&mut rig, "app", "hal://dac/0", Method::Read, Record::new()),
        Err(status::NO_ROUTE)
    );
}

#[test]
fn a_guest_transmits_and_receives_radio_frames_through_the_router() {
    use fireball_subsystems::hal::Radio;
    let mut rig = rig();
    let frame = to_record(&Frame {
        data: b"mesh hello".to_vec(),
    })
    .unwrap();
    let reply = guest_call(&mut rig, "app", "hal://radio/0", Method::Write, frame).unwrap();
    assert_eq!(
        from_record::<Written>(&reply).unwrap(),
        Written { written: 10 }
    );
    let mut heard = [0u8; 127];
    assert_eq!(rig.remote.receive(&mut heard), Ok(Some(10)));
    assert_eq!(&heard[..10], b"mesh hello");

    // Nothing waiting: an empty frame; then what the remote node sent.
    let reply = guest_call(
        &mut rig,
        "app",
        "hal://radio/0",
        Method::Read,
        Record::new(),
    )
    .unwrap();
    assert_eq!(from_record::<Data>(&reply).unwrap().data, b"");
    rig.remote.transmit(b"node 7 up").unwrap();
    let reply = guest_call(
        &mut rig,
        "app",
        "hal://radio/0",
        Method::Read,
        Record::new(),
    )
    .unwrap();
    assert_eq!(from_record::<Data>(&reply).unwrap().data, b"node 7 up");

    // An oversized frame is the caller's error, not a panic.
    let big = to_record(&Frame { data: vec![0; 200] }).unwrap();
    assert_eq!(
        guest_call(&mut rig, "app", "hal://radio/0", Method::Write, big),
        Err(status::failed(HalFailure::InvalidArgument.code()))
    );
}

#[test]
fn the_gpio_builtin_and_hal_gpio_share_one_bank() {
    let mut rig = rig();
    // The builtin drives pin 5 high; the hal reads it.
    spawn_guest(
        &mut rig,
        "app",
        r#"(module
            (import "fb" "gpio_write" (func $w (param i32 i32) (result i32)))
            (memory (export "memory") 1 1)
            (func (export "fb_main") (drop (call $w (i32.const 5) (i32.const 1)))))"#,
    );
    run_to_finish(&mut rig);
    let reply = guest_call(&mut rig, "app", "hal://gpio/5", Method::Read, Record::new()).unwrap();
    assert_eq!(
        from_record::<PinLevel>(&reply).unwrap(),
        PinLevel { pin: 5, high: true }
    );
    // The hal drives pin 6 high; the builtin reads it (printing "1").
    guest_call(
        &mut rig,
        "app",
        "hal://gpio/6",
        Method::Write,
        to_record(&SetPin { high: true }).unwrap(),
    )
    .unwrap();
    let console = spawn_guest(
        &mut rig,
        "app",
        r#"(module
            (import "fb" "gpio_read" (func $r (param i32) (result i32)))
            (import "fb" "print" (func $print (param i32 i32)))
            (memory (export "memory") 1 1)
            (func (export "fb_main")
                (i32.store8 (i32.const 0) (i32.add (i32.const 48) (call $r (i32.const 6))))
                (call $print (i32.const 0) (i32.const 1))))"#,
    );
    run_to_finish(&mut rig);
    assert_eq!(console.contents(), "1");
    // One history: both views' changes, in order.
    let pins: Vec<(u32, PinState)> = rig
        .gpio
        .history()
        .iter()
        .map(|c: &PinChange| (c.pin, c.level))
        .collect();
    assert_eq!(pins, [(5, PinState::High), (6, PinState::High)]);
}

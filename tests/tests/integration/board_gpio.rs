//! A board's own pins under the guests' GPIO builtins (issue 18): `RunOptions::gpio` gives
//! the vSoC the bank a board's `devices` give `hal` (one `SharedGpio`), so a guest's
//! `gpio_write` / `gpio_toggle` drive the board's pins and `gpio_read` reads its inputs —
//! on the nRF5340-DK, its LEDs and buttons — rather than the simulated board's bank.

use std::rc::Rc;

use fireball::deploy::Output;
use fireball_deploy::{RunOptions, System};
use fireball_subsystems::{
    hal::{
        Device, DeviceRegistry,
        gpio::{Gpio, MemoryGpio, PinState, SharedGpio},
    },
    host::BufferConsole,
};

const MANIFEST: &str = r#"
[deployment]
name = "board-gpio"

[[guest]]
name = "leds"
module = "leds.wasm"
"#;

/// Drives LED 0 on, toggles LED 1 twice and LED 2 once, reads button 5 and pin 9 (there is
/// none), and prints each status or level as a digit or `-`.
const LEDS: &str = r#"(module
    (import "fb" "gpio_write" (func $write (param i32 i32) (result i32)))
    (import "fb" "gpio_toggle" (func $toggle (param i32) (result i32)))
    (import "fb" "gpio_read" (func $read (param i32) (result i32)))
    (import "fb" "print" (func $print (param i32 i32)))
    (memory (export "memory") 64 64 (pagesize 1))
    (func $digit (param $v i32) (param $at i32)
        (i32.store8 (local.get $at)
            (select (i32.add (i32.const 48) (local.get $v)) (i32.const 45)
                (i32.ge_s (local.get $v) (i32.const 0)))))
    (func (export "fb_main")
        (call $digit (call $write (i32.const 0) (i32.const 1)) (i32.const 0))
        (call $digit (call $toggle (i32.const 1)) (i32.const 1))
        (call $digit (call $toggle (i32.const 1)) (i32.const 2))
        (call $digit (call $toggle (i32.const 2)) (i32.const 3))
        (call $digit (call $read (i32.const 5)) (i32.const 4))
        (call $digit (call $write (i32.const 6) (i32.const 1)) (i32.const 5))
        (call $digit (call $read (i32.const 9)) (i32.const 6))
        (call $print (i32.const 0) (i32.const 7))))"#;

#[test]
fn the_gpio_builtins_drive_the_boards_own_pins() {
    // As the DK's bank: LEDs 0–3 are outputs, buttons 4–7 inputs; button 5 is pressed.
    let mut pins = MemoryGpio::new(8, 0b0000_1111);
    pins.set_input(5, PinState::High).unwrap();
    let bank = SharedGpio::new(pins);

    let (plan, _dir) =
        fireball_tests::scratch_plan(MANIFEST, &[("leds.wasm", wat::parse_str(LEDS).unwrap())]);
    let out = BufferConsole::new();
    let mut options = RunOptions::new(Rc::new(Output::Buffer(out.clone())));
    let for_hal = bank.clone();
    options.devices = Some(Rc::new(move || {
        let mut devices = DeviceRegistry::new();
        devices
            .register(0, Device::Gpio(Box::new(for_hal.clone())))
            .unwrap();
        devices
    }));
    let for_vsoc = bank.clone();
    options.gpio = Some(Rc::new(move || Box::new(for_vsoc.clone()) as Box<dyn Gpio>));
    let report = System::boot(&plan, options).unwrap().run();

    // OK, high, low, high, button pressed, not an output (PIN_MODE), no such pin.
    let printed = out.contents();
    assert!(printed.starts_with("[leds] 01011--"), "{printed}\n{report}");
    let mut bank = bank;
    let levels: Vec<bool> = (0..4).map(|pin| bank.is_high(pin).unwrap()).collect();
    assert_eq!(levels, [true, false, true, false], "the board's LEDs");
}
